"""The websocket's frames counted as they arrive (sessions/framegate.py), on its own: a fake
server, a fake clock, and a consumer that reads only when the test says so."""

import asyncio

from sessions.framegate import FrameGate


class Connection:
    """The server's side of one socket, and what the gate told the client."""

    def __init__(self, limit: int):
        self.now = 0.0
        self.incoming: asyncio.Queue = asyncio.Queue()
        self.idle = asyncio.Event()  # the gate is waiting for the next message
        self.sent: list[dict] = []
        self.refusals: list[bool] = []
        self.gate = FrameGate(
            self.receive, self.send, limit=limit, refused=self.refused, clock=lambda: self.now
        )

    async def receive(self):
        if self.incoming.empty():
            self.idle.set()
        return await self.incoming.get()

    async def send(self, message):
        self.sent.append(message)

    async def refused(self, final: bool):
        self.refusals.append(final)

    async def deliver(self, *messages: dict) -> None:
        """The server receives these; returns once the gate has dealt with them all."""
        self.idle.clear()
        for message in messages:
            self.incoming.put_nowait(message)
        await asyncio.wait_for(self.idle.wait(), timeout=5)

    async def frames(self, *texts: str) -> None:
        await self.deliver(*({"type": "websocket.receive", "text": text} for text in texts))

    async def passed(self) -> list[str]:
        """The frames the consumer gets, up to now."""
        await self.deliver({"type": "test.marker"})  # anything but a frame is passed on
        texts = []
        while (message := await asyncio.wait_for(self.gate.receive(), 5))["type"] == (
            "websocket.receive"
        ):
            texts.append(message["text"])
        assert message["type"] == "test.marker"
        return texts


def numbered(start: int, stop: int) -> list[str]:
    return [str(n) for n in range(start, stop)]


async def test_frames_within_the_limit_pass_at_any_pace():
    connection = Connection(limit=5)
    async with connection.gate:
        await connection.frames(*numbered(0, 5))
        assert await connection.passed() == numbered(0, 5)
        connection.now = 9.9
        await connection.frames("later")  # the sixth within 10 s
        connection.now = 10.0
        await connection.frames(*numbered(5, 10))  # the first five are 10 s old
        assert await connection.passed() == numbered(5, 10)
    assert connection.refusals == [False]


async def test_over_the_limit_frames_are_dropped_with_one_refusal_and_far_over_it_closed():
    connection = Connection(limit=5)
    async with connection.gate:
        await connection.frames(*numbered(0, 10))
        assert await connection.passed() == numbered(0, 5)
        assert connection.refusals == [False]  # once, not once for every dropped frame
        await connection.frames("10")
        assert connection.refusals == [False, True]
        await connection.frames("after the close")
        assert await connection.passed() == []
        connection.incoming.put_nowait({"type": "websocket.disconnect", "code": 4429})
        assert (await connection.gate.receive())["type"] == "websocket.disconnect"


async def test_a_refusal_is_told_again_once_a_frame_passed():
    connection = Connection(limit=2)
    async with connection.gate:
        await connection.frames("a", "b", "c")
        assert await connection.passed() == ["a", "b"]
        connection.now = 10.0
        await connection.frames("d", "e", "f")
        assert await connection.passed() == ["d", "e"]
    assert connection.refusals == [False, False]


async def test_a_consumer_far_behind_holds_at_most_the_limit_queued():
    connection = Connection(limit=3)
    async with connection.gate:
        await connection.frames("a", "b", "c")
        connection.now = 10.0
        await connection.frames("d", "e")  # within the limit again, but three still queued
        assert await connection.passed() == ["a", "b", "c"]
        assert connection.refusals == [False]


async def test_when_the_client_leaves_its_backlog_is_dropped():
    connection = Connection(limit=50)
    async with connection.gate:
        first = asyncio.ensure_future(connection.gate.receive())
        await connection.frames(*numbered(0, 20))
        assert (await first)["text"] == "0"  # the consumer's message in hand
        connection.incoming.put_nowait({"type": "websocket.disconnect", "code": 1001})
        message = await asyncio.wait_for(connection.gate.receive(), timeout=5)
        assert message == {"type": "websocket.disconnect", "code": 1001}


async def test_when_the_consumer_closes_the_socket_its_backlog_is_dropped():
    connection = Connection(limit=50)
    async with connection.gate:
        await connection.frames(*numbered(0, 20))
        await asyncio.wait_for(connection.gate.receive(), timeout=5)  # "0"
        await connection.gate.send({"type": "websocket.close", "code": 4413})
        await connection.frames("late")
        assert await connection.passed() == []
        # An answer or a bell that was on its way is not sent to the closing socket.
        await connection.gate.send({"type": "websocket.send", "text": "too late"})
    assert connection.sent == [{"type": "websocket.close", "code": 4413}]
