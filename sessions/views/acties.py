"""An opgave's action list: its vervolgstappen across the sessies, followed up (status and a
log of updates), filtered by partij and status, and the dated ones as an iCalendar file.

Facilitators and coordinators of the opgave's team read it; facilitators log the follow-up.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe
from icalendar import Calendar, Event

from sessions import services
from sessions.kinds import SPECS, Change
from sessions.models import KaartEvent, Opgave, Vervolgstap, VervolgstapUpdate
from sessions.views.lookup import opgave_or_404


@dataclass(frozen=True)
class Actie:
    stap: Vervolgstap
    overdue: bool
    # Its follow-up, oldest first: that of the vervolgstappen it continues (carried into a
    # later sessie, services.carry) and its own.
    updates: tuple[VervolgstapUpdate, ...] = ()
    # Carried onto several kaarten at once, it goes on on each: how many besides this one.
    elsewhere: int = 0

    @property
    def last_update(self) -> VervolgstapUpdate | None:
        return self.updates[-1] if self.updates else None


def _acties(opgave: Opgave) -> list[Actie]:
    """Every vervolgstap of the opgave, once: one carried on (to the plenary kaart, a later
    sessie, a werkgroep) is shown as the copy followed up last, with the follow-up of all."""
    today = timezone.localdate()
    stappen = list(
        Vervolgstap.objects.filter(tafel__sessie__opgave=opgave)
        .select_related("eigenaar", "tafel__sessie")
        .prefetch_related("partijen", Prefetch("updates", VervolgstapUpdate.objects.all()))
    )
    by_pk = {stap.pk: stap for stap in stappen}
    continued = {stap.voorganger_id for stap in stappen}
    # One action per vervolgstap as it started: with every copy it went on as (gathered on the
    # plenary kaart, carried into a later sessie or onto several kaarten, or a werkgroep's).
    family: dict[int, list[Vervolgstap]] = {}
    for stap in stappen:
        family.setdefault(_chain(stap, by_pk)[-1].pk, []).append(stap)
    acties = []
    for members in family.values():
        log = {u.pk: u for member in members for u in member.updates.all()}
        updates = tuple(sorted(log.values(), key=lambda u: (u.created_at, u.pk)))
        going_on = [member for member in members if member.pk not in continued]
        # The copy followed up last stands for them all (the first that goes on, when none was).
        newest = {u.vervolgstap_id for u in updates[-1:]}
        shown = next(
            (member for member in members if member.pk in newest),
            min(going_on or members, key=lambda s: s.pk),
        )
        acties.append(
            Actie(
                shown,
                overdue=_overdue(shown, today),
                updates=updates,
                elsewhere=max(len(going_on) - 1, 0),
            )
        )
    return sorted(
        acties,
        key=lambda a: (
            a.stap.datum is None,
            a.stap.datum or datetime.date.max,
            a.stap.tafel.sessie_id,
            a.stap.pk,
        ),
    )


def _chain(stap: Vervolgstap, by_pk: dict[int, Vervolgstap]) -> list[Vervolgstap]:
    """The vervolgstap and the ones it continues, newest first."""
    chain, seen = [], set()
    while stap is not None and stap.pk not in seen:
        seen.add(stap.pk)
        chain.append(stap)
        stap = by_pk.get(stap.voorganger_id)
    return chain


def _overdue(stap: Vervolgstap, today: datetime.date) -> bool:
    """Its date has passed while it is still open or in progress."""
    return stap.datum is not None and stap.datum < today and stap.status in Vervolgstap.UNDERWAY


def open_elsewhere(sessie) -> list[Actie]:
    """The open vervolgstappen of the opgave's other sessies: what the control room reviews
    in step 1 of the next sessie."""
    return [
        a
        for a in _acties(sessie.opgave)
        if a.stap.tafel.sessie_id != sessie.pk and a.stap.status in Vervolgstap.UNDERWAY
    ]


def _filtered(acties: list[Actie], partij: str, status: str) -> list[Actie]:
    if partij.isdigit():
        pk = int(partij)
        acties = [
            a
            for a in acties
            if a.stap.eigenaar_id == pk or any(p.pk == pk for p in a.stap.partijen.all())
        ]
    if status in Vervolgstap.Status.values:
        acties = [a for a in acties if a.stap.status == status]
    return acties


# How often an open action list asks whether a vervolgstap changed, in seconds.
LIVE_EVERY = 5

# The changes of a kaart that change its vervolgstappen, or one of them (sessions/kinds.py;
# an undo may be one of them).
_STAP_CHANGES = [
    *(kind for kind, spec in SPECS.items() if {"vervolgstap", "vervolgstappen"} & {*spec.regions}),
    Change.UNDONE,
]


def _stamp(opgave: Opgave) -> str:
    """Changes with every change of a vervolgstap of the opgave: the newest such event of its
    kaarten (follow-ups logged on the action list are kaart changes too)."""
    newest = KaartEvent.objects.filter(
        tafel__sessie__opgave=opgave, kind__in=_STAP_CHANGES
    ).aggregate(newest=Max("pk"))["newest"]
    return str(newest or 0)


@require_safe
@login_required
def acties(request: HttpRequest, pk: int) -> HttpResponse:
    opgave, allowed = opgave_or_404(request, pk)
    stamp = _stamp(opgave)
    if request.GET.get("live") == stamp:
        return HttpResponse(status=204)  # nothing changed: htmx keeps the list as it is
    partij, status = request.GET.get("partij", ""), request.GET.get("status", "")
    every = _acties(opgave)
    shown = _filtered(every, partij, status)
    context = {
        "opgave": opgave,
        "access": allowed,
        "acties": shown,
        "total": len(every),
        "overdue": sum(a.overdue for a in shown),
        "partijen": opgave.partijen.order_by("name"),
        "statuses": Vervolgstap.Status.choices,
        "chosen_partij": partij,
        "chosen_status": status,
        "query": _query(request, drop="live"),
        "live_url": f"?{_query(request, drop='live', live=stamp)}",
        "live_every": LIVE_EVERY,
    }
    template = "sessions/acties.html#live" if "live" in request.GET else "sessions/acties.html"
    return render(request, template, context)


def _query(request: HttpRequest, *, drop: str, **extra: str) -> str:
    query = request.GET.copy()
    query.pop(drop, None)
    query.update(extra)
    return query.urlencode()


@require_http_methods(["POST"])
@login_required
def actie_follow_up(request: HttpRequest, pk: int, stap_pk: int) -> HttpResponse:
    opgave, allowed = opgave_or_404(request, pk)
    if not allowed.can_manage:
        raise PermissionDenied
    try:
        services.vervolgstap_follow_up(
            opgave_id=opgave.pk,
            vervolgstap_id=stap_pk,
            status=request.POST.get("status", ""),
            tekst=request.POST.get("tekst", ""),
            actor=services.Actor(user=request.user),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The follow-up is saved."))
    back = reverse("sessions:acties", args=[opgave.pk])
    query = request.POST.get("query", "")
    return redirect(f"{back}?{query}#actie-{stap_pk}" if query else f"{back}#actie-{stap_pk}")


@require_safe
@login_required
def acties_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """The dated vervolgstappen as all-day events, for Outlook and other calendars."""
    opgave, _allowed = opgave_or_404(request, pk)
    calendar = Calendar()
    calendar.add("prodid", "-//Halen/Brengen//Actielijst//NL")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", opgave.title)
    host = request.get_host()
    stamp = timezone.now()
    for actie in _acties(opgave):
        stap = actie.stap
        if stap.datum is None:
            continue
        event = Event()
        event.add("uid", f"vervolgstap-{stap.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", stap.datum)
        event.add("dtend", stap.datum + datetime.timedelta(days=1))
        event.add("summary", stap.title)
        others = ", ".join(p.name for p in stap.partijen.all())
        lines = [
            _("Owner: %(owner)s") % {"owner": stap.eigenaar.name},
            _("Status: %(status)s") % {"status": stap.get_status_display()},
            _("Sessie: %(sessie)s") % {"sessie": stap.tafel.sessie.title},
        ]
        if others:
            lines.insert(1, _("With: %(partijen)s") % {"partijen": others})
        if actie.last_update and actie.last_update.tekst:
            lines.append(actie.last_update.tekst)
        event.add("description", "\n".join(lines))
        event.add("categories", [opgave.title])
        calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    name = f"{slugify(opgave.title)[:60].rstrip('-') or 'opgave'}-{_('actions')}.ics"
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "private, no-store"
    return response
