"""Werkgroepen for step 3: from the vervolgstappen of the sessie's plenary kaart (its tafels'
while it has none: selectors.werkgroep_choices) the facilitator forms one tafel per chosen
vervolgstap, and the participants are seated by their partij being its owner or taking part in
it (sessions.tafelindeling.seat_werkgroepen).

A werkgroep's kaart starts with its vervolgstap (a copy that continues it, so its follow-up
goes on there) and the brengen of the partijen it names, from the kaart it was chosen on and,
for the plenary kaart, the sessie's tafels: the werkgroep works out the goal, what each brings
to it, the first actions and who is still needed. Forming again keeps the werkgroepen that
exist and their kaarten, and seats everyone anew."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sessions.models import Bijdrage, Sessie, Tafel, Vervolgstap
from sessions.selectors import werkgroep_choices
from sessions.services.carry import carry_onto
from sessions.services.common import SYSTEM, Actor
from sessions.services.sessies import _sessie_changed, deelnemer_move, seat_all, tafel_add
from sessions.tafelindeling import seat_werkgroepen

MAX_WERKGROEPEN = 30  # as many as a sessie starts with tafels at most


def werkgroepen_form(*, sessie: Sessie, stap_ids: list[int], actor: Actor = SYSTEM) -> list[Tafel]:
    """A werkgroep (a tafel) for each of these vervolgstappen of the sessie, and everyone
    seated anew: at a werkgroep their partij owns or takes part in, or at none (to choose one
    on the waiting page). The werkgroepen, in the order of the vervolgstappen."""
    wanted = set(stap_ids)
    stappen = [stap for stap in werkgroep_choices(sessie) if stap.pk in wanted]
    if not stappen or len(stappen) != len(wanted):
        raise ValidationError(_("Choose one or more vervolgstappen of this sessie's kaarten."))
    if len(stappen) > MAX_WERKGROEPEN:
        raise ValidationError(_("At most %(max)d werkgroepen at once.") % {"max": MAX_WERKGROEPEN})
    with transaction.atomic():
        Sessie.objects.select_for_update().filter(pk=sessie.pk).first()
        werkgroepen = [_werkgroep(sessie, stap, actor) for stap in stappen]
        deelnemers = list(sessie.deelnemers.filter(revoked=False).order_by("joined_at", "pk"))
        seat = seat_werkgroepen(
            [(d.pk, d.partij_id) for d in deelnemers],
            [
                (tafel.pk, stap.eigenaar_id, [p.pk for p in stap.partijen.all()])
                for tafel, stap in zip(werkgroepen, stappen, strict=True)
            ],
        )
        seat_all(deelnemers, seat)
        _sessie_changed(sessie, "tafels")
    return werkgroepen


def _werkgroep(sessie: Sessie, stap: Vervolgstap, actor: Actor) -> Tafel:
    """The werkgroep of this vervolgstap: the one formed before, or a new tafel whose kaart
    starts with the vervolgstap and the brengen of the partijen it names."""
    tafel = sessie.tafels.filter(werkgroep=stap).first()
    if tafel is not None:
        return tafel
    tafel = tafel_add(sessie=sessie, name=stap.title[: Tafel._meta.get_field("name").max_length])
    tafel.werkgroep = stap
    tafel.save(update_fields=["werkgroep"])
    involved = {stap.eigenaar_id, *(p.pk for p in stap.partijen.all())}
    # What the partijen it names bring: on the kaart it was chosen on and, for the plenary
    # kaart, on the sessie's tafels too (each breng once).
    kaarten = [stap.tafel_id]
    if stap.tafel.plenair:
        kaarten += sessie.tafels.filter(plenair=False, werkgroep__isnull=True).values_list(
            "pk", flat=True
        )
    brengen, seen = [], set()
    for breng in Bijdrage.objects.filter(
        tafel_id__in=kaarten, soort=Bijdrage.Soort.BRENG, partij_id__in=involved
    ).order_by("partij", "position", "id"):
        key = (breng.partij_id, breng.tekst.strip().casefold())
        if key not in seen:
            seen.add(key)
            brengen.append(breng)
    brengen.sort(key=lambda b: (b.tafel_id != stap.tafel_id, b.partij_id, b.position, b.pk))
    carry_onto(
        tafel,
        herkomst=None,  # from this sessie: nothing to mark
        data={"from": sessie.pk, "tafel": stap.tafel_id, "werkgroep": stap.pk},
        actor=actor,
        bijdragen=brengen,
        stappen=[stap],
    )
    return tafel


def werkgroep_choose(*, deelnemer, tafel: Tafel) -> None:
    """A participant nobody seated chooses a werkgroep of their sessie themselves."""
    if tafel.werkgroep_id is None or tafel.sessie_id != deelnemer.sessie_id:
        raise ValidationError(_("Choose a werkgroep of this sessie."))
    if deelnemer.tafel_id is not None:
        raise ValidationError(_("You are seated already; the facilitator can move you."))
    deelnemer_move(deelnemer=deelnemer, tafel=tafel)
