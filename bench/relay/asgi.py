"""The bare relay: a websocket per client at /ws/tafels/<id>/, each message forwarded as it is
to every socket of that tafel through the channel layer. Nothing else: no auth, no database,
no rendering. Run with daphne the way the app runs (bench/load.py does).

With BENCH_RELAY_COMMIT=1 (bench/load.py --relay-commit) it first writes each message as a row
of bench_relay_log in PostgreSQL (DATABASE_URL), one autocommitted INSERT awaited in the event
loop, and forwards it once that is committed: the floor of anything that keeps its truth in the
database and rings after the commit, as the app does (bench/README.md, "Eleventh round").
"""

import asyncio
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.relay.settings")

import django  # noqa: E402

django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

COMMIT = os.environ.get("BENCH_RELAY_COMMIT") == "1"
INSERT = "INSERT INTO bench_relay_log (tafel, text) VALUES (%s, %s)"
_pools = {}


async def _open_pool():
    from psycopg_pool import AsyncConnectionPool

    pool = AsyncConnectionPool(
        os.environ["DATABASE_URL"],
        min_size=1,
        max_size=4,
        kwargs={"autocommit": True},
        open=False,
    )
    await pool.open()
    return pool


async def commit(tafel: int, text: str) -> None:
    """One row written and committed, on this event loop's pool of 4 connections."""
    loop = asyncio.get_running_loop()
    if loop not in _pools:
        _pools[loop] = asyncio.ensure_future(_open_pool())
    pool = await _pools[loop]
    async with pool.connection() as conn:
        await conn.execute(INSERT, (tafel, text), prepare=True)


class RelayConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.tafel = int(self.scope["url_route"]["kwargs"]["tafel_id"])
        self.group = f"tafel.{self.tafel}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if text_data:
            if COMMIT:
                await commit(self.tafel, text_data)
            await self.channel_layer.group_send(
                self.group, {"type": "relay.message", "text": text_data}
            )

    async def relay_message(self, event) -> None:
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter(
    {
        "websocket": AllowedHostsOriginValidator(
            URLRouter([path("ws/tafels/<int:tafel_id>/", RelayConsumer.as_asgi())])
        )
    }
)
