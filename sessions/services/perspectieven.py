"""Each partij's perspectief on the opgave, its reveal, and its undo."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sessions.kinds import Change
from sessions.models import (
    URGENTIES,
    Partij,
    Perspectief,
    Tafel,
)
from sessions.services.changes import (
    NothingToUndo,
    _check_partij,
    _check_version,
    _lock,
    _record,
    _record_version,
    undoes,
)
from sessions.services.common import SYSTEM, Actor, StaleEdit, _clean_text


def perspectief_set(
    *,
    tafel: Tafel,
    partij: Partij,
    tekst: str,
    urgentie: int | None,
    vertrouwelijk: bool = False,
    expected_version: int | None = None,
    actor: Actor = SYSTEM,
) -> Perspectief:
    """Write a partij's perspectief on this kaart; it stays private until revealed."""
    _check_partij(tafel, partij)
    if actor.deelnemer is not None and actor.deelnemer.partij_id != partij.pk:
        raise ValidationError(_("Only the partij itself writes its perspectief."))
    tekst = _clean_text(tekst, field="tekst", required=False)
    if urgentie is not None and urgentie not in URGENTIES:
        raise ValidationError({"urgentie": _("Urgency is 1 to 5.")}, code="invalid")
    with transaction.atomic():
        _lock(tafel)
        perspectief = (
            Perspectief.objects.select_for_update().filter(tafel=tafel, partij=partij).first()
        )
        if perspectief is None:
            if expected_version not in (None, 0):
                raise StaleEdit(current_version=0)
            before = None
            perspectief = Perspectief.objects.create(
                tafel=tafel,
                partij=partij,
                tekst=tekst,
                urgentie=urgentie,
                vertrouwelijk=vertrouwelijk,
                author=actor.deelnemer,
            )
        else:
            if not actor.sees(perspectief):
                # One perspectief per partij: that one exists is on the kaart already ("written
                # privately"); what it says is not, and it is not theirs to overwrite.
                raise ValidationError(
                    _(
                        "Someone of your partij wrote this perspectief in confidence; only "
                        "they and the facilitator can change it."
                    ),
                    code="vertrouwelijk",
                )
            _check_version(
                perspectief,
                expected_version,
                {"text": perspectief.tekst, "urgentie": perspectief.urgentie},
            )
            before = {
                "tekst": perspectief.tekst,
                "urgentie": perspectief.urgentie,
                "vertrouwelijk": perspectief.vertrouwelijk,
            }
            if before == {"tekst": tekst, "urgentie": urgentie, "vertrouwelijk": vertrouwelijk}:
                return perspectief
            perspectief.tekst = tekst
            perspectief.urgentie = urgentie
            perspectief.vertrouwelijk = vertrouwelijk
            perspectief.version += 1
            perspectief.author = actor.deelnemer
            perspectief.save(
                update_fields=[
                    "tekst",
                    "urgentie",
                    "vertrouwelijk",
                    "version",
                    "author",
                    "updated_at",
                ]
            )
        _record_version(
            tafel=tafel, kind=Change.PERSPECTIEF_SET, item=perspectief, before=before, actor=actor
        )
    return perspectief


def perspectieven_reveal(*, tafel: Tafel, actor: Actor = SYSTEM) -> int:
    """Reveal the private perspectieven of a tafel to everyone at it; returns how many."""
    with transaction.atomic():
        _lock(tafel)
        hidden = tafel.perspectieven.filter(revealed=False)
        partijen = sorted(hidden.values_list("partij_id", flat=True))
        revealed = hidden.update(revealed=True)
        if revealed:
            _record(
                tafel=tafel,
                kind=Change.PERSPECTIEVEN_REVEALED,
                data={"partijen": partijen},
                actor=actor,
            )
    return revealed


@undoes(Change.PERSPECTIEF_SET)
def _undo_perspectief_set(tafel: Tafel, data: dict, actor: Actor) -> dict:
    perspectief = Perspectief.objects.filter(tafel=tafel, pk=data["id"]).first()
    if perspectief is None:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    if data["before"] is None:
        perspectief.delete()
    else:
        perspectief.tekst = data["before"]["tekst"]
        perspectief.urgentie = data["before"]["urgentie"]
        perspectief.vertrouwelijk = data["before"].get("vertrouwelijk", perspectief.vertrouwelijk)
        perspectief.version += 1
        perspectief.save(
            update_fields=["tekst", "urgentie", "vertrouwelijk", "version", "updated_at"]
        )
    return {"partij": data["partij"]}
