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

Everything else is daphne's own command line:

    python -m halenbrengen.serve -b 0.0.0.0 -p 8000 --websocket-max-message-size 131072 \\
        --websocket-max-frame-size 131072 halenbrengen.asgi:application

(tests/test_server.py runs it as a real process.)
"""

from daphne.cli import CommandLineInterface
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol


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

    async def handle_reply(self, protocol, message):
        closing = (WebSocketProtocol.STATE_CLOSING, WebSocketProtocol.STATE_CLOSED)
        if (
            isinstance(protocol, WebSocketProtocol)
            and message.get("type") == "websocket.send"
            and protocol.state in closing
        ):
            return  # nobody to send it to; the disconnect reaches the application next
        await super().handle_reply(protocol, message)


class HalenBrengenCommandLine(CommandLineInterface):
    server_class = HalenBrengenServer


if __name__ == "__main__":
    HalenBrengenCommandLine.entrypoint()
