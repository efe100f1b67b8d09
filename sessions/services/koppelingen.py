"""Koppelingen between a haal and a breng, and their undo."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sessions.kinds import Change
from sessions.models import (
    Bijdrage,
    Koppeling,
    Tafel,
)
from sessions.services.changes import NothingToUndo, _check_room, _item, _lock, _record, undoes
from sessions.services.common import SYSTEM, Actor


def koppeling_add(*, tafel: Tafel, haal_id: int, breng_id: int, actor: Actor = SYSTEM) -> Koppeling:
    """Link a haal of one partij to a breng of another partij on the same kaart."""
    with transaction.atomic():
        _lock(tafel)
        haal = _item(Bijdrage, tafel, haal_id, actor)
        breng = _item(Bijdrage, tafel, breng_id, actor)
        if haal.soort != Bijdrage.Soort.HAAL or breng.soort != Bijdrage.Soort.BRENG:
            raise ValidationError(_("A koppeling links a haal to a breng."), code="invalid")
        if haal.partij_id == breng.partij_id:
            raise ValidationError(
                _("A koppeling links two different partijen."), code="same_partij"
            )
        _check_room(tafel)
        if Koppeling.objects.filter(haal=haal, breng=breng).exists():
            raise ValidationError(_("These two are linked already."), code="unique")
        koppeling = Koppeling.objects.create(
            tafel=tafel, haal=haal, breng=breng, author=actor.deelnemer
        )
        _record(
            tafel=tafel,
            kind=Change.KOPPELING_ADDED,
            data={"id": koppeling.pk, "haal": haal.pk, "breng": breng.pk},
            actor=actor,
        )
    return koppeling


def koppeling_delete(*, tafel: Tafel, koppeling_id: int, actor: Actor = SYSTEM) -> None:
    with transaction.atomic():
        _lock(tafel)
        koppeling = _item(Koppeling, tafel, koppeling_id, actor)
        data = {"id": koppeling.pk, "haal": koppeling.haal_id, "breng": koppeling.breng_id}
        koppeling.delete()
        _record(tafel=tafel, kind=Change.KOPPELING_DELETED, data=data, actor=actor)


@undoes(Change.KOPPELING_ADDED)
def _undo_koppeling_added(tafel: Tafel, data: dict, actor: Actor) -> dict:
    # By its ends, which name one koppeling: an undone delete may have given it another id.
    koppeling = Koppeling.objects.filter(tafel=tafel, haal_id=data["haal"], breng_id=data["breng"])
    deleted, _details = koppeling.delete()
    if not deleted:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    return {}


@undoes(Change.KOPPELING_DELETED)
def _undo_koppeling_deleted(tafel: Tafel, data: dict, actor: Actor) -> dict:
    if tafel.bijdragen.filter(pk__in=[data["haal"], data["breng"]]).count() != 2:
        raise NothingToUndo(_("One of the linked items was deleted in the meantime."))
    # The same id again (when it is free), so the actor's adding it can be undone next.
    if not Koppeling.objects.filter(haal_id=data["haal"], breng_id=data["breng"]).exists():
        same_id = not Koppeling.objects.filter(pk=data["id"]).exists()
        Koppeling.objects.create(
            pk=data["id"] if same_id else None,
            tafel=tafel,
            haal_id=data["haal"],
            breng_id=data["breng"],
        )
    return {}
