"""The channel layer production uses (sessions.layer.PipelinedPubSubChannelLayer), on the
machine's Redis: what a burst of bells sent at once does, and what a sender learns when Redis
is away."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from sessions.layer import PipelinedPubSubChannelLayer

REDIS_URL = os.environ.get("REDIS_URL")

pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="REDIS_URL is not set: the Redis channel layer runs in CI"
)


def make_layer(url: str | None = REDIS_URL) -> PipelinedPubSubChannelLayer:
    return PipelinedPubSubChannelLayer(
        hosts=[{"address": url, "socket_timeout": 10}], prefix=f"test-{uuid.uuid4().hex[:8]}"
    )


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def receive_all(layer, channel: str, count: int) -> list[int]:
    return [(await layer.receive(channel))["n"] for _ in range(count)]


async def test_bells_sent_at_once_arrive_once_each_in_the_order_they_were_sent():
    """A busy process rings many bells in one pass of its event loop; they go to Redis
    together, and every socket gets each bell once, in the order they were rung (the page
    would otherwise see a gap in its kaart's numbers and fetch the whole card)."""
    layer = make_layer()
    try:
        anna, bram = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("tafel.1", anna)
        await layer.group_add("tafel.1", bram)
        sends = [layer.group_send("tafel.1", {"type": "kaart.changed", "n": n}) for n in range(300)]
        await asyncio.gather(*sends)
        got = await asyncio.wait_for(
            asyncio.gather(receive_all(layer, anna, 300), receive_all(layer, bram, 300)), 10
        )
        assert got == [list(range(300)), list(range(300))]
        # And nothing more: each bell came once.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(layer.receive(anna), 0.3)
    finally:
        await layer.flush()


async def test_a_bell_whose_sender_is_cancelled_still_goes_and_so_do_the_others():
    """A socket that closes while its bell waits to go (its task cancelled): the bell goes all
    the same (its change is committed, broadcast.py), and the bells after it too."""
    layer = make_layer()
    try:
        anna = await layer.new_channel()
        await layer.group_add("tafel.1", anna)
        first = asyncio.create_task(layer.group_send("tafel.1", {"type": "x", "n": 0}))
        second = asyncio.create_task(layer.group_send("tafel.1", {"type": "x", "n": 1}))
        await asyncio.sleep(0)
        first.cancel()
        await second
        await layer.group_send("tafel.1", {"type": "x", "n": 2})
        assert await asyncio.wait_for(receive_all(layer, anna, 3), 5) == [0, 1, 2]
    finally:
        await layer.flush()


async def test_with_redis_away_every_waiting_sender_is_told_and_none_hangs():
    """Redis unreachable: each bell's sender gets the connection error (the consumer logs it
    and the page catches up from PostgreSQL), promptly and all of them, not a wait forever."""
    layer = make_layer(f"redis://127.0.0.1:{closed_port()}/0")
    try:
        sends = [layer.group_send("tafel.1", {"type": "x", "n": n}) for n in range(5)]
        outcomes = await asyncio.wait_for(asyncio.gather(*sends, return_exceptions=True), 10)
        assert all(isinstance(outcome, RedisConnectionError) for outcome in outcomes), outcomes
        # Still usable: the next bell is tried again, and told again.
        with pytest.raises(RedisConnectionError):
            await asyncio.wait_for(layer.group_send("tafel.1", {"type": "x", "n": 5}), 10)
    finally:
        await layer.flush()
