"""The channel layer production uses, and what the sockets need of it that Channels lacks.

1. `PipelinedPubSubChannelLayer`: channels_redis's pub/sub layer, whose messages go out in
   batches. channels_redis sends each message under one lock per Redis connection and waits for
   Redis's answer before the next may go: at most one message per pass of the event loop. Under
   load a pass takes milliseconds, the messages queue behind the lock and every bell waits for
   all before it (bench/README.md, "Eleventh round": 92 ms at p90 at 120 tafels). Here the
   messages that wait go out together in one pipeline, in the order they were sent, and each
   sender is answered when Redis has taken its message, as before.
2. `release`: giving a socket's channel back to the layer when the socket ends. Channels makes a
   channel per consumer (`new_channel`) but has no call to end one. channels_redis's pub/sub
   layer forgets a channel, its queue and its Redis subscription only when the consumer's
   `receive` is cancelled while it waits. When a push arrived in the same instant as the close,
   that receive had already returned and is never cancelled: the channel stayed, and the server
   grew by a queue and a subscription with every such close (django/channels_redis#276;
   bench/README.md, churn soak). The consumer calls `release` once it has finished.
3. `waiting`: how many messages wait in a channel's queue.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer
from channels_redis.utils import _wrap_close

logger = logging.getLogger(__name__)


class _Publisher:
    """The messages one event loop sends through one Redis connection: those that wait go out
    together, in order, in one pipeline; each sender waits until Redis has taken its own."""

    def __init__(self, shard: Any) -> None:
        self.shard = shard  # channels_redis's RedisSingleShardConnection
        self.waiting: list[tuple[str, bytes, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    async def publish(self, channel: str, data: bytes) -> None:
        answered = asyncio.get_running_loop().create_future()
        self.waiting.append((channel, data, answered))
        if self.task is None:
            self.task = asyncio.create_task(self._send_waiting())
        await answered

    async def _send_waiting(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, []
                try:
                    self.shard._ensure_redis()
                    pipe = self.shard._redis.pipeline(transaction=False)
                    for channel, data, _answered in batch:
                        pipe.publish(channel, data)
                    await pipe.execute()
                except BaseException as error:
                    for _channel, _data, answered in batch:
                        if not answered.done():
                            answered.set_exception(error)
                    if isinstance(error, asyncio.CancelledError):
                        raise
                else:
                    for _channel, _data, answered in batch:
                        if not answered.done():
                            answered.set_result(None)
        finally:
            self.task = None


class _PipelinedLoopLayer(RedisPubSubLoopLayer):
    """One event loop's pub/sub layer whose sends go through a _Publisher per connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.publishers = [_Publisher(shard) for shard in self._shards]

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        await self._publish(channel, self.channel_layer.serialize(message))

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        name = self._get_group_channel_name(group)
        await self._publish(name, self.channel_layer.serialize(message))

    async def _publish(self, name: str, data: bytes) -> None:
        shard = self._get_shard(name)
        await self.publishers[self._shards.index(shard)].publish(name, data)

    async def flush(self) -> None:
        for publisher in self.publishers:
            if publisher.task is not None:
                publisher.task.cancel()
        await super().flush()


class PipelinedPubSubChannelLayer(RedisPubSubChannelLayer):
    """channels_redis's pub/sub layer (its settings, subscriptions and receiving), sending
    through _PipelinedLoopLayer."""

    def _get_layer(self) -> RedisPubSubLoopLayer:
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _PipelinedLoopLayer(
                *self._args, **self._kwargs, channel_layer=self
            )
            _wrap_close(self, loop)
        return layer


async def release(channel_layer, channel_name: str | None) -> None:
    """Forget `channel_name` in this event loop's pub/sub layer, if it still holds it."""
    if channel_layer is None or channel_name is None:
        return
    loop_layer = getattr(channel_layer, "_get_layer", None)
    if loop_layer is None:
        return  # not the pub/sub layer: the in-memory layer expires its channels itself
    layer = loop_layer()
    if layer.channels.pop(channel_name, None) is None:
        return
    try:
        await layer._get_shard(channel_name).unsubscribe(channel_name)
    except Exception:
        # Redis is away: its subscriptions went with the connection, and the connection's
        # next subscribe starts from what `channels` still holds.
        logger.warning("could not unsubscribe channel %s", channel_name, exc_info=True)


def waiting(channel_layer, channel_name: str) -> int:
    """How many messages wait in this process's queue of `channel_name` (0 where the layer
    does not say: the pub/sub layer and the in-memory layer do)."""
    loop_layer = getattr(channel_layer, "_get_layer", None)
    channels = loop_layer().channels if loop_layer is not None else None
    if channels is None:
        channels = getattr(channel_layer, "channels", None)
    queue = channels.get(channel_name) if isinstance(channels, dict) else None
    size = getattr(queue, "qsize", None)
    return size() if callable(size) else 0
