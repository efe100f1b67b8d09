"""Undo of one's own last kaart change, refused when someone else changed the item since.

How each kind is undone is registered beside its operation (services.changes.undoes)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from sessions.kinds import Change
from sessions.models import (
    KaartEvent,
    Tafel,
)
from sessions.services.changes import UNDO, NothingToUndo, _lock, _record
from sessions.services.common import Actor


def _own_events(tafel: Tafel, actor: Actor):
    events = tafel.events.all()
    if actor.deelnemer is not None:
        return events.filter(actor_deelnemer=actor.deelnemer)
    if actor.user is not None:
        return events.filter(actor_user=actor.user, actor_deelnemer__isnull=True)
    return events.none()


def undo_last(*, tafel: Tafel, actor: Actor) -> KaartEvent:
    """Undo the actor's own last change on this kaart that is not undone yet.

    Refused when someone else changed the item since: undo never overwrites another's work.
    """
    with transaction.atomic():
        _lock(tafel)
        undone = {
            e.data.get("undoes") for e in tafel.events.filter(kind=Change.UNDONE).only("data")
        }
        event = next(
            (
                e
                for e in _own_events(tafel, actor).exclude(kind=Change.UNDONE).order_by("-seq")
                if e.seq not in undone
            ),
            None,
        )
        if event is None or event.kind not in UNDO:
            raise NothingToUndo()
        if _touched_by_others_since(tafel, event, actor):
            raise NothingToUndo(_("Someone else changed this since; it cannot be undone."))
        regions = UNDO[event.kind](tafel, event.data, actor)
        return _record(
            tafel=tafel,
            kind=Change.UNDONE,
            data={"undoes": event.seq, "kind": event.kind, "item": _item_key(event), **regions},
            actor=actor,
        )


def _item_key(event: KaartEvent) -> str:
    """Which item an event changed: 'bijdrage:12', 'opgave:ambitie', ..."""
    if event.kind == "undone":
        return event.data.get("item", "")
    family = event.kind.split("_", 1)[0]
    ident = event.data.get("veld") if family == "opgave" else event.data.get("id")
    return f"{family}:{ident}"


def _touched_by_others_since(tafel: Tafel, event: KaartEvent, actor: Actor) -> bool:
    key = _item_key(event)
    later = tafel.events.filter(seq__gt=event.seq).exclude(pk__in=_own_events(tafel, actor))
    return any(_item_key(other) == key for other in later)
