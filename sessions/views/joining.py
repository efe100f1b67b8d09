"""Joining a sessie by its link: the link, the name-and-partij form, the limits on joining."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sessions import access, ratelimit, selectors, services
from sessions.forms import JoinForm
from sessions.models import Sessie, Tafel
from sessions.views.lookup import id_of

JOIN_PENDING_KEY = "hb_join_pending"


def _join_allowed(request: HttpRequest) -> bool:
    attempts, window = settings.HB_JOIN_RATE
    return ratelimit.hit(f"join:{ratelimit.client_ip(request)}", limit=attempts, window=window)


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "sessions/too_many.html", status=429)


@require_safe
def join_link(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """Exchange the capability token for this browser's session, then drop it from the URL."""
    if not _join_allowed(request):
        return _too_many(request)
    sessie = Sessie.objects.filter(pk=pk).first()
    status = access.join_link_status(sessie, token) if sessie else access.LinkStatus.INVALID
    if status != access.LinkStatus.VALID:
        return render(
            request, "sessions/join_refused.html", {"status": status}, status=410 if sessie else 404
        )
    request.session[JOIN_PENDING_KEY] = {"sessie": sessie.pk, "generation": sessie.link_generation}
    response = redirect("sessions:sessie_join", pk=sessie.pk)
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        # Who has not chosen a language here starts in the sessie's; the switch stays theirs.
        _set_language_cookie(response, sessie.language)
    return response


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    """The cookie Django's set_language view sets, with the same settings."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def _pending_join_status(request: HttpRequest, sessie: Sessie) -> access.LinkStatus:
    pending = request.session.get(JOIN_PENDING_KEY) or {}
    if pending.get("sessie") != sessie.pk or pending.get("generation") != sessie.link_generation:
        return access.LinkStatus.INVALID
    return access.join_link_status(sessie, sessie.join_token)


@require_http_methods(["GET", "POST"])
def sessie_join(request: HttpRequest, pk: int) -> HttpResponse:
    sessie = get_object_or_404(Sessie.objects.select_related("opgave"), pk=pk)
    returning = access.deelnemer_for(request.session, sessie)
    if returning is not None:
        if returning.tafel_id:
            return redirect("sessions:kaart", pk=returning.tafel_id)
        context = {
            "sessie": sessie,
            "deelnemer": returning,
            "werkgroepen": selectors.werkgroepen(sessie),
        }
        return render(request, "sessions/waiting.html", context)
    status = _pending_join_status(request, sessie)
    if status != access.LinkStatus.VALID:
        return render(request, "sessions/join_refused.html", {"status": status}, status=403)

    if request.method == "POST" and not _join_allowed(request):
        return _too_many(request)
    form = JoinForm(request.POST or None, sessie=sessie)
    if request.method == "POST" and form.is_valid():
        try:
            deelnemer = services.deelnemer_join(
                sessie=sessie,
                name=form.cleaned_data["name"],
                partij=form.cleaned_data["partij"],
                new_partij_name=form.cleaned_data["new_partij"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            request.session.cycle_key()
            access.remember_deelnemer(request.session, deelnemer)
            request.session.pop(JOIN_PENDING_KEY, None)
            return redirect("sessions:sessie_join", pk=sessie.pk)
    return render(request, "sessions/join.html", {"sessie": sessie, "form": form})


@require_POST
def werkgroep_choose(request: HttpRequest, pk: int) -> HttpResponse:
    """A participant nobody seated chooses a werkgroep (step 3) on the waiting page."""
    sessie = get_object_or_404(Sessie, pk=pk)
    deelnemer = access.deelnemer_for(request.session, sessie)
    if deelnemer is None:
        raise Http404
    tafel = Tafel.objects.filter(pk=id_of(request.POST.get("tafel")), sessie=sessie).first()
    try:
        if tafel is None:
            raise ValidationError(_("Choose a werkgroep of this sessie."))
        services.werkgroep_choose(deelnemer=deelnemer, tafel=tafel)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("sessions:sessie_join", pk=sessie.pk)
