"""A tafel's kaart page, and its HTTP fallback for browsers without websockets: actions by
POST, changes by polling."""

from __future__ import annotations

import hashlib

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from sessions import access, actions, fragments, selectors, services
from sessions.models import Tafel


def _kaart_access(request: HttpRequest, pk: int) -> tuple[Tafel, access.Access]:
    tafel = get_object_or_404(Tafel.objects.select_related("sessie__opgave"), pk=pk)
    return tafel, access.tafel_access(request.user, request.session, tafel)


def _kaart_actor(request: HttpRequest, allowed: access.Access) -> services.Actor:
    user = request.user if request.user.is_authenticated else None
    return services.Actor(user=user, deelnemer=allowed.deelnemer)


def _no_kaart_access(request: HttpRequest, tafel: Tafel, *, to_seat: bool = False) -> HttpResponse:
    if request.user.is_authenticated:
        raise Http404
    if to_seat and access.deelnemer_for(request.session, tafel.sessie) is not None:
        # A participant who was moved to another tafel: to their seat.
        return redirect("sessions:sessie_join", pk=tafel.sessie_id)
    return render(request, "sessions/no_access.html", status=403)


@require_safe
def kaart(request: HttpRequest, pk: int) -> HttpResponse:
    tafel, allowed = _kaart_access(request, pk)
    if not allowed.can_view:
        return _no_kaart_access(request, tafel, to_seat=True)
    kaart = selectors.kaart_for(tafel.pk, allowed)
    return render(request, "sessions/kaart.html", fragments.context(kaart, allowed))


@require_POST
def kaart_action(request: HttpRequest, pk: int) -> HttpResponse:
    """The HTTP fallback of the websocket: the same actions, answered with the same fragments."""
    tafel, allowed = _kaart_access(request, pk)
    if not allowed.can_view:
        return _no_kaart_access(request, tafel)
    form_id = request.headers.get("HX-Trigger", "")[:100]
    nonce = actions.nonce_of(request.POST)
    try:
        outcome = actions.perform(
            request.POST,
            tafel=tafel,
            access=allowed,
            actor=_kaart_actor(request, allowed),
        )
    except actions.BadMessage as error:
        html = fragments.render_error(str(error), form_id=form_id, nonce=nonce)
        return HttpResponse(html, status=400)
    if not outcome.ok:
        html = fragments.render_error(
            outcome.message, form_id=form_id, conflict=outcome.conflict, nonce=nonce
        )
        # 200, so htmx swaps the error and the conflict into the page.
        return HttpResponse(html)
    kaart = selectors.kaart_for(tafel.pk, allowed)
    ack = fragments.render_ack(form_id, nonce)
    return HttpResponse(ack + fragments.render_full(kaart, allowed))


@require_safe
def kaart_since(request: HttpRequest, pk: int) -> HttpResponse:
    """Polling without websockets: nothing (204) while the kaart is at `seq` and its sessie
    at `sessie` (Sessie.changes), else all of it."""
    tafel, allowed = _kaart_access(request, pk)
    if not allowed.can_view:
        return _no_kaart_access(request, tafel)
    try:
        seq = int(request.GET.get("seq", ""))
    except ValueError:
        seq = -1
    if request.session.session_key:
        services.presence_poll(
            tafel=tafel,
            # Not the session key itself: that is the cookie's secret.
            key=hashlib.sha256(request.session.session_key.encode()).hexdigest()[:32],
            actor=_kaart_actor(request, allowed),
            role=allowed.role,
        )
    latest = tafel.events.order_by("-seq").values_list("seq", flat=True).first() or 0
    # The page's number of the sessie's own changes (step, lock, timer, opgave: not in the
    # kaart's log), from the whole card it has.
    changes = request.GET.get("sessie", "")
    if seq == latest and changes == str(tafel.sessie.changes) and not request.GET.get("full"):
        return HttpResponse(status=204)
    kaart = selectors.kaart_for(tafel.pk, allowed)
    return HttpResponse(fragments.render_full(kaart, allowed))


@require_safe
def kaart_pictures(request: HttpRequest, pk: int) -> HttpResponse:
    """The balance and map region as it is now: for a page that prints while the region was
    condensed (its socket draws no pictures the page does not show)."""
    tafel, allowed = _kaart_access(request, pk)
    if not allowed.can_view:
        return _no_kaart_access(request, tafel)
    return HttpResponse(fragments.render_pictures(tafel.pk, allowed))
