"""The opgave as a tafel writes it on its kaart: its texts and partijen found missing, and
their undo."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from sessions.kinds import Change
from sessions.models import (
    OpgaveVersie,
    Partij,
    Tafel,
)
from sessions.services.changes import NothingToUndo, _lock, _record, undoes
from sessions.services.common import SYSTEM, Actor, _clean_text, sessie_changed
from sessions.services.opgaven import opgave_text_set, partij_add


def kaart_opgave_text_set(
    *, tafel: Tafel, veld: str, tekst: str, expected_version: int, actor: Actor = SYSTEM
) -> OpgaveVersie:
    """Edit the opgave's formulering, ambitie or verbindende vraag from a kaart (a new version)."""
    with transaction.atomic():
        _lock(tafel)
        opgave = tafel.sessie.opgave
        previous = opgave.versies.filter(veld=veld).order_by("-nummer").first()
        versie = opgave_text_set(
            opgave=opgave,
            veld=veld,
            tekst=tekst,
            expected_version=expected_version,
            sessie=tafel.sessie,
            actor=actor,
        )
        _record(
            tafel=tafel,
            kind=Change.OPGAVE_TEXT_SET,
            data={
                "veld": veld,
                "nummer": versie.nummer,
                "before": previous.tekst if previous else "",
            },
            actor=actor,
        )
        sessie_changed(tafel.sessie_id, "opgave", {"veld": veld, "tafel": tafel.pk})
    return versie


def kaart_partij_add_missing(
    *, tafel: Tafel, name: str, toelichting: str = "", actor: Actor = SYSTEM
) -> Partij:
    """A participant notes a partij that is missing from the table (status ontbreekt)."""
    with transaction.atomic():
        _lock(tafel)
        partij = partij_add(
            opgave=tafel.sessie.opgave,
            name=name,
            status=Partij.Status.ONTBREEKT,
            toelichting=_clean_text(
                toelichting, field="toelichting", required=False, max_length=500
            ),
        )
        _record(tafel=tafel, kind=Change.PARTIJ_ADDED, data={"id": partij.pk}, actor=actor)
        sessie_changed(tafel.sessie_id, "partijen", {"tafel": tafel.pk})
    return partij


@undoes(Change.OPGAVE_TEXT_SET)
def _undo_opgave_text_set(tafel: Tafel, data: dict, actor: Actor) -> dict:
    opgave = tafel.sessie.opgave
    latest = opgave.versies.filter(veld=data["veld"]).aggregate(n=Max("nummer"))["n"]
    if latest != data["nummer"]:
        raise NothingToUndo(_("Someone else changed this since; it cannot be undone."))
    OpgaveVersie.objects.create(
        opgave=opgave,
        veld=data["veld"],
        nummer=latest + 1,
        tekst=data["before"],
        sessie=tafel.sessie,
        author_name=actor.name,
        author_user=actor.user,
        author_deelnemer=actor.deelnemer,
    )
    veld = data["veld"]
    sessie_changed(tafel.sessie_id, "opgave", {"veld": veld, "tafel": tafel.pk})
    return {"veld": veld}


@undoes(Change.PARTIJ_ADDED)
def _undo_partij_added(tafel: Tafel, data: dict, actor: Actor) -> dict:
    partij = Partij.objects.filter(pk=data["id"], opgave_id=tafel.sessie.opgave_id).first()
    if partij is None:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    if (
        partij.deelnemers.exists()
        or partij.bijdragen.exists()
        or partij.vervolgstappen_eigenaar.exists()
        or partij.vervolgstappen.exists()
    ):
        raise NothingToUndo(_("This partij is in use now; it cannot be undone."))
    partij.delete()
    sessie_changed(tafel.sessie_id, "partijen", {"tafel": tafel.pk})
    return {}
