"""Giving a socket's channel back to the channel layer when the socket ends; how many messages
wait in a channel's queue.

Channels makes a channel per consumer (`new_channel`) but has no call to end one. channels_redis's
pub/sub layer (production's) forgets a channel, its queue and its Redis subscription only when
the consumer's `receive` is cancelled while it waits. When a push arrived in the same instant as
the close, that receive had already returned and is never cancelled: the channel stayed, and the
server grew by a queue and a subscription with every such close (django/channels_redis#276;
bench/README.md, churn soak). The consumer calls `release` once it has finished.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


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
