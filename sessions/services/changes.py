"""The spine of every kaart change: the tafel locked, the change numbered and logged as an
event, the bell rung on commit; resends recognised by their nonce; the checks every item
change shares.

Each kaart change locks the tafel row first (then the item), so changes of one kaart are
serialised and numbered without gaps. The event's data holds what undo needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from sessions import broadcast
from sessions.kinds import Change
from sessions.models import (
    Bijdrage,
    KaartEvent,
    Koppeling,
    Partij,
    Tafel,
)
from sessions.services.common import Actor, StaleEdit


def _lock(tafel: Tafel) -> None:
    Tafel.objects.select_for_update().filter(pk=tafel.pk).first()


class AlreadyApplied(Exception):
    """The change with this nonce is in the log already: it was sent again (after its answer was
    lost). The transaction rolls back; the sender is told it was applied."""


NONCE_WINDOW = 1000  # a resend comes within the tafel's last this many changes


def change_applied(*, tafel: Tafel, nonce: str, before_seq: int | None = None) -> bool:
    """Whether the change the sender marked with `nonce` is in the tafel's recent log."""
    if not nonce:
        return False
    events = tafel.events.filter(data__nonce=nonce)
    if before_seq is not None:
        events = events.filter(seq__gt=before_seq - NONCE_WINDOW)
    return events.exists()


def _record(*, tafel: Tafel, kind: Change, data: dict[str, Any], actor: Actor) -> KaartEvent:
    """Append an event to the tafel's log (inside the caller's transaction, tafel locked) and
    ring the bell once the transaction commits."""
    kind = Change(kind).value
    seq = (tafel.events.aggregate(n=Max("seq"))["n"] or 0) + 1
    if actor.nonce:
        # Under the tafel's lock: of two copies of one message, one is applied.
        if change_applied(tafel=tafel, nonce=actor.nonce, before_seq=seq):
            raise AlreadyApplied
        data = {**data, "nonce": actor.nonce}
    event = KaartEvent.objects.create(
        tafel=tafel,
        seq=seq,
        kind=kind,
        data=data,
        actor_name=actor.name,
        actor_user=actor.user,
        actor_deelnemer=actor.deelnemer,
    )
    transaction.on_commit(
        lambda: broadcast.kaart_changed(
            sessie_id=tafel.sessie_id,
            tafel_id=tafel.pk,
            seq=seq,
            kind=kind,
            data=data,
            actor=actor.name,
            by=actor.key,
        )
    )
    return event


def _record_version(
    *,
    tafel: Tafel,
    kind: Change,
    item: Any,
    before: dict[str, Any] | None,
    actor: Actor,
    **extra: Any,
) -> KaartEvent:
    """Log a new version of an item of a partij (a bijdrage, a perspectief) with what it held
    before, which its undo puts back (and `extra` facts about the change)."""
    return _record(
        tafel=tafel,
        kind=kind,
        data={
            "id": item.pk,
            "partij": item.partij_id,
            "version": item.version,
            "before": before,
            **extra,
            **_secret(item.vertrouwelijk),
        },
        actor=actor,
    )


def _check_partij(tafel: Tafel, partij: Partij) -> None:
    if partij.opgave_id != tafel.sessie.opgave_id:
        raise ValidationError({"partij": _("This partij belongs to another opgave.")})


def _check_room(tafel: Tafel) -> None:
    items = tafel.bijdragen.count() + tafel.koppelingen.count() + tafel.vervolgstappen.count()
    if items >= settings.HB_MAX_ITEMS_PER_KAART:
        raise ValidationError(
            _("This kaart is full (%(limit)d items).") % {"limit": settings.HB_MAX_ITEMS_PER_KAART},
            code="full",
        )


def _secret(vertrouwelijk: bool) -> dict[str, bool]:
    """Marks the event of a vertrouwelijk item, so nobody is told who changed what there."""
    return {"vertrouwelijk": True} if vertrouwelijk else {}


def _check_version(item: Any, expected_version: int | None, current: dict[str, Any]) -> None:
    """Refuse an edit of an older version; the editor is shown `current` (what they may see)."""
    if expected_version is not None and expected_version != item.version:
        raise StaleEdit(current_version=item.version, current=current)


def _gone() -> ValidationError:
    return ValidationError(
        _("This item no longer exists; someone may have deleted it."), code="gone"
    )


def _item(model: type, tafel: Tafel, pk: int, actor: Actor) -> Any:
    """An item of this kaart as `actor` may see it, locked. An id of another kaart and an item
    the actor may not see (another's vertrouwelijk bijdrage, a koppeling to one) are missing:
    the same answer, so that guessing ids tells nothing."""
    item = model.objects.select_for_update().filter(tafel=tafel, pk=pk).first()
    if item is None:
        raise _gone()
    if isinstance(item, Bijdrage) and not actor.sees(item):
        raise _gone()
    if isinstance(item, Koppeling) and not all(
        actor.sees(end)
        for end in Bijdrage.objects.filter(pk__in=[item.haal_id, item.breng_id]).only(
            "vertrouwelijk", "author_id"
        )
    ):
        raise _gone()
    return item


class NothingToUndo(ValidationError):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("There is nothing of yours to undo."), code="nothing_to_undo")


# How each undoable kind of change is taken back (sessions/kinds.py): registered with
# @undoes beside the operation, in the item's own module; used by services/undo.py.
# An undo gets the undone event's data and returns what the "undone" event adds to it.
Undo = Callable[[Tafel, dict, Actor], dict]
UNDO: dict[Change, Undo] = {}


def undoes(kind: Change) -> Callable[[Undo], Undo]:
    def register(undo: Undo) -> Undo:
        UNDO[kind] = undo
        return undo

    return register
