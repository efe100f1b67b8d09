"""Vervolgstappen (step 3), their undo, and their follow-up across sessies."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from sessions.kinds import Change
from sessions.models import (
    Partij,
    Tafel,
    Vervolgstap,
    VervolgstapUpdate,
)
from sessions.services.changes import (
    NothingToUndo,
    _check_room,
    _check_version,
    _item,
    _lock,
    _record,
    undoes,
)
from sessions.services.common import SYSTEM, Actor, _clean_text


def _vervolgstap_fields(
    tafel: Tafel,
    title: str,
    eigenaar_id: int,
    partij_ids: list[int] | tuple[int, ...],
    datum: datetime.date | None,
) -> dict[str, Any]:
    title = _clean_text(title, field="title", max_length=300)
    opgave_partijen = set(
        Partij.objects.filter(opgave_id=tafel.sessie.opgave_id).values_list("pk", flat=True)
    )
    if eigenaar_id not in opgave_partijen:
        raise ValidationError({"eigenaar": _("Choose the owner among the partijen.")})
    partij_ids = sorted(set(partij_ids) - {eigenaar_id})
    if not set(partij_ids) <= opgave_partijen:
        raise ValidationError({"partijen": _("Unknown partij.")}, code="invalid")
    return {"title": title, "eigenaar_id": eigenaar_id, "partijen": partij_ids, "datum": datum}


def _vervolgstap_state(stap: Vervolgstap) -> dict[str, Any]:
    return {
        "title": stap.title,
        "eigenaar_id": stap.eigenaar_id,
        "partijen": sorted(p.pk for p in stap.partijen.all()),
        "datum": stap.datum.isoformat() if stap.datum else None,
    }


def vervolgstap_add(
    *,
    tafel: Tafel,
    title: str,
    eigenaar: Partij,
    partijen: list[Partij] | tuple[Partij, ...] = (),
    datum: datetime.date | None = None,
    actor: Actor = SYSTEM,
) -> Vervolgstap:
    fields = _vervolgstap_fields(tafel, title, eigenaar.pk, [p.pk for p in partijen], datum)
    with transaction.atomic():
        _lock(tafel)
        _check_room(tafel)
        last = tafel.vervolgstappen.aggregate(n=Max("position"))["n"]
        partij_ids = fields.pop("partijen")
        stap = Vervolgstap.objects.create(
            tafel=tafel,
            position=0 if last is None else last + 1,
            author=actor.deelnemer,
            **fields,
        )
        stap.partijen.set(partij_ids)
        _record(
            tafel=tafel,
            kind=Change.VERVOLGSTAP_ADDED,
            data={"id": stap.pk, "version": 1},
            actor=actor,
        )
    return stap


def vervolgstap_edit(
    *,
    tafel: Tafel,
    vervolgstap_id: int,
    expected_version: int | None,
    title: str,
    eigenaar_id: int,
    partij_ids: list[int] | tuple[int, ...] = (),
    datum: datetime.date | None = None,
    actor: Actor = SYSTEM,
) -> Vervolgstap:
    fields = _vervolgstap_fields(tafel, title, eigenaar_id, partij_ids, datum)
    with transaction.atomic():
        _lock(tafel)
        stap = _item(Vervolgstap, tafel, vervolgstap_id, actor)
        _check_version(stap, expected_version, {"text": stap.title})
        before = _vervolgstap_state(stap)
        after = {**fields, "datum": datum.isoformat() if datum else None}
        if before == after:
            return stap
        stap.title, stap.eigenaar_id, stap.datum = fields["title"], eigenaar_id, datum
        stap.version += 1
        stap.save(update_fields=["title", "eigenaar", "datum", "version"])
        stap.partijen.set(fields["partijen"])
        _record(
            tafel=tafel,
            kind=Change.VERVOLGSTAP_EDITED,
            data={"id": stap.pk, "version": stap.version, "before": before},
            actor=actor,
        )
    return stap


def vervolgstap_delete(
    *,
    tafel: Tafel,
    vervolgstap_id: int,
    expected_version: int | None = None,
    actor: Actor = SYSTEM,
) -> None:
    with transaction.atomic():
        _lock(tafel)
        stap = _item(Vervolgstap, tafel, vervolgstap_id, actor)
        _check_version(stap, expected_version, {"text": stap.title})
        snapshot = {**_vervolgstap_state(stap), "position": stap.position, "version": stap.version}
        stap.delete()
        _record(
            tafel=tafel,
            kind=Change.VERVOLGSTAP_DELETED,
            data={"id": vervolgstap_id, "snapshot": snapshot},
            actor=actor,
        )


@undoes(Change.VERVOLGSTAP_ADDED)
def _undo_vervolgstap_added(tafel: Tafel, data: dict, actor: Actor) -> dict:
    stap = Vervolgstap.objects.filter(tafel=tafel, pk=data["id"]).first()
    if stap is None:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    stap.delete()
    return {}


def _restore_vervolgstap(stap: Vervolgstap, state: dict) -> None:
    stap.title = state["title"]
    stap.eigenaar_id = state["eigenaar_id"]
    stap.datum = datetime.date.fromisoformat(state["datum"]) if state["datum"] else None


@undoes(Change.VERVOLGSTAP_EDITED)
def _undo_vervolgstap_edited(tafel: Tafel, data: dict, actor: Actor) -> dict:
    stap = Vervolgstap.objects.filter(tafel=tafel, pk=data["id"]).first()
    if stap is None:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    _restore_vervolgstap(stap, data["before"])
    stap.version += 1
    stap.save(update_fields=["title", "eigenaar", "datum", "version"])
    stap.partijen.set(data["before"]["partijen"])
    return {}


@undoes(Change.VERVOLGSTAP_DELETED)
def _undo_vervolgstap_deleted(tafel: Tafel, data: dict, actor: Actor) -> dict:
    snapshot = data["snapshot"]
    same_id = not Vervolgstap.objects.filter(pk=data["id"]).exists()
    stap = Vervolgstap(
        pk=data["id"] if same_id else None,
        tafel=tafel,
        position=snapshot["position"],
        version=snapshot.get("version", 1),
    )
    _restore_vervolgstap(stap, snapshot)
    stap.save()
    stap.partijen.set(snapshot["partijen"])
    return {}


def vervolgstap_follow_up(
    *,
    opgave_id: int,
    vervolgstap_id: int,
    status: str,
    tekst: str = "",
    tafel: Tafel | None = None,
    actor: Actor = SYSTEM,
) -> VervolgstapUpdate:
    """Log how a vervolgstap of the opgave goes: its status from now on and a short update
    (at least one of the two must say something new). A change of the kaart it stands on,
    live there like any other; from that kaart (`tafel`) only a vervolgstap on it."""
    if status not in Vervolgstap.Status.values:
        raise ValidationError({"status": _("Unknown status.")}, code="invalid")
    tekst = _clean_text(tekst, field="tekst", required=False, max_length=2000)
    where = Vervolgstap.objects.filter(pk=vervolgstap_id, tafel__sessie__opgave_id=opgave_id)
    if tafel is not None:
        where = where.filter(tafel=tafel)
    tafel_id = where.values_list("tafel_id", flat=True).first()
    if tafel_id is None:
        raise _gone_stap()
    kaart = tafel if tafel is not None else Tafel.objects.select_related("sessie").get(pk=tafel_id)
    with transaction.atomic():
        _lock(kaart)
        stap = Vervolgstap.objects.filter(pk=vervolgstap_id, tafel=kaart).first()
        if stap is None:  # deleted (or moved) since
            raise _gone_stap()
        if status == stap.status and not tekst:
            raise ValidationError(
                {"tekst": _("Choose another status or write what happened.")}, code="required"
            )
        before = stap.status
        stap.status = status
        stap.save(update_fields=["status"])
        update = VervolgstapUpdate.objects.create(
            vervolgstap=stap,
            status=status,
            tekst=tekst,
            author_name=actor.name,
            author_user=actor.user,
        )
        _record(
            tafel=kaart,
            kind=Change.VERVOLGSTAP_FOLLOWED,
            data={"id": stap.pk, "update": update.pk, "before": before},
            actor=actor,
        )
    return update


def _gone_stap() -> ValidationError:
    return ValidationError(
        _("This vervolgstap no longer exists; someone may have deleted it."), code="gone"
    )


@undoes(Change.VERVOLGSTAP_FOLLOWED)
def _undo_vervolgstap_followed(tafel: Tafel, data: dict, actor: Actor) -> dict:
    stap = Vervolgstap.objects.filter(tafel=tafel, pk=data["id"]).first()
    if stap is None:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    VervolgstapUpdate.objects.filter(pk=data["update"], vervolgstap=stap).delete()
    stap.status = data["before"]
    stap.save(update_fields=["status"])
    return {}
