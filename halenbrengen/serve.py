"""daphne as production runs it, with two changes to how a websocket ends.

1. A frame over the server's size limit is answered with close 1009 (message too big), not a
   dropped connection. daphne refuses a frame or message over `--websocket-max-frame-size` or
   `--websocket-max-message-size` through autobahn, which "fails" the connection; with
   autobahn's default `failByDrop=True` that means cutting the TCP connection without a close
   frame, and the browser sees 1006, as if the network broke. daphne does not expose the
   option, so this server switches it off for every websocket connection.
2. A message the application sends while the close handshake is under way is dropped.
   daphne passes it on to autobahn, which raises Disconnected into the application (a
   traceback in the log) when a push was on its way as the socket closed; the application
   gets its `websocket.disconnect` next all the same.

3. A peer that stops reading (a phone that put the tab away, a network that went dead) cannot
   grow the server's memory without bound: when what waits in the connection's write buffer
   for it passes HB_WS_MAX_BUFFERED_BYTES, the connection is dropped and what waited with it.
   The page reconnects when it runs again, and a new socket gets the whole card. The kernel's
   share is bounded too: a websocket's send buffer is HB_WS_SEND_BUFFER_BYTES.
4. A half-open connection is noticed within 30 s: the keepalive ping goes out after 10 s
   without a message and the connection closes when no pong came within 15 s (daphne's
   defaults are 20 and 30). The page notices from its own side too (docs/protocol.md).
5. Python's garbage collector looks at young objects after 20,000 new ones instead of 700,
   and at the older generations after 2 collections of the younger instead of 10
   (GC_THRESHOLDS). A server with a thousand open sockets holds ~350,000 objects, and every
   full collection walks them all under the GIL (~250 ms at 200 tafels); with Python's
   thresholds the objects in flight of every change were promoted fast enough to set one off
   every ~10 s, and each was a burst of late pushes. Rarer young collections promote few of
   them. The older generations are looked at as often as before, counted in allocations, so
   the garbage of closed sockets (cycles through objects that lived as long as the socket)
   is still found: memory levels off under connection churn (bench/README.md, "Tenth
   round").

Everything else is daphne's own command line:

    python -m halenbrengen.serve -b 0.0.0.0 -p 8000 --websocket-max-message-size 131072 \\
        --websocket-max-frame-size 131072 halenbrengen.asgi:application

(tests/test_server.py runs it as a real process.)
"""

import collections
import gc
import json
import logging
import os
import signal
import socket
import tracemalloc
from pathlib import Path

from daphne.cli import CommandLineInterface
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol

logger = logging.getLogger("halenbrengen.serve")

PING_INTERVAL = 10
PING_TIMEOUT = 15
# gc.set_threshold's three: young objects before a collection, young collections before the
# middle generation's, middle before considering the full one (Python's: 700, 10, 10).
# HB_GC_THRESHOLDS="700,10,10" puts Python's back, for the bench to compare.
GC_THRESHOLDS = (20_000, 2, 2)


def waiting_bytes(transport) -> int:
    """What a Twisted TCP connection holds in memory that the peer has not taken yet."""
    buffered = len(getattr(transport, "dataBuffer", b"")) - getattr(transport, "offset", 0)
    return buffered + getattr(transport, "_tempDataLen", 0)


class HalenBrengenServer(Server):
    """daphne's server, whose websocket connections end with a close code."""

    def protocol_connected(self, protocol):
        super().protocol_connected(protocol)
        if isinstance(protocol, WebSocketProtocol):
            # Called from the handshake (onConnect), after autobahn copied its factory's
            # options onto the connection and before any frame can arrive. Off, autobahn sends
            # a close frame with the code (1009 for a frame too large, 1002 for a protocol
            # error) and waits for the client's close before it drops the connection.
            protocol.failByDrop = False
            from django.conf import settings

            handle = getattr(protocol.transport, "getHandle", lambda: None)()
            if handle is not None:
                handle.setsockopt(
                    socket.SOL_SOCKET, socket.SO_SNDBUF, settings.HB_WS_SEND_BUFFER_BYTES
                )

    def listen_success(self, port):
        """Say where the app can be opened, once it listens (`make run` shows it last)."""
        super().listen_success(port)
        host = getattr(port, "getHost", lambda: None)()
        if hasattr(host, "host") and hasattr(host, "port"):
            shown = "127.0.0.1" if host.host in ("0.0.0.0", "::") else host.host
            print(f"Halen/Brengen listens on http://{shown}:{host.port}/", flush=True)

    async def handle_reply(self, protocol, message):
        closing = (WebSocketProtocol.STATE_CLOSING, WebSocketProtocol.STATE_CLOSED)
        if (
            isinstance(protocol, WebSocketProtocol)
            and message.get("type") == "websocket.send"
            and protocol.state in closing
        ):
            return  # nobody to send it to; the disconnect reaches the application next
        if isinstance(protocol, WebSocketProtocol) and message.get("type") == "websocket.send":
            from django.conf import settings

            waiting = waiting_bytes(protocol.transport)
            if waiting > settings.HB_WS_MAX_BUFFERED_BYTES:
                logger.warning(
                    "dropped a websocket whose peer does not read: %d bytes were waiting", waiting
                )
                protocol.transport.abortConnection()
                return
        await super().handle_reply(protocol, message)


class HalenBrengenCommandLine(CommandLineInterface):
    server_class = HalenBrengenServer

    def __init__(self):
        super().__init__()
        self.parser.set_defaults(ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT)


def trace_memory_on_signal(directory: str) -> None:
    """For the churn soak (bench/load.py --tracemalloc): trace allocations (HB_TRACEMALLOC_FRAMES
    deep; 0 traces nothing), and on SIGUSR2 write a count of live objects per type and a
    tracemalloc snapshot into `directory`."""
    frames = int(os.environ.get("HB_TRACEMALLOC_FRAMES", "4"))
    if frames:
        tracemalloc.start(frames)
    taken = 0

    def dump(signum, frame):
        nonlocal taken
        taken += 1
        gc.collect()
        target = Path(directory)
        if tracemalloc.is_tracing():
            tracemalloc.take_snapshot().dump(str(target / f"snapshot-{taken}.bin"))
        counts = collections.Counter(type(thing).__qualname__ for thing in gc.get_objects())
        (target / f"types-{taken}.json").write_text(json.dumps(dict(counts.most_common(400))))

    signal.signal(signal.SIGUSR2, dump)


def gc_thresholds() -> tuple[int, ...]:
    wanted = os.environ.get("HB_GC_THRESHOLDS", "")
    return tuple(int(n) for n in wanted.split(",")) if wanted else GC_THRESHOLDS


if __name__ == "__main__":
    gc.set_threshold(*gc_thresholds())
    if os.environ.get("HB_TRACEMALLOC_DIR"):
        trace_memory_on_signal(os.environ["HB_TRACEMALLOC_DIR"])
    HalenBrengenCommandLine.entrypoint()
