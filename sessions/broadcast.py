"""Group names, event shapes and the only group_send of the project.

Redis is a doorbell, PostgreSQL is the truth: an event carries ids and the kaart's sequence
number, never a model; a kaart change may carry the HTML rendered from it at commit
(sessions.push), which a socket forwards or renders again from the database. Services call
these functions from transaction.on_commit only.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)


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
        if event["type"] == "tafel.activity":
            activity.add(layer, group, event["tafel_id"])
        else:
            await layer.group_send(group, event)


class Gathered:
    """Per process: the facilitators' activity bells of the changes its sockets applied, sent
    as one bell per watch group and window (half of HB_ACTIVITY_DELAY) naming every tafel that
    changed in it, instead of a bell per change. A control room draws a tafel's line at most
    once per HB_ACTIVITY_DELAY anyway (SessieConsumer.tafel_activity)."""

    def __init__(self) -> None:
        self._due: dict[str, tuple[asyncio.AbstractEventLoop, set[int]]] = {}
        self._ringing: set[asyncio.Task] = set()

    def add(self, layer: Any, group: str, tafel_id: int) -> None:
        loop = asyncio.get_running_loop()
        entry = self._due.get(group)
        if entry is None or entry[0] is not loop:  # none yet, or left by an ended loop (tests)
            entry = self._due[group] = (loop, set())
            loop.call_later(settings.HB_ACTIVITY_DELAY / 2, self._fire, layer, group, entry)
        entry[1].add(tafel_id)

    def _fire(self, layer: Any, group: str, entry: tuple) -> None:
        task = entry[0].create_task(self._ring(layer, group, entry))
        self._ringing.add(task)  # kept until done: the loop holds tasks weakly
        task.add_done_callback(self._ringing.discard)

    async def _ring(self, layer: Any, group: str, entry: tuple) -> None:
        if self._due.get(group) is entry:
            del self._due[group]
        try:
            await layer.group_send(group, {"type": "tafel.activity", "tafel_ids": sorted(entry[1])})
        except Exception:  # noqa: BLE001 - Redis away: the room's ping draws it again
            logger.warning("activity bell for %s not sent", group, exc_info=True)


activity = Gathered()


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
        changed_event(
            tafel_id=tafel_id, seq=seq, kind=kind, data=data, actor=actor, by=by, html=html
        ),
    )
    _send(watch_group(sessie_id), {"type": "tafel.activity", "tafel_id": tafel_id})


def changed_event(
    *,
    tafel_id: int,
    seq: int,
    kind: str,
    data: dict[str, Any],
    actor: str = "",
    by: str = "",
    html: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The bell of a kaart's change (kaart_changed), also as a socket rebuilds it from the
    log for a bell that did not come."""
    return {
        "type": "kaart.changed",
        "tafel_id": tafel_id,
        "seq": seq,
        "kind": kind,
        "data": data,
        "actor": actor,
        "by": by,
        "html": html or {},
    }


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
