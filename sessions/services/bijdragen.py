"""Halen and brengen on the kaart: add, edit, delete, move, and their undo."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from sessions import sql
from sessions.kinds import Change
from sessions.models import (
    GEWICHTEN,
    Bijdrage,
    Deelnemer,
    Koppeling,
    Partij,
    Tafel,
)
from sessions.services.changes import (
    NothingToUndo,
    _check_partij,
    _check_room,
    _check_version,
    _insert,
    _item,
    _lock,
    _record,
    _record_version,
    _secret,
    undoes,
)
from sessions.services.common import SYSTEM, Actor, _clean_text


def _bijdrage_fields(
    soort: str, tekst: str, gewicht: int, breng_soort: str, toezegging: str
) -> dict[str, Any]:
    tekst = _clean_text(tekst, field="tekst")
    if soort not in Bijdrage.Soort.values:
        raise ValidationError({"soort": _("Choose haal or breng.")}, code="invalid")
    if gewicht not in GEWICHTEN:
        raise ValidationError({"gewicht": _("The weight is 1, 2 or 3.")}, code="invalid")
    if soort == Bijdrage.Soort.BRENG:
        breng_soort = breng_soort or Bijdrage.BrengSoort.ANDERS
        toezegging = toezegging or Bijdrage.Toezegging.MOGELIJK
        if breng_soort not in Bijdrage.BrengSoort.values:
            raise ValidationError({"breng_soort": _("Unknown kind.")}, code="invalid")
        if toezegging not in Bijdrage.Toezegging.values:
            raise ValidationError({"toezegging": _("Unknown commitment.")}, code="invalid")
    else:
        breng_soort = toezegging = ""
    return {
        "tekst": tekst,
        "gewicht": gewicht,
        "breng_soort": breng_soort,
        "toezegging": toezegging,
    }


def bijdrage_add(
    *,
    tafel: Tafel,
    partij: Partij,
    soort: str,
    tekst: str,
    gewicht: int = 1,
    breng_soort: str = "",
    toezegging: str = "",
    vertrouwelijk: bool = False,
    actor: Actor = SYSTEM,
) -> Bijdrage:
    _check_partij(tafel, partij)
    fields = _bijdrage_fields(soort, tekst, gewicht, breng_soort, toezegging)
    with transaction.atomic():
        _lock(tafel)
        _check_room(tafel)
        last = sql.row(
            f"SELECT max(position) FROM {Bijdrage._meta.db_table}"
            " WHERE tafel_id = %s AND partij_id = %s AND soort = %s",
            [tafel.pk, partij.pk, soort],
        )[0]
        bijdrage = _insert(
            Bijdrage(
                tafel=tafel,
                partij=partij,
                soort=soort,
                vertrouwelijk=vertrouwelijk,
                position=0 if last is None else last + 1,
                author=actor.deelnemer,
                **fields,
            )
        )
        _record(
            tafel=tafel,
            kind=Change.BIJDRAGE_ADDED,
            data={"id": bijdrage.pk, "partij": partij.pk, "version": 1, **_secret(vertrouwelijk)},
            actor=actor,
            item=bijdrage,
        )
    return bijdrage


def bijdrage_edit(
    *,
    tafel: Tafel,
    bijdrage_id: int,
    expected_version: int | None,
    tekst: str,
    gewicht: int,
    breng_soort: str = "",
    toezegging: str = "",
    actor: Actor = SYSTEM,
) -> Bijdrage:
    """Change a bijdrage; refused when it was changed since the version the editor saw."""
    with transaction.atomic():
        _lock(tafel)
        bijdrage = _item(Bijdrage, tafel, bijdrage_id, actor)
        _check_version(bijdrage, expected_version, {"text": bijdrage.tekst})
        fields = _bijdrage_fields(bijdrage.soort, tekst, gewicht, breng_soort, toezegging)
        before = {name: getattr(bijdrage, name) for name in fields}
        if before == fields:
            return bijdrage
        for name, value in fields.items():
            setattr(bijdrage, name, value)
        bijdrage.version += 1
        bijdrage.save(update_fields=[*fields, "version", "updated_at"])
        # The koppelingen that show its text change with it: each is pushed in place.
        linked = list(
            Koppeling.objects.filter(Q(haal_id=bijdrage.pk) | Q(breng_id=bijdrage.pk))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        _record_version(
            tafel=tafel,
            kind=Change.BIJDRAGE_EDITED,
            item=bijdrage,
            before=before,
            actor=actor,
            linked=bool(linked),
            koppeling_ids=linked,
        )
    return bijdrage


def _bijdrage_snapshot(bijdrage: Bijdrage) -> dict[str, Any]:
    return {
        "partij": bijdrage.partij_id,
        "soort": bijdrage.soort,
        "tekst": bijdrage.tekst,
        "gewicht": bijdrage.gewicht,
        "breng_soort": bijdrage.breng_soort,
        "toezegging": bijdrage.toezegging,
        "vertrouwelijk": bijdrage.vertrouwelijk,
        "position": bijdrage.position,
        "author": bijdrage.author_id,
        "version": bijdrage.version,
    }


def bijdrage_delete(
    *, tafel: Tafel, bijdrage_id: int, expected_version: int | None = None, actor: Actor = SYSTEM
) -> None:
    """Delete a bijdrage and its koppelingen; refused if it changed since the deleter saw it."""
    with transaction.atomic():
        _lock(tafel)
        bijdrage = _item(Bijdrage, tafel, bijdrage_id, actor)
        _check_version(bijdrage, expected_version, {"text": bijdrage.tekst})
        koppelingen = list(
            Koppeling.objects.filter(tafel=tafel)
            .filter(Q(haal_id=bijdrage.pk) | Q(breng_id=bijdrage.pk))
            .order_by("pk")
            .values("pk", "haal_id", "breng_id")
        )
        snapshot = _bijdrage_snapshot(bijdrage)
        bijdrage.delete()
        _record(
            tafel=tafel,
            kind=Change.BIJDRAGE_DELETED,
            data={
                "id": bijdrage_id,
                "partij": snapshot["partij"],
                "snapshot": snapshot,
                "koppelingen": [[k["haal_id"], k["breng_id"]] for k in koppelingen],
                # Each goes with it: taken out of every page it was on.
                "koppeling_ids": [k["pk"] for k in koppelingen],
                **_secret(snapshot["vertrouwelijk"]),
            },
            actor=actor,
        )


def bijdrage_move(
    *, tafel: Tafel, bijdrage_id: int, direction: str, actor: Actor = SYSTEM
) -> Bijdrage:
    """Move a bijdrage one place up or down among the halen (or brengen) of its partij."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Move up or down.")}, code="invalid")
    with transaction.atomic():
        _lock(tafel)
        bijdrage = _item(Bijdrage, tafel, bijdrage_id, actor)
        other = _swap_with_neighbour(tafel, bijdrage, direction, actor)
        if other is None:
            return bijdrage
        _record(
            tafel=tafel,
            kind=Change.BIJDRAGE_MOVED,
            data={
                "id": bijdrage.pk,
                "partij": bijdrage.partij_id,
                "direction": direction,
                # The one it exchanged places with: the two are pushed (sessions/items.py).
                "with": other.pk,
                **_secret(bijdrage.vertrouwelijk),
            },
            actor=actor,
        )
    return bijdrage


def _swap_with_neighbour(
    tafel: Tafel, bijdrage: Bijdrage, direction: str, actor: Actor
) -> Bijdrage | None:
    """Swap a bijdrage with the nearest one above or below it that the actor sees (among its
    partij's halen or brengen), so that items hidden from them neither block nor reveal a
    move; returns that one. None when it is first or last already."""
    siblings = list(
        tafel.bijdragen.filter(partij_id=bijdrage.partij_id, soort=bijdrage.soort).order_by(
            "position", "id"
        )
    )
    seen = [i for i, b in enumerate(siblings) if b.pk == bijdrage.pk or actor.sees(b)]
    here = seen.index(next(i for i, b in enumerate(siblings) if b.pk == bijdrage.pk))
    there = here - 1 if direction == "up" else here + 1
    if not 0 <= there < len(seen):
        return None
    a, b = seen[here], seen[there]
    other = siblings[b]
    siblings[a], siblings[b] = siblings[b], siblings[a]
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position"])
    return other


@undoes(Change.BIJDRAGE_ADDED)
def _undo_bijdrage_added(tafel: Tafel, data: dict, actor: Actor) -> dict:
    bijdrage = Bijdrage.objects.filter(tafel=tafel, pk=data["id"]).first()
    if bijdrage is None:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    bijdrage.delete()
    return {"partij": data["partij"]}


@undoes(Change.BIJDRAGE_EDITED)
def _undo_bijdrage_edited(tafel: Tafel, data: dict, actor: Actor) -> dict:
    bijdrage = Bijdrage.objects.filter(tafel=tafel, pk=data["id"]).first()
    if bijdrage is None:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    for name, value in data["before"].items():
        setattr(bijdrage, name, value)
    bijdrage.version += 1
    bijdrage.save(update_fields=[*data["before"], "version", "updated_at"])
    return {"partij": data["partij"]}


@undoes(Change.BIJDRAGE_DELETED)
def _undo_bijdrage_deleted(tafel: Tafel, data: dict, actor: Actor) -> dict:
    snapshot = data["snapshot"]
    if not Partij.objects.filter(pk=snapshot["partij"]).exists():
        raise NothingToUndo(_("The partij of this item no longer exists."))
    # The same id and version again, so the actor's earlier changes to it can be undone too.
    same_id = not Bijdrage.objects.filter(pk=data["id"]).exists()
    bijdrage = Bijdrage.objects.create(
        pk=data["id"] if same_id else None,
        version=snapshot.get("version", 1),
        tafel=tafel,
        partij_id=snapshot["partij"],
        soort=snapshot["soort"],
        tekst=snapshot["tekst"],
        gewicht=snapshot["gewicht"],
        breng_soort=snapshot["breng_soort"],
        toezegging=snapshot["toezegging"],
        vertrouwelijk=snapshot["vertrouwelijk"],
        position=snapshot["position"],
        author_id=snapshot["author"]
        if Deelnemer.objects.filter(pk=snapshot["author"]).exists()
        else None,
    )
    existing = set(tafel.bijdragen.values_list("pk", flat=True))
    for haal_id, breng_id in data["koppelingen"]:
        haal_id = bijdrage.pk if haal_id == data["id"] else haal_id
        breng_id = bijdrage.pk if breng_id == data["id"] else breng_id
        if haal_id in existing and breng_id in existing:
            Koppeling.objects.get_or_create(tafel=tafel, haal_id=haal_id, breng_id=breng_id)
    return {"partij": snapshot["partij"], "id": bijdrage.pk}


@undoes(Change.BIJDRAGE_MOVED)
def _undo_bijdrage_moved(tafel: Tafel, data: dict, actor: Actor) -> dict:
    bijdrage = Bijdrage.objects.filter(tafel=tafel, pk=data["id"]).first()
    if bijdrage is None:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    _swap_with_neighbour(tafel, bijdrage, "down" if data["direction"] == "up" else "up", actor)
    return {"partij": data["partij"]}
