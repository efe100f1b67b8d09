"""Real processes for the fault tests: daphne servers, a redis-server, a TCP proxy, and a
websocket client that behaves like the kaart page.

Everything listens on 127.0.0.1 only, on free ports, and is stopped by the test that started
it (by its own process handle, never by name).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT = 60  # seconds for a daphne process to listen (slow, shared CI machines)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, alive=lambda: True, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the process for port {port} exited before listening")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listened on port {port} within {timeout}s")


def database_url(settings_dict: dict, *, host: str | None = None, port: int | None = None) -> str:
    """A DATABASE_URL for the (test) database Django is connected to, optionally through
    another host and port (the proxy)."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"  # a file: NAME is an absolute path
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = host or settings_dict.get("HOST") or "127.0.0.1"
    port = port or settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


# How production starts a server (Dockerfile, docker-compose.yml, Makefile): daphne through
# halenbrengen.serve, with daphne's own frame limit. tests/test_deployment.py keeps them alike.
SERVER_COMMAND = [
    "-m",
    "halenbrengen.serve",
    "--websocket-max-message-size",
    "131072",
    "--websocket-max-frame-size",
    "131072",
]


class Daphne:
    """One daphne process serving halenbrengen.asgi the way production runs it."""

    def __init__(self, env: dict[str, str], name: str, logdir: Path):
        self.env = env
        self.name = name
        self.port = free_port()
        self.log = logdir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Daphne:
        handle = open(self.log, "ab")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(
            [
                sys.executable,
                *SERVER_COMMAND,
                "-b",
                HOST,
                "-p",
                str(self.port),
                "halenbrengen.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        handle.close()
        return self

    def wait(self) -> Daphne:
        wait_for_port(self.port, alive=lambda: self.proc.poll() is None)
        return self

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=3)  # daphne lingers on open connections; no need to wait
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def server_env(*, secret_key: str, database: str, redis: str, prefix: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "halenbrengen.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secret_key,  # the test's: the session cookies are signed with it
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": database,
            "REDIS_URL": redis,
            "CHANNELS_PREFIX": prefix,
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(ROOT),
            # The pictures in every change's push: a page equals a fresh one as soon as its
            # changes are in (their later push is tested in tests/consumers/test_kaart.py).
            "HB_PICTURE_DELAY": "0",
            "HB_ACTIVITY_DELAY": "0",
        }
    )
    return env


class RedisServer:
    """A redis-server of the test's own on a free port, without persistence (like production's
    channel layer): a restart loses every key, group memberships included."""

    def __init__(self, logdir: Path):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="hb-redis-", dir=logdir))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                HOST,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, alive=lambda: self.proc.poll() is None, timeout=20)
        return self

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


class TcpProxy:
    """127.0.0.1:<port> -> target, in threads. `down()` closes the listener and cuts every
    open connection, so the database 'refuses connections'; `up()` listens again."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        # Frozen: what arrives is dropped and nothing is closed, as on a network path that went
        # dead under an open connection (a phone that changed network, a laptop asleep).
        self.frozen = False
        self._dead: set[socket.socket] = set()

    def up(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown() wakes the thread blocked in accept(); a bare close() would leave the
            # kernel socket listening until then, and up() could not bind the port again.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def kill_paths(self) -> None:
        """The connections open now go dead (nothing passes, nothing closes); new ones work,
        as when a phone moves to another network."""
        with self._lock:
            self._dead |= self._conns

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _addr = listener.accept()
            except OSError:
                return  # closed by down()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._conns.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if not self.frozen and src not in self._dead:
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class Page:
    """One person's kaart page over a real websocket: it records every message, keeps the
    sequence number like static/js/kaart.js, and reconnects (possibly to another server, as a
    load balancer would send it) when told to."""

    def __init__(self, tafel_id: int, session_key: str, port: int, name: str = ""):
        self.tafel_id = tafel_id
        self.session_key = session_key
        self.port = port
        self.name = name
        self.ws = None
        self.messages: list[str] = []
        self.seq = 0
        self.closed_code: int | None = None
        self._reader: asyncio.Task | None = None
        self._arrived = asyncio.Event()
        # Like kaart.js: after a close below 4000, connect again (to `reconnect_to()`'s port,
        # the way a load balancer sends the page to a server that is up).
        self.reconnect_to = None
        self.reconnects = 0
        self._closing = False

    async def connect(self, port: int | None = None) -> str:
        """Open the socket (on `port` if given) and return the first message: the card."""
        from websockets.asyncio.client import connect

        if port is not None:
            self.port = port
        self.closed_code = None
        self.ws = await connect(
            f"ws://{HOST}:{self.port}/ws/tafels/{self.tafel_id}/",
            origin=f"http://{HOST}:{self.port}",
            additional_headers={"Cookie": f"sessionid={self.session_key}", "Accept-Language": "en"},
            compression=None,
            max_size=None,
            ping_interval=None,
            open_timeout=20,
        )
        start = len(self.messages)
        self._reader = asyncio.create_task(self._read(self.ws))
        return await self.wait_for(lambda m: 'id="kaart-stap"' in m, start=start)

    async def _read(self, ws) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for message in ws:
                self.messages.append(message)
                # kaart.js reads the sequence number from #kaart-seq only.
                mark = 'id="kaart-seq" hx-swap-oob="true" data-seq="'
                at = message.find(mark)
                if at >= 0:
                    at += len(mark)
                    self.seq = int(message[at : message.index('"', at)])
                self._arrived.set()
        except ConnectionClosed:
            pass
        self.closed_code = ws.close_code if ws.close_code is not None else 1006
        self._arrived.set()
        if self.reconnect_to is not None and not self._closing and self.closed_code < 4000:
            asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        for _attempt in range(60):
            await asyncio.sleep(0.5)
            if self._closing:
                return
            try:
                await self.connect(self.reconnect_to())
            except Exception:  # noqa: BLE001 - the server may still be down: try again
                continue
            self.reconnects += 1
            return

    async def wait_for(self, predicate, *, timeout: float = 20, start: int = 0) -> str:
        """The first message from index `start` on that satisfies `predicate`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        checked = start
        while True:
            while checked < len(self.messages):
                message = self.messages[checked]
                checked += 1
                if predicate(message):
                    return message
            remaining = deadline - loop.time()
            gone = self.closed_code is not None and self.reconnect_to is None
            if remaining <= 0 or gone:
                last = self.messages[-1][:300] if self.messages else None
                raise AssertionError(
                    f"{self.name}: no matching message "
                    f"{'before the socket closed' if gone else f'within {timeout}s'} "
                    f"(closed={self.closed_code}, last={last!r})"
                )
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout=min(remaining, 0.5))

    async def wait_closed(self, timeout: float = 20) -> int:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.closed_code is None:
            if loop.time() > deadline:
                raise AssertionError(f"{self.name}: the socket did not close within {timeout}s")
            await asyncio.sleep(0.05)
        return self.closed_code

    async def open_socket(self, timeout: float = 30) -> None:
        """Wait until the page has an open socket again (after a reconnect)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.closed_code is not None or self.ws is None:
            if loop.time() > deadline:
                raise AssertionError(f"{self.name}: no open socket within {timeout}s")
            await asyncio.sleep(0.05)

    async def send(self, payload: dict) -> None:
        await self.ws.send(json.dumps(payload))

    async def send_when_open(self, payload: dict, timeout: float = 30) -> None:
        """Like kaart.js with input while reconnecting: sent as soon as a socket is open."""
        from websockets.exceptions import ConnectionClosed

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.open_socket(timeout=max(0.1, deadline - loop.time()))
            try:
                return await self.send(payload)
            except ConnectionClosed:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.1)

    async def add(self, partij_id: int, tekst: str, form: str) -> None:
        """A bijdrage_add as htmx's ws-send sends it from the add form `form`."""
        await (self.send_when_open if self.reconnect_to else self.send)(
            {
                "tafel": str(self.tafel_id),
                "action": "bijdrage_add",
                "partij": str(partij_id),
                "soort": "haal",
                "tekst": tekst,
                "gewicht": "1",
                "HEADERS": {"HX-Request": "true", "HX-Trigger": form},
            }
        )

    async def ping(self, seq: int | None = None) -> None:
        await self.send({"action": "ping", "seq": self.seq if seq is None else seq})

    def acked(self) -> set[str]:
        """The forms whose change the server acknowledged (kaart-ack data-form)."""
        mark = 'id="kaart-ack" hx-swap-oob="true" data-form="'
        forms = set()
        for message in self.messages:
            at = message.find(mark)
            if at >= 0:
                at += len(mark)
                forms.add(message[at : message.index('"', at)])
        return forms

    def errors(self) -> list[str]:
        """The error frames (an ack carries an empty, hidden alert instead)."""
        shown = re.compile(r'class="alert" role="alert"(?: data-nonce="[^"]*")?>')
        return [m for m in self.messages if shown.search(m)]

    def refused(self) -> set[str]:
        """The forms whose change the server refused with an error frame."""
        forms = set()
        for message in self.errors():
            at = message.find('<p id="')
            if at >= 0:
                at += len('<p id="')
                forms.add(message[at : message.index('"', at)].removesuffix("-error"))
        return forms

    async def close(self) -> None:
        self._closing = True
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
