"""A lopend proces: a new sessie started from a kaart of an earlier one. Its items are carried
onto the new kaarten (each new tafel's, or the plenary), each marked with the sessie it came
from; the earlier kaart is only read.

What is carried: the perspectieven, the halen and brengen, the koppelingen between them, and the
vervolgstappen still underway (open or bezig), which go on there: each new one continues its
earlier one (`voorganger`), so its follow-up is read across the sessies. Items keep their
author and confidentiality: a vertrouwelijk item stays seen by the facilitators alone (its
author joined the earlier sessie, not this one)."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from sessions.kinds import Change
from sessions.models import (
    Bijdrage,
    Koppeling,
    Perspectief,
    Sessie,
    Tafel,
    Vervolgstap,
)
from sessions.services.changes import _lock, _record
from sessions.services.common import SYSTEM, Actor
from sessions.services.sessies import plenair_tafel

ONTO_TAFELS = "tafels"
ONTO_PLENAIR = "plenair"


def carry_sources(opgave_id: int, *, besides: Sessie | None = None) -> list[Tafel]:
    """The kaarten a new sessie of the opgave can start from: those of its sessies (besides
    the new one) that hold an item, newest sessie first, its plenary kaart before its tafels."""
    tafels = (
        Tafel.objects.filter(sessie__opgave_id=opgave_id)
        .exclude(sessie=besides)
        .filter(events__isnull=False)
        .distinct()
        .select_related("sessie")
        .order_by("-sessie__created_at", "-sessie_id", "-plenair", "nummer")
    )
    return [t for t in tafels if _items(t)]


def _items(tafel: Tafel) -> int:
    return (
        tafel.perspectieven.count()
        + tafel.bijdragen.count()
        + tafel.vervolgstappen.filter(status__in=Vervolgstap.UNDERWAY).count()
    )


def kaart_carry(
    *, sessie: Sessie, bron: Tafel, onto: str = ONTO_TAFELS, actor: Actor = SYSTEM
) -> list[Tafel]:
    """Carry the items of `bron`, a kaart of an earlier sessie of the same opgave, onto every
    tafel of `sessie` (or its plenary kaart); the kaarten written to. Refused whole when a
    kaart would hold more than HB_MAX_ITEMS_PER_KAART items."""
    if bron.sessie.opgave_id != sessie.opgave_id or bron.sessie_id == sessie.pk:
        raise ValidationError(_("Choose a kaart of an earlier sessie of this opgave."))
    if onto not in (ONTO_TAFELS, ONTO_PLENAIR):
        raise ValidationError(_("Choose where the items go."))
    perspectieven = list(bron.perspectieven.all())
    bijdragen = list(bron.bijdragen.order_by("partij", "soort", "position", "id"))
    koppelingen = list(bron.koppelingen.all())
    stappen = list(
        bron.vervolgstappen.filter(status__in=Vervolgstap.UNDERWAY)
        .prefetch_related("partijen")
        .order_by("position", "id")
    )
    with transaction.atomic():
        if onto == ONTO_PLENAIR:
            targets = [plenair_tafel(sessie=sessie)]
        else:
            targets = list(sessie.tafels.filter(plenair=False).order_by("nummer"))
        for tafel in targets:
            carry_onto(
                tafel,
                herkomst=bron.sessie_id,
                data={"from": bron.sessie_id, "tafel": bron.pk},
                actor=actor,
                perspectieven=perspectieven,
                bijdragen=bijdragen,
                koppelingen=koppelingen,
                stappen=stappen,
            )
    return targets


def carry_onto(
    tafel: Tafel,
    *,
    herkomst: int | None,
    data: dict,
    actor: Actor,
    perspectieven=(),
    bijdragen=(),
    koppelingen=(),
    stappen=(),
) -> None:
    """Copies of these items on `tafel`'s kaart, after what it holds, marked with `herkomst`
    (a sessie's id, or None); one kaart_carried change with `data`. Koppelingen only between
    bijdragen copied with them; each vervolgstap copied continues the one it copies."""
    _lock(tafel)
    existing = tafel.bijdragen.count() + tafel.koppelingen.count() + tafel.vervolgstappen.count()
    if existing + len(bijdragen) + len(koppelingen) + len(stappen) > (
        settings.HB_MAX_ITEMS_PER_KAART
    ):
        raise ValidationError(
            _("This would make a kaart hold more than %(limit)d items.")
            % {"limit": settings.HB_MAX_ITEMS_PER_KAART},
            code="full",
        )
    # A partij's perspectief already written here stays; the earlier one is not carried.
    written = set(tafel.perspectieven.values_list("partij_id", flat=True))
    Perspectief.objects.bulk_create(
        Perspectief(
            tafel=tafel,
            partij_id=p.partij_id,
            tekst=p.tekst,
            urgentie=p.urgentie,
            revealed=p.revealed,
            vertrouwelijk=p.vertrouwelijk,
            author_id=p.author_id,
            herkomst_id=herkomst,
        )
        for p in perspectieven
        if p.partij_id not in written
    )
    # After what the kaart holds already, in the earlier order.
    after = defaultdict(
        lambda: -1,
        {
            (row["partij_id"], row["soort"]): row["last"]
            for row in tafel.bijdragen.values("partij_id", "soort").annotate(last=Max("position"))
        },
    )
    copies = []
    for b in bijdragen:
        key = (b.partij_id, b.soort)
        after[key] += 1
        copies.append(
            Bijdrage(
                tafel=tafel,
                partij_id=b.partij_id,
                soort=b.soort,
                tekst=b.tekst,
                gewicht=b.gewicht,
                breng_soort=b.breng_soort,
                toezegging=b.toezegging,
                vertrouwelijk=b.vertrouwelijk,
                position=after[key],
                author_id=b.author_id,
                herkomst_id=herkomst,
            )
        )
    Bijdrage.objects.bulk_create(copies)
    copy_of = {b.pk: copy.pk for b, copy in zip(bijdragen, copies, strict=True)}
    Koppeling.objects.bulk_create(
        Koppeling(
            tafel=tafel,
            haal_id=copy_of[k.haal_id],
            breng_id=copy_of[k.breng_id],
            author_id=k.author_id,
            herkomst_id=herkomst,
        )
        for k in koppelingen
        if k.haal_id in copy_of and k.breng_id in copy_of
    )
    first = (tafel.vervolgstappen.aggregate(n=Max("position"))["n"] or -1) + 1
    nieuw = Vervolgstap.objects.bulk_create(
        Vervolgstap(
            tafel=tafel,
            title=s.title,
            eigenaar_id=s.eigenaar_id,
            datum=s.datum,
            status=s.status,
            position=first + i,
            author_id=s.author_id,
            herkomst_id=herkomst,
            voorganger_id=s.pk,
        )
        for i, s in enumerate(stappen)
    )
    Vervolgstap.partijen.through.objects.bulk_create(
        Vervolgstap.partijen.through(vervolgstap_id=new.pk, partij_id=p.pk)
        for old, new in zip(stappen, nieuw, strict=True)
        for p in old.partijen.all()
    )
    _record(tafel=tafel, kind=Change.KAART_CARRIED, data=data, actor=actor)


def provenance_set(
    *,
    herkomst: list[tuple[Perspectief | Bijdrage | Koppeling | Vervolgstap, Sessie]],
    voorgangers: list[tuple[Vervolgstap, Vervolgstap]] = (),
    werkgroepen: list[tuple[Tafel, Vervolgstap]] = (),
) -> None:
    """Mark items as carried from a sessie, vervolgstappen as continuing others, and tafels as
    the werkgroepen of vervolgstappen, as a document says they were (the importer: an export
    of a lopend proces, read back)."""
    with transaction.atomic():
        for item, sessie in herkomst:
            type(item).objects.filter(pk=item.pk).update(herkomst=sessie)
            item.herkomst = sessie
        for stap, voorganger in voorgangers:
            if voorganger.tafel.sessie.opgave_id != stap.tafel.sessie.opgave_id:
                raise ValidationError(_("A vervolgstap continues one of its own opgave only."))
            Vervolgstap.objects.filter(pk=stap.pk).update(voorganger=voorganger)
            stap.voorganger = voorganger
        for tafel, stap in werkgroepen:
            if stap.tafel.sessie_id != tafel.sessie_id:
                raise ValidationError(_("A werkgroep works out a vervolgstap of its own sessie."))
            Tafel.objects.filter(pk=tafel.pk).update(werkgroep=stap)
            tafel.werkgroep = stap
