"""Group names, event shapes and the only group_send of the project.

Redis is a doorbell, PostgreSQL is the truth: an event carries ids and the kaart's sequence
number, never a model; a kaart change may carry the HTML rendered from it at commit
(sessions.push), which a socket forwards or renders again from the database. Services call
these functions from transaction.on_commit only.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def tafel_group(tafel_id: int) -> str:
    return f"tafel.{tafel_id}"


def sessie_group(sessie_id: int) -> str:
    return f"sessie.{sessie_id}"


def watch_group(sessie_id: int) -> str:
    """The facilitators' screens of a sessie, which follow every tafel."""
    return f"sessie.{sessie_id}.watch"


_held = threading.local()


def _send(group: str, event: dict[str, Any]) -> None:
    box = getattr(_held, "box", None)
    if box is not None:
        box.append((group, event))
        return
    _ring(group, event)


def _ring(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group, event)


@contextmanager
def held() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The bells rung in this block (on this thread) are kept, not sent: a websocket consumer
    applies a change in the database's thread and rings them from its event loop afterwards
    (send_held), instead of crossing back into the loop for every bell."""
    previous = getattr(_held, "box", None)
    _held.box = box = []
    try:
        yield box
    finally:
        _held.box = previous


def send_now(box: list[tuple[str, dict[str, Any]]]) -> None:
    """Held bells, sent from a thread after all."""
    for group, event in box:
        _ring(group, event)


async def send_held(box: list[tuple[str, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group, event in box:
        await layer.group_send(group, event)


def kaart_changed(
    *,
    sessie_id: int,
    tafel_id: int,
    seq: int,
    kind: str,
    data: dict[str, Any],
    actor: str = "",
    by: str = "",
    html: dict[str, dict[str, str]] | None = None,
) -> None:
    """Tell every socket of a tafel that its kaart changed (event `seq` of the log, made by
    `actor`, the name the others see, who is `by`: services.Actor.key), and the
    facilitators' screens that it is active. `html`: the change's fragments as rendered at
    commit, per audience (sessions.push); never anything only some may see."""
    _send(
        tafel_group(tafel_id),
        {
            "type": "kaart.changed",
            "tafel_id": tafel_id,
            "seq": seq,
            "kind": kind,
            "data": data,
            "actor": actor,
            "by": by,
            "html": html or {},
        },
    )
    _send(watch_group(sessie_id), {"type": "tafel.activity", "tafel_id": tafel_id})


def sessie_changed(*, sessie_id: int, kind: str, data: dict[str, Any] | None = None) -> None:
    """Tell every socket of a sessie that the sessie itself changed (step, state, link)."""
    event = {"type": "sessie.changed", "sessie_id": sessie_id, "kind": kind, "data": data or {}}
    # `ring` tells one ring from the next: the sockets of a process render it once.
    _send(sessie_group(sessie_id), {**event, "ring": uuid.uuid4().hex})


def presence_changed(*, sessie_id: int, tafel_id: int) -> None:
    """Tell every socket of a tafel that who is present, or who edits what, changed."""
    # `ring` tells one ring from the next: the sockets of a process render it once.
    _send(
        tafel_group(tafel_id),
        {"type": "presence.changed", "tafel_id": tafel_id, "ring": uuid.uuid4().hex},
    )
    _send(watch_group(sessie_id), {"type": "tafel.activity", "tafel_id": tafel_id})
