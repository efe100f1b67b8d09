"""Sessies and their tafels, the join link and joining, and what the facilitator does with
them (steps, timer, seating, the plenary kaart)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from sessions.models import (
    Bijdrage,
    Deelnemer,
    Opgave,
    Partij,
    Sessie,
    Tafel,
    Vervolgstap,
    new_join_token,
)
from sessions.services.bijdragen import bijdrage_add
from sessions.services.common import SYSTEM, Actor, _clean_text, sessie_changed
from sessions.services.opgaven import partij_add
from sessions.services.perspectieven import perspectieven_reveal
from sessions.services.vervolgstappen import vervolgstap_add
from sessions.tafelindeling import form_groups, seat_werkgroepen


def sessie_create(
    *,
    opgave: Opgave,
    title: str,
    state: str = Sessie.State.GEPLAND,
    tafels: int = 1,
    actor: Actor = SYSTEM,
) -> Sessie:
    title = _clean_text(title, field="title", max_length=200)
    if state not in Sessie.State.values:
        raise ValidationError({"state": _("Unknown state.")}, code="invalid")
    with transaction.atomic():
        sessie = Sessie.objects.create(
            opgave=opgave, title=title, state=state, created_by=actor.user
        )
        for _i in range(tafels):
            tafel_add(sessie=sessie)
    return sessie


def sessie_set_step(*, sessie: Sessie, stap: int) -> Sessie:
    if stap not in (1, 2, 3):
        raise ValidationError({"stap": _("A sessie has steps 1, 2 and 3.")}, code="invalid")
    sessie.stap = stap
    # Each step has its own timer: a new step starts with the timer reset.
    sessie.timer_ends_at = None
    sessie.timer_remaining = None
    sessie.save(update_fields=["stap", "timer_ends_at", "timer_remaining"])
    sessie_changed(sessie.pk, "step", {"stap": stap})
    return sessie


def tafel_add(*, sessie: Sessie, name: str = "") -> Tafel:
    with transaction.atomic():
        Sessie.objects.select_for_update().filter(pk=sessie.pk).first()
        last = sessie.tafels.aggregate(n=Max("nummer"))["n"] or 0
        return Tafel.objects.create(sessie=sessie, nummer=last + 1, name=name.strip()[:100])


def sessie_revoke_link(*, sessie: Sessie) -> Sessie:
    """Revoke the join link: nobody joins by it, and who joined by it loses access."""
    sessie.join_revoked = True
    sessie.save(update_fields=["join_revoked"])
    sessie_changed(sessie.pk, "access_revoked")
    return sessie


def sessie_regenerate_link(
    *, sessie: Sessie, expires_at: datetime.datetime | None = None
) -> Sessie:
    """A new join link replaces the old one; who joined by the old one must join again."""
    sessie.join_token = new_join_token()
    sessie.join_revoked = False
    sessie.join_expires_at = expires_at
    sessie.link_generation += 1
    sessie.save(update_fields=["join_token", "join_revoked", "join_expires_at", "link_generation"])
    sessie_changed(sessie.pk, "access_revoked")
    return sessie


def deelnemer_join(
    *,
    sessie: Sessie,
    name: str,
    partij: Partij | None = None,
    new_partij_name: str = "",
) -> Deelnemer:
    """A participant joins with a display name and the partij they represent (or a new one).

    They are seated at the tafel with the fewest participants, if the sessie has tafels (never
    at the plenary kaart); once step 3 goes on in werkgroepen, at the emptiest werkgroep their
    partij owns, or else takes part in, or at none (they choose one on the waiting page).
    """
    name = _clean_text(name, field="name", max_length=100)
    with transaction.atomic():
        if partij is None:
            new_partij_name = _clean_text(new_partij_name, field="new_partij", max_length=200)
            partij = sessie.opgave.partijen.filter(name__iexact=new_partij_name).first()
            if partij is None:
                partij = partij_add(opgave=sessie.opgave, name=new_partij_name)
        elif partij.opgave_id != sessie.opgave_id:
            raise ValidationError({"partij": _("This partij belongs to another opgave.")})
        tafel = _seat_for(sessie, partij)
        deelnemer = Deelnemer.objects.create(
            sessie=sessie,
            tafel=tafel,
            partij=partij,
            name=name,
            link_generation=sessie.link_generation,
        )
        _sessie_changed(sessie, "deelnemers")
        return deelnemer


def _seat_for(sessie: Sessie, partij: Partij) -> Tafel | None:
    """Where someone of `partij` who joins now sits (deelnemer_join)."""
    tafels = sessie.tafels.filter(plenair=False).annotate(n=Count("deelnemers"))
    werkgroepen = list(
        tafels.filter(werkgroep__isnull=False)
        .select_related("werkgroep")
        .prefetch_related("werkgroep__partijen")
        .order_by("n", "nummer")
    )
    if not werkgroepen:
        return tafels.order_by("n", "nummer").first()
    # The rule werkgroepen_form seats by, for one person, the emptiest werkgroepen first.
    seat = seat_werkgroepen(
        [("new", partij.pk)],
        [
            (t, t.werkgroep.eigenaar_id, [p.pk for p in t.werkgroep.partijen.all()])
            for t in werkgroepen
        ],
    )
    return seat.get("new")


def sessie_update(
    *,
    sessie: Sessie,
    title: str,
    starts_at: datetime.datetime | None = None,
    timer_seconds: int | None = None,
    language: str | None = None,
) -> Sessie:
    sessie.title = _clean_text(title, field="title", max_length=200)
    sessie.starts_at = starts_at
    if language is not None:
        if language not in dict(settings.LANGUAGES):
            raise ValidationError({"language": _("Unknown language.")}, code="invalid")
        sessie.language = language
    if timer_seconds is not None:
        if not 10 <= timer_seconds <= 4 * 3600:
            raise ValidationError(
                {"timer_seconds": _("The timer runs between 10 seconds and 4 hours.")}
            )
        sessie.timer_seconds = timer_seconds
    sessie.save(update_fields=["title", "starts_at", "timer_seconds", "language"])
    _sessie_changed(sessie, "sessie")
    return sessie


def sessie_duplicate(*, sessie: Sessie, actor: Actor = SYSTEM) -> Sessie:
    """A new, planned sessie of the same opgave with as many (empty) tafels; a new join link."""
    tafels = sessie.tafels.filter(plenair=False).count()
    copy = sessie_create(
        opgave=sessie.opgave,
        title=_("%(title)s (copy)") % {"title": sessie.title},
        tafels=max(tafels, 1),
        actor=actor,
    )
    copy.timer_seconds = sessie.timer_seconds
    copy.language = sessie.language
    copy.save(update_fields=["timer_seconds", "language"])
    return copy


def _sessie_changed(sessie: Sessie, kind: str) -> None:
    sessie_changed(sessie.pk, kind)


def _state_changed(sessie: Sessie) -> None:
    """Its state or lock: the bell says both as committed (read after the commit, should
    two facilitators change them at once), so that each socket knows whether its kaart is
    read-only now without asking (access.under), and is pushed its step region alone."""
    sessie_id = sessie.pk
    sessie_changed(
        sessie_id,
        "state",
        lambda: Sessie.objects.filter(pk=sessie_id).values("state", "locked").first(),
    )


def sessie_set_state(*, sessie: Sessie, state: str) -> Sessie:
    """Open or close a sessie; a closed sessie is read-only for everyone, still exportable."""
    if state not in Sessie.State.values:
        raise ValidationError({"state": _("Unknown state.")}, code="invalid")
    sessie.state = state
    sessie.save(update_fields=["state"])
    _state_changed(sessie)
    return sessie


def sessie_set_locked(*, sessie: Sessie, locked: bool) -> Sessie:
    """Lock: the kaarten become read-only for participants (not for the facilitators)."""
    sessie.locked = locked
    sessie.save(update_fields=["locked"])
    _state_changed(sessie)
    return sessie


def timer_start(*, sessie: Sessie) -> Sessie:
    """Start (or resume) the step timer; its end time is kept on the server."""
    if sessie.timer_ends_at is not None:
        return sessie
    seconds = sessie.timer_remaining if sessie.timer_remaining else sessie.timer_seconds
    sessie.timer_ends_at = timezone.now() + datetime.timedelta(seconds=seconds)
    sessie.timer_remaining = None
    sessie.save(update_fields=["timer_ends_at", "timer_remaining"])
    _sessie_changed(sessie, "timer")
    return sessie


def timer_pause(*, sessie: Sessie) -> Sessie:
    if sessie.timer_ends_at is None:
        return sessie
    left = (sessie.timer_ends_at - timezone.now()).total_seconds()
    sessie.timer_remaining = max(0, round(left))
    sessie.timer_ends_at = None
    sessie.save(update_fields=["timer_ends_at", "timer_remaining"])
    _sessie_changed(sessie, "timer")
    return sessie


def timer_reset(*, sessie: Sessie, seconds: int | None = None) -> Sessie:
    if seconds is not None:
        if not 10 <= seconds <= 4 * 3600:
            raise ValidationError(_("The timer runs between 10 seconds and 4 hours."))
        sessie.timer_seconds = seconds
    sessie.timer_ends_at = None
    sessie.timer_remaining = None
    sessie.save(update_fields=["timer_ends_at", "timer_remaining", "timer_seconds"])
    _sessie_changed(sessie, "timer")
    return sessie


def deelnemer_revoke(*, deelnemer: Deelnemer) -> Deelnemer:
    """Take a participant's access away; their open sockets close at once."""
    deelnemer.revoked = True
    deelnemer.save(update_fields=["revoked"])
    _sessie_changed(deelnemer.sessie, "access_revoked")
    return deelnemer


def deelnemer_move(*, deelnemer: Deelnemer, tafel: Tafel | None) -> Deelnemer:
    """Seat a participant at another tafel (or none); their screen follows."""
    if tafel is not None and (tafel.sessie_id != deelnemer.sessie_id or tafel.plenair):
        raise ValidationError(_("Choose a tafel of this sessie."))
    deelnemer.tafel = tafel
    deelnemer.save(update_fields=["tafel"])
    _sessie_changed(deelnemer.sessie, "tafels")
    return deelnemer


def tafel_remove(*, tafel: Tafel, with_content: bool = False) -> None:
    """Remove a tafel nobody sits at; its kaart goes with it. A kaart anything was ever written
    on goes only `with_content`: the facilitator confirmed that it may."""
    if tafel.deelnemers.filter(revoked=False).exists():
        raise ValidationError(_("Move the participants of this tafel first."))
    if not with_content and _has_content(tafel):
        raise ValidationError(
            _("This tafel's kaart has content: confirm that it may be removed with it."),
            code="has_content",
        )
    sessie = tafel.sessie
    tafel.delete()
    _sessie_changed(sessie, "tafels")


def seat_all(deelnemers: list[Deelnemer], seat: dict[int, int | None]) -> None:
    """Seat these participants where `seat` says (a tafel's id by deelnemer id; None or
    missing: at none), in one statement for all who move."""
    moved = []
    for deelnemer in deelnemers:
        tafel_id = seat.get(deelnemer.pk)
        if deelnemer.tafel_id != tafel_id:
            deelnemer.tafel_id = tafel_id
            moved.append(deelnemer)
    Deelnemer.objects.bulk_update(moved, ["tafel"])


def tafels_form(*, sessie: Sessie) -> list[Tafel]:
    """Form tafels of 3 to 5 that mix the partijen, and seat every participant.

    Tafels that exist are used first (in their order); missing ones are added; tafels left
    without anyone stay, empty, so no kaart is lost.
    """
    with transaction.atomic():
        Sessie.objects.select_for_update().filter(pk=sessie.pk).first()
        deelnemers = list(sessie.deelnemers.filter(revoked=False).order_by("joined_at", "pk"))
        groups = form_groups([(d.pk, d.partij_id) for d in deelnemers])
        tafels = list(sessie.tafels.filter(plenair=False).order_by("nummer"))
        while len(tafels) < len(groups):
            tafels.append(tafel_add(sessie=sessie))
        seat = {pk: tafels[i].pk for i, group in enumerate(groups) for pk in group}
        seat_all(deelnemers, seat)
        _sessie_changed(sessie, "tafels")
    return tafels[: len(groups)]


def perspectieven_reveal_all(*, sessie: Sessie, actor: Actor = SYSTEM) -> int:
    return sum(perspectieven_reveal(tafel=tafel, actor=actor) for tafel in sessie.tafels.all())


def plenair_tafel(*, sessie: Sessie) -> Tafel:
    """The sessie's plenary kaart, where the facilitator gathers what the tafels found."""
    with transaction.atomic():
        Sessie.objects.select_for_update().filter(pk=sessie.pk).first()
        tafel = sessie.tafels.filter(plenair=True).first()
        if tafel is None:
            last = sessie.tafels.aggregate(n=Max("nummer"))["n"] or 0
            tafel = Tafel.objects.create(sessie=sessie, nummer=last + 1, plenair=True)
        return tafel


def plenair_carry(*, sessie: Sessie, kind: str, item_id: int, actor: Actor = SYSTEM) -> Any:
    """Copy a bijdrage or vervolgstap of one of the sessie's tafels onto the plenary kaart."""
    # The item is found before the plenary kaart is made: a refused carry leaves nothing.
    mine = {"pk": item_id, "tafel__sessie": sessie, "tafel__plenair": False}
    if kind == "bijdrage":
        item = Bijdrage.objects.filter(**mine).first()
        if item is None:
            raise ValidationError(_("This item is not on a tafel of this sessie."))
        plenair = plenair_tafel(sessie=sessie)
        existing = plenair.bijdragen.filter(
            partij_id=item.partij_id, soort=item.soort, tekst=item.tekst
        ).first()
        return existing or bijdrage_add(
            tafel=plenair,
            partij=item.partij,
            soort=item.soort,
            tekst=item.tekst,
            gewicht=item.gewicht,
            breng_soort=item.breng_soort,
            toezegging=item.toezegging,
            vertrouwelijk=item.vertrouwelijk,
            actor=actor,
        )
    if kind == "vervolgstap":
        item = Vervolgstap.objects.filter(**mine).first()
        if item is None:
            raise ValidationError(_("This item is not on a tafel of this sessie."))
        plenair = plenair_tafel(sessie=sessie)
        existing = plenair.vervolgstappen.filter(title=item.title).first()
        if existing is not None:
            return existing
        with transaction.atomic():
            copy = vervolgstap_add(
                tafel=plenair,
                title=item.title,
                eigenaar=item.eigenaar,
                partijen=list(item.partijen.all()),
                datum=item.datum,
                actor=actor,
            )
            # The same vervolgstap, gathered: it goes on here, as it stands.
            Vervolgstap.objects.filter(pk=copy.pk).update(voorganger=item, status=item.status)
            copy.voorganger, copy.status = item, item.status
        return copy
    raise ValidationError(_("Only bijdragen and vervolgstappen can be carried."))


def _has_content(tafel: Tafel) -> bool:
    """Anything was ever written on the tafel's kaart: the rule the control room shows too
    (selectors.TafelOverview.has_content)."""
    return tafel.events.exists()
