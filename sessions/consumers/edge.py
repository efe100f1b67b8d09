"""What every websocket of the app shares: close codes, frames counted as they arrive, JSON
parsed with limits, the person's language, the channel given back at the end, the threads
that do their database work."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.consumer import get_handler_name
from channels.db import DatabaseSyncToAsync
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext_lazy

from sessions import (
    actions,
    layer,
)
from sessions.framegate import FrameGate

logger = logging.getLogger(__name__)


# The sockets' database work runs on HB_DB_THREADS threads of their own: a change waits for
# the database's answers several times, and one thread for everything (Channels' default)
# queues every socket of the process behind those waits. Changes of one kaart still happen
# one after the other: each locks its tafel's row (sessions.services.changes).
DATABASE_THREADS = ThreadPoolExecutor(
    max_workers=settings.HB_DB_THREADS, thread_name_prefix="hb-database"
)


def database_work(func):
    """channels.db.database_sync_to_async on DATABASE_THREADS."""
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=DATABASE_THREADS)


# Close codes (4xxx: final, the client does not reconnect).
CLOSE_NO_ACCESS = 4403
CLOSE_TOO_LARGE = 4413
CLOSE_TOO_MANY = 4429


# No message of the protocol is nested deeper than 2; json.loads itself gives up (with a
# RecursionError) near Python's recursion limit, 1000.
MAX_JSON_DEPTH = 20


def parse_frame(text: str) -> Any:
    """A frame's JSON; refused when it is not JSON or nested deeper than MAX_JSON_DEPTH."""
    try:
        value = json.loads(text)
    except RecursionError:  # how json.loads gives up on deep nesting: not a ValueError
        raise actions.BadMessage(gettext_lazy("This message is nested too deeply.")) from None
    except ValueError:
        raise actions.BadMessage(gettext_lazy("This message is not valid JSON.")) from None
    if _nested_deeper_than(value, MAX_JSON_DEPTH):
        raise actions.BadMessage(gettext_lazy("This message is nested too deeply."))
    return value


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether parsed JSON nests lists and objects more than `limit` deep (without recursion)."""
    level = [value]
    for _depth in range(limit):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return any(isinstance(item, dict | list) for item in level)


def language_of(scope: dict[str, Any]) -> str:
    """The language of the person's pages: their language cookie, else Accept-Language."""
    from django.utils.translation import trans_real

    supported = dict(settings.LANGUAGES)
    code = scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME)
    if code in supported:
        return code
    headers = dict(scope.get("headers") or [])
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    for lang, _q in trans_real.parse_accept_lang_header(accept):
        try:
            return trans_real.get_supported_language_variant(lang)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class CountedConsumer(AsyncWebsocketConsumer):
    """A websocket consumer whose incoming frames are counted as they arrive, not as it gets
    to them (sessions/framegate.py): HB_WS_MESSAGES_PER_10S per connection, and that gives
    its channel back to the channel layer when it ends (sessions/layer.py)."""

    async def __call__(self, scope, receive, send):
        gate = FrameGate(
            receive, send, limit=settings.HB_WS_MESSAGES_PER_10S, refused=self.frames_refused
        )
        async with gate:
            try:
                await super().__call__(scope, gate.receive, gate.send)
            finally:
                await layer.release(
                    getattr(self, "channel_layer", None), getattr(self, "channel_name", None)
                )

    async def dispatch(self, message: dict[str, Any]) -> None:
        """As Channels' own, without the hop it makes before every message (Channels 4.2+) to
        close old database connections on its one shared thread: this app's sockets touch the
        database only through `database_work`, which closes them before and after, on the
        thread that holds them. The hop cost about a tenth of a busy process's CPU, and every
        bell forwarded and every frame read waited for that thread to be free (an HTTP view
        running there held up every socket of the process; bench/README.md)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def frames_refused(self, final: bool) -> None:
        """Frames arrive too fast and are dropped unread; `final`: far too fast, so the
        socket is closed (the gate passes nothing on any more either way)."""
        if final:
            await self.close(code=CLOSE_TOO_MANY)
