"""A sessie's page and its control room (the facilitator's forms), the plenary view, creating
and copying sessies."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sessions import access, selectors, services
from sessions.forms import SessieForm
from sessions.models import Sessie, Tafel
from sessions.views import acties
from sessions.views.lookup import id_of, opgave_or_404, sessie_or_404, whole


def sessie_context(request: HttpRequest, sessie: Sessie, allowed: access.Access) -> dict:
    return {
        **selectors.sessie_room(sessie, allowed),
        "join_url": request.build_absolute_uri(sessie.get_join_path()),
    }


@require_safe
@login_required
def sessie_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The facilitator's control room: steps, timer, invitation, tafels, live overview."""
    sessie, allowed = sessie_or_404(request, pk)
    context = sessie_context(request, sessie, allowed)
    context["review"] = acties.open_elsewhere(sessie)
    return render(request, "sessions/sessie.html", context)


@require_POST
@login_required
def sessie_control(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the facilitator's controls; answers by going back to the control room."""
    sessie, allowed = sessie_or_404(request, pk)
    if not allowed.can_manage:
        raise PermissionDenied(_("Only a facilitator of this opgave can do this."))
    op = request.POST.get("op", "")
    handler = SESSIE_CONTROLS.get(op)
    if handler is None:
        return HttpResponseBadRequest(_("Unknown action."))
    try:
        message = handler(sessie, request.POST, services.Actor(user=request.user))
    except (ValidationError, ValueError, TypeError) as error:
        text = (
            " ".join(error.messages)
            if isinstance(error, ValidationError)
            else _("This action could not be carried out.")
        )
        messages.error(request, text)
    else:
        if message:
            messages.success(request, message)
    return redirect(_back_to(request, sessie.get_absolute_url()))


def _back_to(request: HttpRequest, default: str) -> str:
    """The form's `next`, if it is a page of this site; otherwise `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# What the control room's numbers may be: anything else is refused with a message.
MAX_LINK_HOURS = 90 * 24
MAX_TIMER_MINUTES = 4 * 60


def _whole(data, key: str, *, low: int, high: int) -> int | None:
    """data[key] as a whole number from low to high; None if it is anything else."""
    return whole(data.get(key), low=low, high=high)


def _id(data, key: str = "value") -> int:
    """The id in data[key], or 0 (which nothing has) if it is not an id."""
    return id_of(data.get(key))


def _tafel_of(sessie: Sessie, tafel_id: int) -> Tafel:
    tafel = sessie.tafels.filter(pk=tafel_id).first()
    if tafel is None:
        raise ValidationError(_("Choose a tafel of this sessie."))
    return tafel


def _deelnemer_of(sessie: Sessie, deelnemer_id: int):
    deelnemer = sessie.deelnemers.filter(pk=deelnemer_id).first()
    if deelnemer is None:
        raise ValidationError(_("This participant is not in this sessie."))
    return deelnemer


def _optional_whole(data, key: str, *, high: int, refusal: str) -> int | None:
    """An optional whole number from 1 to `high` in a control's form; `refusal` otherwise."""
    if not data.get(key):
        return None
    value = _whole(data, key, low=1, high=high)
    if value is None:
        raise ValidationError(refusal)
    return value


def _new_link(sessie, data, actor):
    hours = _optional_whole(
        data,
        "hours",
        high=MAX_LINK_HOURS,
        refusal=_("A new link is valid for 1 to %(max)d hours.") % {"max": MAX_LINK_HOURS},
    )
    expires = timezone.now() + datetime.timedelta(hours=hours) if hours else None
    services.sessie_regenerate_link(sessie=sessie, expires_at=expires)
    return _("A new join link has been made; the old one no longer works.")


def _move(sessie, data, actor):
    deelnemer = _deelnemer_of(sessie, _id(data, "deelnemer"))
    tafel = _tafel_of(sessie, _id(data)) if data.get("value") else None
    services.deelnemer_move(deelnemer=deelnemer, tafel=tafel)
    return ""


def _timer_reset(sessie, data, actor):
    minutes = _optional_whole(
        data,
        "minutes",
        high=MAX_TIMER_MINUTES,
        refusal=_("The timer runs between 1 and %(max)d minutes.") % {"max": MAX_TIMER_MINUTES},
    )
    services.timer_reset(sessie=sessie, seconds=minutes * 60 if minutes else None)
    return ""


def _form_tafels(sessie, data, actor):
    n = len(services.tafels_form(sessie=sessie))
    return ngettext(
        "The participants are seated at %(n)d tafel.",
        "The participants are seated at %(n)d tafels.",
        n,
    ) % {"n": n}


def _reveal(sessie, data, actor):
    n = services.perspectieven_reveal_all(sessie=sessie, actor=actor)
    return ngettext("%(n)d perspectief revealed.", "%(n)d perspectieven revealed.", n) % {"n": n}


def _quietly(service, **fixed):
    """A control whose only answer is the live update of the page."""

    def control(sessie, data, actor):
        service(sessie=sessie, **fixed)
        return ""

    return control


def _step(sessie, data, actor):
    # Not 1, 2 or 3 (0 for anything else): the service says which steps there are.
    services.sessie_set_step(sessie=sessie, stap=_whole(data, "value", low=1, high=3) or 0)
    return ""


def _remove_tafel(sessie, data, actor):
    services.tafel_remove(
        tafel=_tafel_of(sessie, _id(data)), with_content=data.get("with_content") == "1"
    )
    return ""


def _revoke_deelnemer(sessie, data, actor):
    services.deelnemer_revoke(deelnemer=_deelnemer_of(sessie, _id(data)))
    return ""


def _werkgroepen(sessie, data, actor):
    ids = [pk for pk in map(id_of, data.getlist("value")) if pk]
    n = len(services.werkgroepen_form(sessie=sessie, stap_ids=ids, actor=actor))
    return ngettext(
        "%(n)d werkgroep formed; everyone is seated anew.",
        "%(n)d werkgroepen formed; everyone is seated anew.",
        n,
    ) % {"n": n}


def _carry(sessie, data, actor):
    services.plenair_carry(sessie=sessie, kind=data.get("kind", ""), item_id=_id(data), actor=actor)
    return ""


SESSIE_CONTROLS = {
    "step": _step,
    "timer_start": _quietly(services.timer_start),
    "timer_pause": _quietly(services.timer_pause),
    "timer_reset": _timer_reset,
    "open": _quietly(services.sessie_set_state, state="open"),
    "close": _quietly(services.sessie_set_state, state="gesloten"),
    "lock": _quietly(services.sessie_set_locked, locked=True),
    "unlock": _quietly(services.sessie_set_locked, locked=False),
    "reveal": _reveal,
    "form_tafels": _form_tafels,
    "werkgroepen": _werkgroepen,
    "add_tafel": _quietly(services.tafel_add),
    "remove_tafel": _remove_tafel,
    "move": _move,
    "revoke_deelnemer": _revoke_deelnemer,
    "revoke_link": _quietly(services.sessie_revoke_link),
    "new_link": _new_link,
    "carry": _carry,
}


@require_safe
@login_required
def plenair(request: HttpRequest, pk: int) -> HttpResponse:
    """The tafels' kaarten side by side; the facilitator carries items to the plenary kaart."""
    sessie, allowed = sessie_or_404(request, pk)
    context = {"sessie": sessie, "access": allowed, **selectors.plenair_kaarten(sessie, allowed)}
    return render(request, "sessions/plenair.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def sessie_edit(request: HttpRequest, pk: int, sessie_pk: int | None = None) -> HttpResponse:
    opgave, allowed = opgave_or_404(request, pk)
    if not allowed.can_manage:
        raise PermissionDenied(_("Only a facilitator of this opgave can do this."))
    sessie = get_object_or_404(opgave.sessies, pk=sessie_pk) if sessie_pk else None
    initial = (
        {
            "title": sessie.title,
            "starts_at": sessie.starts_at,
            "timer_minutes": sessie.timer_seconds // 60,
            "language": sessie.language,
        }
        if sessie
        else {"timer_minutes": 15, "tafels": 1}
    )
    form = SessieForm(request.POST or None, initial=initial)
    sources = {}
    if sessie:
        del form.fields["tafels"], form.fields["bron"], form.fields["onto"]
    else:
        sources = {t.pk: t for t in services.carry_sources(opgave.pk)}
        form.offer_sources(list(sources.values()))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new = sessie is None
        try:
            with transaction.atomic():
                if new:
                    sessie = services.sessie_create(
                        opgave=opgave,
                        title=data["title"],
                        state=Sessie.State.OPEN,
                        tafels=data.get("tafels") or 1,
                        actor=services.Actor(user=request.user),
                    )
                    if data.get("bron"):
                        services.kaart_carry(
                            sessie=sessie,
                            bron=sources[data["bron"]],
                            onto=data.get("onto") or services.ONTO_TAFELS,
                            actor=services.Actor(user=request.user),
                        )
                services.sessie_update(
                    sessie=sessie,
                    title=data["title"],
                    starts_at=data["starts_at"],
                    timer_seconds=data["timer_minutes"] * 60,
                    language=data["language"],
                )
        except ValidationError as error:
            form.add_error(None, error)
            if new:
                sessie = None  # rolled back with the rest
        else:
            return redirect(sessie)
    return render(
        request, "sessions/sessie_form.html", {"form": form, "opgave": opgave, "sessie": sessie}
    )


@require_POST
@login_required
def sessie_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    sessie, allowed = sessie_or_404(request, pk)
    if not allowed.can_manage:
        raise PermissionDenied(_("Only a facilitator of this opgave can do this."))
    copy = services.sessie_duplicate(sessie=sessie, actor=services.Actor(user=request.user))
    messages.success(request, _("The sessie has been copied. The copy has its own join link."))
    return redirect(copy)
