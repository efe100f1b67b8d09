"""The HTTP edge: parse, authorise through sessions.access, call a service, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sessions import access, actions, fragments, selectors, services
from sessions.forms import JoinForm
from sessions.models import Opgave, Sessie, Tafel

JOIN_PENDING_KEY = "hb_join_pending"


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


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
    return render(request, "sessions/dashboard.html", {"opgaven": opgaven})


def _opgave_or_404(request: HttpRequest, pk: int) -> tuple[Opgave, access.Access]:
    opgave = get_object_or_404(Opgave.objects.select_related("team"), pk=pk)
    allowed = access.opgave_access(request.user, opgave)
    if not allowed.can_view:
        # The same answer as for an opgave that does not exist: nothing leaks.
        raise Http404
    return opgave, allowed


@require_safe
@login_required
def opgave_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opgave, allowed = _opgave_or_404(request, pk)
    context = {
        "opgave": opgave,
        "access": allowed,
        "texts": selectors.current_texts(opgave),
        "partijen": opgave.partijen.order_by("status", "name"),
        "sessies": opgave.sessies.annotate(deelnemer_count=Count("deelnemers")),
    }
    return render(request, "sessions/opgave.html", context)


@require_safe
@login_required
def sessie_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sessie = get_object_or_404(Sessie.objects.select_related("opgave__team"), pk=pk)
    allowed = access.opgave_access(request.user, sessie.opgave)
    if not allowed.can_view:
        raise Http404
    tafels = sessie.tafels.prefetch_related("deelnemers__partij")
    context = {
        "sessie": sessie,
        "access": allowed,
        "tafels": tafels,
        "unseated": sessie.deelnemers.filter(tafel__isnull=True).select_related("partij"),
        "join_url": request.build_absolute_uri(sessie.get_join_path()),
    }
    return render(request, "sessions/sessie.html", context)


@require_safe
def join_link(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """Exchange the capability token for this browser's session, then drop it from the URL."""
    sessie = Sessie.objects.filter(pk=pk).first()
    status = access.join_link_status(sessie, token) if sessie else access.LinkStatus.INVALID
    if status != access.LinkStatus.VALID:
        return render(
            request, "sessions/join_refused.html", {"status": status}, status=410 if sessie else 404
        )
    request.session[JOIN_PENDING_KEY] = {"sessie": sessie.pk, "generation": sessie.link_generation}
    return redirect("sessions:sessie_join", pk=sessie.pk)


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
        return render(request, "sessions/waiting.html", {"sessie": sessie, "deelnemer": returning})
    status = _pending_join_status(request, sessie)
    if status != access.LinkStatus.VALID:
        return render(request, "sessions/join_refused.html", {"status": status}, status=403)

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


def _kaart_access(request: HttpRequest, pk: int) -> tuple[Tafel, access.Access]:
    tafel = get_object_or_404(Tafel.objects.select_related("sessie__opgave"), pk=pk)
    return tafel, access.tafel_access(request.user, request.session, tafel)


def _no_kaart_access(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        raise Http404
    return render(request, "sessions/no_access.html", status=403)


@require_safe
def kaart(request: HttpRequest, pk: int) -> HttpResponse:
    tafel, allowed = _kaart_access(request, pk)
    if not allowed.can_view:
        return _no_kaart_access(request)
    kaart = selectors.kaart_for(tafel.pk, allowed)
    return render(request, "sessions/kaart.html", fragments.context(kaart, allowed))


@require_POST
def kaart_action(request: HttpRequest, pk: int) -> HttpResponse:
    """The HTTP fallback of the websocket: the same actions, answered with the same fragments."""
    tafel, allowed = _kaart_access(request, pk)
    if not allowed.can_view:
        return _no_kaart_access(request)
    form_id = request.headers.get("HX-Trigger", "")[:100]
    try:
        outcome = actions.perform(
            request.POST,
            tafel=tafel,
            access=allowed,
            actor=services.Actor(
                user=request.user if request.user.is_authenticated else None,
                deelnemer=allowed.deelnemer,
            ),
        )
    except actions.BadMessage as error:
        return HttpResponse(fragments.render_error(str(error), form_id=form_id), status=400)
    if not outcome.ok:
        html = fragments.render_error(outcome.message, form_id=form_id, conflict=outcome.conflict)
        # 200, so htmx swaps the error and the conflict into the page.
        return HttpResponse(html)
    kaart = selectors.kaart_for(tafel.pk, allowed)
    return HttpResponse(fragments.render_ack(form_id) + fragments.render_full(kaart, allowed))


@require_safe
def kaart_since(request: HttpRequest, pk: int) -> HttpResponse:
    """Polling without websockets: nothing (204) while the kaart is at `seq`, else all of it."""
    tafel, allowed = _kaart_access(request, pk)
    if not allowed.can_view:
        return _no_kaart_access(request)
    try:
        seq = int(request.GET.get("seq", ""))
    except ValueError:
        seq = -1
    latest = tafel.events.order_by("-seq").values_list("seq", flat=True).first() or 0
    if seq == latest and not request.GET.get("full"):
        return HttpResponse(status=204)
    kaart = selectors.kaart_for(tafel.pk, allowed)
    return HttpResponse(fragments.render_full(kaart, allowed))
