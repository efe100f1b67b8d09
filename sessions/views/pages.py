"""The pages around the work: home, login, the CSRF failure page, the health check, the
dashboard of one's opgaven."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from sessions import access
from sessions.forms import LoginForm
from sessions.models import Membership, Sessie


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    """The product's accessibility statement; a deploying body links to its own instead
    (HB_ACCESSIBILITY_STATEMENT_URL)."""
    if settings.HB_ACCESSIBILITY_STATEMENT_URL:
        return redirect(settings.HB_ACCESSIBILITY_STATEMENT_URL)
    return render(request, "accessibility.html")


class LoginView(auth_views.LoginView):
    """Django's login with our lockout (sessions.lockout, through LoginForm); 429 while the
    login must wait."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.wait:
            response.status_code = 429
            response["Retry-After"] = str(form.wait)
        return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form that came back without a valid CSRF token: a clear page, nothing changed."""
    return render(request, "403_csrf.html", status=403)


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@require_safe
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    opgaven = (
        access.opgaven_for(request.user)
        .select_related("team")
        .prefetch_related(Prefetch("sessies", queryset=Sessie.objects.order_by("-created_at")))
        .annotate(partij_count=Count("partijen", distinct=True))
    )
    can_create = Membership.objects.filter(
        user=request.user, role=Membership.Role.FACILITATOR
    ).exists()
    return render(
        request, "sessions/dashboard.html", {"opgaven": opgaven, "can_create": can_create}
    )
