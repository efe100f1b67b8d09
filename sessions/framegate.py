"""A websocket's incoming frames, counted as they arrive (docs/protocol.md, "Limits").

daphne puts every frame of a connection on an unbounded queue the moment it arrives, and a
Channels consumer takes the next one only when it is done with the last. A limit that the
consumer counts therefore counts late: behind one slow database call a client can queue any
number of frames, and all of them are applied, even after the client has gone.

FrameGate stands between the server and the consumer. Its reader task takes every message off
the server's queue at once, counts the frames with their arrival times, refuses those over the
limit before any work is done on them, and hands the others to the consumer through a queue of
its own, bounded by the same limit. Once the socket closes (the client left, or the consumer
closed it), what is still queued is dropped: the consumer gets the disconnect next. After the
consumer's close nothing more is sent (daphne would raise on it).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

Message = dict[str, Any]
WINDOW = 10.0  # seconds: the limit is per 10 s (HB_WS_MESSAGES_PER_10S)


class FrameGate:
    """The consumer's `receive` and `send` for one connection, with the frames counted.

    Within `limit` frames in the last 10 s a frame is passed on; beyond it the frame is
    dropped; beyond twice the limit the client has to go. `refused(final)` is awaited to tell
    the client: with final=False once when frames start being dropped (again only after one
    was passed on), with final=True when the consumer should close the socket. The socket
    closes all the same: from then on nothing but the disconnect is passed on.

        async with FrameGate(receive, send, limit=50, refused=...) as gate:
            await consumer(scope, gate.receive, gate.send)
    """

    def __init__(
        self,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
        *,
        limit: int,
        refused: Callable[[bool], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ):
        self._server_receive = receive
        self._server_send = send
        self._limit = limit
        self._refused = refused
        self._clock = clock
        self._arrived: deque[float] = deque()  # arrival times within the window
        self._passed: deque[float] = deque()  # arrival times of the frames passed on
        self._queue: asyncio.Queue[Message | None] = asyncio.Queue()
        self._told = False  # the client heard of a refusal since the last frame passed on
        self._closed = False  # the socket is closing: no frame is passed on any more
        self._close_sent = False  # the consumer closed it: nothing is sent any more
        self._failure: BaseException | None = None
        self._reader: asyncio.Task | None = None

    async def __aenter__(self) -> FrameGate:
        self._reader = asyncio.ensure_future(self._read())
        return self

    async def __aexit__(self, *exc_info) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def receive(self) -> Message:
        """The next message for the consumer."""
        message = await self._queue.get()
        if message is None:
            raise self._failure
        return message

    async def send(self, message: Message) -> None:
        if self._close_sent:
            # daphne raises on a send to a closing socket (a bell or an answer that was on
            # its way): there is nobody to send it to.
            return
        if message["type"] == "websocket.close":
            self._close_sent = True
            self._close()
        await self._server_send(message)

    async def _read(self) -> None:
        try:
            while True:
                message = await self._server_receive()
                if message["type"] == "websocket.receive":
                    await self._frame(message)
                    continue
                if message["type"] == "websocket.disconnect":
                    self._close()
                self._queue.put_nowait(message)
                if message["type"] == "websocket.disconnect":
                    return  # nothing comes after it
        except Exception as error:  # noqa: BLE001 - handed to the consumer, which raises it
            self._failure = error
            self._queue.put_nowait(None)

    async def _frame(self, message: Message) -> None:
        if self._closed:
            return
        now = self._clock()
        for times in (self._arrived, self._passed):
            while times and now - times[0] >= WINDOW:
                times.popleft()
        self._arrived.append(now)
        if len(self._arrived) > 2 * self._limit:
            self._close()
            await self._refused(True)
        elif len(self._passed) >= self._limit or self._queue.qsize() >= self._limit:
            # Over the limit, or the consumer is that far behind: dropped unread.
            if not self._told:
                self._told = True
                await self._refused(False)
        else:
            self._passed.append(now)
            self._told = False
            self._queue.put_nowait(message)

    def _close(self) -> None:
        """The socket is closing: drop the frames still queued, keep anything else."""
        self._closed = True
        kept = []
        while not self._queue.empty():
            message = self._queue.get_nowait()
            if message is None or message["type"] != "websocket.receive":
                kept.append(message)
        for message in kept:
            self._queue.put_nowait(message)
