"""When a kaart page gets the whole card instead of a piece: the decisions of the heartbeat and
of a bell, as plain functions of sequence numbers (docs/protocol.md, "Nothing missed").

`sent` is the number of the last change this socket sent the page; `page_had` what it had sent
by the previous heartbeat (a heartbeat may overtake newer changes still on their way).
"""

from __future__ import annotations

from typing import Any


def already_sent(seq: int, sent: int) -> bool:
    """A bell for a change the page got already (in a whole card)."""
    return seq <= sent


def bell_missed(seq: int, sent: int) -> bool:
    """A bell that skips a number: one before it was lost, so the page gets the truth."""
    return seq > sent + 1


def heartbeat_wants_whole_card(*, page_seq: Any, sent: int, page_had: int, overdue: bool) -> bool:
    """Whether a heartbeat from a page that says it has `page_seq` is answered with the whole
    card: the number is not one; the page knows more than this socket sent it (another
    process, a restart); what was sent before the last heartbeat has still not arrived; or
    the log holds a change this socket was never sent, older than a bell takes (`overdue`).
    Otherwise the page is up to date or its pushes are on their way (under load the queue can
    be longer than a heartbeat), and the whole card would only lengthen the queue."""
    if not isinstance(page_seq, int) or isinstance(page_seq, bool):
        return True
    return page_seq > sent or page_seq < page_had or overdue
