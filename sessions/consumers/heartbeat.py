"""When a kaart page gets the whole card instead of a piece: the decisions of the heartbeat and
of a bell, as plain functions of sequence numbers (docs/protocol.md, "Nothing missed"); and
the heartbeats' "still here", written to the database together (LastSeen).

`sent` is the number of the last change this socket sent the page; `page_had` what it had sent
by the previous heartbeat (a heartbeat may overtake newer changes still on their way).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.db import DatabaseError

from sessions import services
from sessions.consumers.edge import database_work

logger = logging.getLogger(__name__)


def already_sent(seq: int, sent: int) -> bool:
    """A bell for a change the page got already (in a whole card)."""
    return seq <= sent


def bell_missed(seq: int, sent: int) -> bool:
    """A bell that skips a number: one before it was lost, so the page gets the truth."""
    return seq > sent + 1


def heartbeat_wants_whole_card(
    *,
    page_seq: Any,
    sent: int,
    page_had: int,
    overdue: bool,
    page_before: Any = None,
    sent_before: int | None = None,
) -> bool:
    """Whether a heartbeat from a page that says it has `page_seq` is answered with the whole
    card: the number is not one; the page knows more than this socket sent it (another
    process, a restart); what was sent before the last heartbeat has still not arrived while
    the page's number has not moved since its previous heartbeat (`page_before`): a push lost
    on the page, not a queue; or the log holds a change this socket was never sent, older
    than a bell takes (`overdue`), while the socket sent nothing since the previous heartbeat
    (`sent_before`): a lost bell, not a queue. Otherwise the page is up to date or its pushes
    are on their way (under load the queue can be longer than a heartbeat: the numbers still
    move), and the whole card would only lengthen the queue."""
    if not _a_number(page_seq):
        return True
    if page_seq > sent or (overdue and (sent_before is None or sent == sent_before)):
        return True
    still_arriving = _a_number(page_before) and page_seq > page_before
    return page_seq < page_had and not still_arriving


def _a_number(seq: Any) -> bool:
    """Whether a page's number is one a page can have (0 before any change)."""
    return isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0


class LastSeen:
    """Per process: the connections whose heartbeat came, marked present in one UPDATE at most
    every FLUSH_SECONDS (a page beats every 15 s; it leaves the list after PRESENCE_TTL, 60 s,
    without one), instead of one write per heartbeat."""

    FLUSH_SECONDS = 5.0

    def __init__(self) -> None:
        self._names: set[str] = set()
        self._task: asyncio.Task | None = None

    def add(self, channel_name: str) -> None:
        self._names.add(channel_name)
        loop = asyncio.get_running_loop()
        # A task of an event loop that has ended never finishes (tests run one per test).
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        names, self._names = self._names, set()
        if not names:
            return
        try:
            await database_work(services.presence_seen)(channel_names=names)
        except DatabaseError:
            logger.warning("heartbeats not written: the database is away")


last_seen = LastSeen()
