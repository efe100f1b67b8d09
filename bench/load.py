#!/usr/bin/env python
"""Load benchmark of the live kaart: T tafels x N websocket clients editing, against daphne.

    python bench/load.py --tafels 200 --clients 5 --interval 5 --duration 60 --processes 1

What it does (see bench/README.md for the figures and what they mean):

1. creates a fresh PostgreSQL database (default bench_halenbrengen, dropped first), migrates
   it, and seeds T tafels of N participants and a facilitator through the app's services
   (bench/seed.py);
2. starts P daphne processes the way production runs them (DJANGO_DEBUG=0, psycopg pool,
   channels-redis on the machine's Redis under a prefix of its own), on free loopback ports;
3. connects N clients per tafel (client i of a tafel to process i mod P, so one tafel spans
   all processes), each authenticated by its participant's session cookie, and waits for the
   whole card on each;
4. for `duration` seconds every client sends a `bijdrage_add` every `interval` seconds
   (jittered +-25 %) whose text holds a unique marker, plus the page's heartbeat (a ping with
   its sequence number every 15 s); for every edit it times how long until each OTHER client
   of the tafel has a message containing the marker; meanwhile one control room per sessie,
   open as the facilitator, reads what the app draws of the tafels' activity (--no-rooms:
   none), and with --step-change every sessie goes from step 1 to 2 halfway through, and every
   client's time until its kaart shows step 2 is measured;
5. stops sending and drains (until everything arrived, at most 10 s);
6. optionally (--churn R) connects and disconnects every client R times and reports the RSS
   of the daphne processes before and after;
7. runs the same T x N clients against the bare relay (bench/relay/: a consumer that only
   forwards each message to its group over the same Redis), the floor to compare with, and
   with --relay-commit the same relay committing each message to PostgreSQL before it
   forwards it (the floor of anything that rings after its commit, as the app does);
8. prints, last, one line:
   tafels=.. clients=.. edits_per_s=.. p50_ms=.. p99_ms=.. lost=.. errors=.. relay_p99_ms=..
   ratio_p99=.. cpu_ratio=.. bytes_per_push=.. [step_p99_ms=.. step_missed=..]
   [commit_p99_ms=.. commit_ratio_p99=..]
   (cpu_ratio: the app's server CPU per edit over the relay's; bytes_per_push: every byte the
   clients received while editing over the deliveries of others' edits, the control rooms'
   not counted; the step fields only with --step-change)

Everything is loopback only and bounded: the run stops by itself (a watchdog ends it at the
latest after duration + 10 minutes). It only ends processes it started.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
LOST_AFTER = 10.0  # seconds: a delivery later than this counts as lost
PING_EVERY = 15.0  # the page's heartbeat (static/js/kaart.js)
CONNECT_CONCURRENCY = 25
CONNECT_LIMIT = 600  # seconds for all clients to connect (an overloaded server is slow)
ERROR_MARK = 'class="alert" role="alert">'  # an error frame (an ack has role="alert" hidden)
ACK_MARK = 'id="kaart-ack"'
SEQ_MARKS = (
    'id="kaart-seq" hx-swap-oob="true" data-seq="',
    'id="kaart-pong" hx-swap-oob="true" data-seq="',
)
# In a whole card's first frame (and in an opgave text's push, which the bench does not make);
# not in a step or timer push, which is the step region alone.
FULL_MARK = 'id="kaart-opgave"'
STEP_TO = 2  # --step-change: the seeded sessies (step 1) go to this step halfway
# --pictures-shown: every page keeps its balance region open (as in step 3), so it is sent the
# pictures; by default, as in steps 1 and 2, the pages say they do not show them.
PICTURES_SHOWN = False
STEP_MARK = f'data-stap="{STEP_TO}"'  # the kaart's step region once it shows STEP_TO


# Processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daphne on port {port} exited with {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"daphne on port {port} did not listen within {timeout}s")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its reaped children) so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine_probe_ms() -> float:
    """CPU milliseconds of a fixed piece of pure Python (the median of five): how fast this
    machine runs Python at the time, so that runs on different machines can be compared
    (figures in bench/README.md name it)."""
    times = []
    for _ in range(5):
        start = time.process_time()
        total = 0
        for number in range(1_000_000):
            total += number * number % 7
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


def services_cpu_seconds() -> dict[str, float]:
    """CPU time so far of the machine's database and Redis servers, all their processes
    (PostgreSQL's backends are pooled, so they live through a phase)."""
    total = {"db": 0.0, "redis": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if comm.startswith("postgres"):
            total["db"] += cpu_seconds(int(entry.name))
        elif comm.startswith("redis-server"):
            total["redis"] += cpu_seconds(int(entry.name))
    return total


class Servers:
    """P daphne processes of one ASGI application, each on its own free loopback port."""

    def __init__(self, app: str, env: dict[str, str], count: int, logdir: Path, name: str):
        self.procs: list[subprocess.Popen] = []
        self.ports: list[int] = []
        self.logs: list[Path] = []
        for i in range(count):
            port = free_port()
            log = logdir / f"{name}-{i}.log"
            handle = open(log, "wb")  # noqa: SIM115 - closed with the process
            proc = subprocess.Popen(
                [PYTHON, "-m", "halenbrengen.serve", "-b", HOST, "-p", str(port), app],
                cwd=ROOT,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.procs.append(proc)
            self.ports.append(port)
            self.logs.append(log)
        for proc, port in zip(self.procs, self.ports, strict=True):
            wait_for_port(port, proc)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.procs)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def log_problems(self) -> dict[str, int]:
        """Tracebacks and dropped channel-layer messages the servers logged."""
        problems = {"tracebacks": 0, "full_channel": 0}
        for log in self.logs:
            text = log.read_text(errors="replace")
            problems["tracebacks"] += text.count("Traceback (most recent call last)")
            problems["full_channel"] += text.count("over capacity")
        return problems


# Database and data -------------------------------------------------------------------------


def prepare_database(url: str) -> None:
    """Drop and create the benchmark database (it must be a throw-away one)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("bench"):
        raise SystemExit(
            f"refusing to drop {name!r}: the bench database's name starts with 'bench'"
        )
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def app_env(args, prefix: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": args.app_settings,
            "BENCH_APP_SETTINGS": args.app_settings,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "CHANNELS_PREFIX": prefix,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if args.tracemalloc:
        Path(args.tracemalloc).mkdir(parents=True, exist_ok=True)
        env["HB_TRACEMALLOC_DIR"] = str(Path(args.tracemalloc).resolve())
    return env


def seed(args, env: dict[str, str]) -> tuple[list[dict], list[dict]]:
    """Migrate and seed the database; the tafels (with their clients' sessions) and the
    control rooms (one per sessie, with the facilitator's session)."""
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    out = subprocess.run(
        [
            PYTHON,
            str(ROOT / "bench" / "seed.py"),
            f"--tafels={args.tafels}",
            f"--clients={args.clients}",
            f"--per-sessie={args.per_sessie}",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seeded = json.loads(out.stdout)
    return seeded["tafels"], seeded["rooms"]


class StepChange:
    """--step-change: every seeded sessie goes from step 1 to STEP_TO halfway through the app
    phase, through the app's own service in a child process with the app's environment (so the
    bell goes out on the app's channel layer, under its prefix), as a facilitator's click
    would; then how long each kaart client took to show the new step."""

    def __init__(self, env: dict[str, str], tafels: list[dict]):
        self.env = env
        self.sessie_ids = sorted({tafel["sessie"] for tafel in tafels})
        self.sockets = sum(len(tafel["clients"]) for tafel in tafels)
        self.commits: dict[int, float] = {}
        self.p99 = float("nan")
        self.missed = self.sockets

    def __call__(self) -> None:
        out = subprocess.run(
            [
                PYTHON,
                str(ROOT / "bench" / "seed.py"),
                f"--step={STEP_TO}",
                f"--sessies={','.join(map(str, self.sessie_ids))}",
            ],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        self.commits = {int(pk): at for pk, at in json.loads(out.stdout).items()}
        print(f"bench: step {STEP_TO} committed in sessies {self.sessie_ids}", flush=True)

    def report(self, stats: Stats) -> None:
        """Print the step line: from each commit until its sessie's kaarten showed the step
        (a socket that never showed it is missed)."""
        latencies = [shown - self.commits[sessie] for sessie, shown in stats.step_shown]
        self.p99 = percentile(latencies, 0.99)
        self.missed = self.sockets - len(latencies)
        print(
            f"step: sockets={self.sockets} shown={len(latencies)} "
            f"p50_ms={ms(percentile(latencies, 0.5))} p99_ms={ms(self.p99)} "
            f"max_ms={ms(max(latencies, default=float('nan')))}",
            flush=True,
        )

    def summary(self) -> str:
        """The step's fields of the last line."""
        return f" step_p99_ms={ms(self.p99)} step_missed={self.missed}"


# The clients -------------------------------------------------------------------------------


@dataclass
class Edit:
    sent: float
    expected: set[int]


@dataclass
class Stats:
    # (when the edit was sent, its latency) for each delivery of an edit to another client.
    deliveries: list[tuple[float, float]] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)
    edits: int = 0
    expected: int = 0
    lost: int = 0
    late: int = 0
    error_frames: int = 0
    closes: int = 0
    exceptions: int = 0
    connect_errors: int = 0
    resyncs: int = 0
    pings: int = 0
    messages: int = 0
    bytes: int = 0
    # The control rooms, apart: their messages are not pushes to a kaart client.
    rooms: int = 0
    room_messages: int = 0
    room_bytes: int = 0
    room_closes: int = 0
    room_connect_errors: int = 0
    # (sessie, time.time()) of each kaart client's first message showing step STEP_TO.
    step_shown: list[tuple[int, float]] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    server_cpu_s: float = 0.0

    def merge(self, other: Stats) -> None:
        for name, value in vars(other).items():
            if isinstance(value, list):
                getattr(self, name).extend(value)
            else:
                setattr(self, name, getattr(self, name) + value)
        self.samples = self.samples[:10]

    @property
    def latencies(self) -> list[float]:
        return [latency for _sent, latency in self.deliveries]

    @property
    def errors(self) -> int:
        return (
            self.error_frames
            + self.closes
            + self.exceptions
            + self.connect_errors
            + self.room_closes
            + self.room_connect_errors
        )


class TafelState:
    def __init__(self, spec: dict):
        self.id = spec["id"]
        self.sessie = spec["sessie"]
        self.clients = spec["clients"]
        self.pending: dict[str, Edit] = {}


class Client:
    def __init__(self, engine: Engine, tafel: TafelState, idx: int, port: int):
        self.engine = engine
        self.tafel = tafel
        self.idx = idx
        self.port = port
        self.ws = None
        self.seq = 0
        self.sent_n = 0
        self.awaiting_ack: list[float] = []
        self.step_shown: float | None = None  # time.time() when the kaart showed STEP_TO
        self.closing = False

    @property
    def url(self) -> str:
        return f"ws://{HOST}:{self.port}/ws/tafels/{self.tafel.id}/"

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        headers = {"Accept-Language": "nl"}
        if self.engine.mode == "app":
            headers["Cookie"] = f"sessionid={self.tafel.clients[self.idx]['session']}"
        self.ws = await connect(
            self.url,
            origin=f"http://{HOST}:{self.port}",
            additional_headers=headers,
            compression=None,
            max_size=None,
            ping_interval=None,
            open_timeout=30,
            close_timeout=5,
        )
        if self.engine.mode == "app":
            first = await asyncio.wait_for(self.ws.recv(), timeout=30)
            self.on_message(first, time.monotonic())
            if not PICTURES_SHOWN:
                # As kaart.js says it in steps 1 and 2, where the balance region is condensed.
                await self.ws.send(json.dumps({"action": "pictures", "shown": False}))

    async def reader(self) -> None:
        from websockets.exceptions import ConnectionClosed

        stats = self.engine.stats
        try:
            async for message in self.ws:
                self.on_message(message, time.monotonic())
        except ConnectionClosed:
            pass
        except Exception as error:  # noqa: BLE001 - counted and reported
            stats.exceptions += 1
            stats.samples.append(f"reader: {error!r}")
            return
        if not self.closing:
            stats.closes += 1
            stats.samples.append(
                f"tafel {self.tafel.id} client {self.idx}: closed {self.ws.close_code}"
            )

    def on_message(self, text, now: float) -> None:
        stats = self.engine.stats
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        stats.messages += 1
        stats.bytes += len(text.encode())
        if self.engine.mode == "app":
            if ERROR_MARK in text:
                stats.error_frames += 1
                stats.samples.append(text[:300])
            if FULL_MARK in text:
                stats.resyncs += 1
            if self.step_shown is None and STEP_MARK in text:
                self.step_shown = time.time()
            if ACK_MARK in text and self.awaiting_ack:
                stats.acks.append(now - self.awaiting_ack.pop(0))
            for mark in SEQ_MARKS:
                at = text.find(mark)
                if at >= 0:
                    start = at + len(mark)
                    self.seq = max(self.seq, int(text[start : text.index('"', start)]))
        for marker, edit in list(self.tafel.pending.items()):
            if self.idx in edit.expected and marker in text:
                edit.expected.discard(self.idx)
                latency = now - edit.sent
                stats.deliveries.append((edit.sent, latency))
                if latency > LOST_AFTER:
                    stats.late += 1
                if not edit.expected:
                    del self.tafel.pending[marker]

    def edit_message(self, marker: str) -> str:
        if self.engine.mode != "app":
            return json.dumps({"action": "bijdrage_add", "tekst": f"Bench {marker}"})
        seat = self.tafel.clients[self.idx]
        soort = "haal" if self.sent_n % 2 else "breng"
        form = f"form-{soort}-add-{seat['partij']}"
        return json.dumps(
            {
                "tafel": str(self.tafel.id),
                "action": "bijdrage_add",
                "partij": str(seat["partij"]),
                "soort": soort,
                "tekst": f"Bench bijdrage {marker}: ondernemers samen aan tafel",
                "gewicht": "2",
                "breng_soort": "",
                "toezegging": "",
                "HEADERS": {
                    "HX-Request": "true",
                    "HX-Trigger": form,
                    "HX-Trigger-Name": None,
                    "HX-Target": form,
                    "HX-Current-URL": f"http://{HOST}:{self.port}/tafels/{self.tafel.id}/",
                },
            }
        )

    async def editor(self, start: float, end: float) -> None:
        engine = self.engine
        interval = engine.interval
        at = start + random.uniform(0, interval)
        others = set(range(len(self.tafel.clients))) - {self.idx}
        while True:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            if time.monotonic() >= end:
                return
            self.sent_n += 1
            marker = f"BM{self.tafel.id}x{self.idx}x{self.sent_n}Z"
            message = self.edit_message(marker)
            now = time.monotonic()
            self.tafel.pending[marker] = Edit(sent=now, expected=set(others))
            engine.stats.edits += 1
            engine.stats.expected += len(others)
            if engine.mode == "app":
                self.awaiting_ack.append(now)
            try:
                await self.ws.send(message)
            except Exception as error:  # noqa: BLE001 - counted and reported
                engine.stats.exceptions += 1
                engine.stats.samples.append(f"send: {error!r}")
                return
            at += interval * random.uniform(0.75, 1.25)

    async def pinger(self, end: float) -> None:
        at = time.monotonic() + random.uniform(0, PING_EVERY)
        while True:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            if time.monotonic() >= end:
                return
            try:
                await self.ws.send(json.dumps({"action": "ping", "seq": self.seq}))
            except Exception:  # noqa: BLE001 - the reader reports the close
                return
            self.engine.stats.pings += 1
            at += PING_EVERY


class Room:
    """A sessie's control room, open as the facilitator: it only reads what the app draws of
    the tafels' activity (about once per second per changed tafel), counted apart."""

    def __init__(self, engine: Engine, spec: dict, port: int):
        self.engine = engine
        self.sessie = spec["sessie"]
        self.session = spec["session"]
        self.port = port
        self.ws = None
        self.closing = False

    async def open(self) -> None:
        """Connect and wait for the room; a failure is counted, not raised."""
        from websockets.asyncio.client import connect

        stats = self.engine.stats
        try:
            self.ws = await connect(
                f"ws://{HOST}:{self.port}/ws/sessies/{self.sessie}/",
                origin=f"http://{HOST}:{self.port}",
                additional_headers={"Accept-Language": "nl", "Cookie": f"sessionid={self.session}"},
                compression=None,
                max_size=None,
                ping_interval=None,
                open_timeout=30,
                close_timeout=5,
            )
            self.on_message(await asyncio.wait_for(self.ws.recv(), timeout=30))
        except Exception as error:  # noqa: BLE001 - counted and reported
            stats.room_connect_errors += 1
            stats.samples.append(f"room of sessie {self.sessie}: connect: {error!r}")
            self.ws = None
            return
        stats.rooms += 1

    async def reader(self) -> None:
        from websockets.exceptions import ConnectionClosed

        stats = self.engine.stats
        try:
            async for message in self.ws:
                self.on_message(message)
        except ConnectionClosed:
            pass
        except Exception as error:  # noqa: BLE001 - counted and reported
            stats.exceptions += 1
            stats.samples.append(f"room reader: {error!r}")
            return
        if not self.closing:
            stats.room_closes += 1
            stats.samples.append(f"room of sessie {self.sessie}: closed {self.ws.close_code}")

    def on_message(self, text) -> None:
        stats = self.engine.stats
        stats.room_messages += 1
        stats.room_bytes += len(text.encode() if isinstance(text, str) else text)


class Engine:
    """The clients of some tafels, and the control rooms given it, in one process and one
    event loop."""

    def __init__(
        self,
        mode: str,
        tafels: list[dict],
        ports: list[int],
        interval: float,
        rooms: Sequence[dict] = (),
    ):
        self.mode = mode
        self.interval = interval
        self.stats = Stats()
        self.tafels = [TafelState(spec) for spec in tafels]
        self.clients = [
            Client(self, tafel, idx, ports[idx % len(ports)])
            for tafel in self.tafels
            for idx in range(len(tafel.clients))
        ]
        self.rooms = [Room(self, spec, ports[0]) for spec in rooms]
        self.readers: list[asyncio.Task] = []

    async def connect_all(self) -> None:
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(client: Client) -> None:
            async with gate:
                try:
                    await client.connect()
                except Exception as error:  # noqa: BLE001 - counted and reported
                    self.stats.connect_errors += 1
                    self.stats.samples.append(f"connect: {error!r}")
                    client.ws = None

        await asyncio.gather(*(one(c) for c in self.clients), *(r.open() for r in self.rooms))
        self.readers = [asyncio.create_task(c.reader()) for c in self.clients if c.ws]
        self.readers += [asyncio.create_task(r.reader()) for r in self.rooms if r.ws]

    async def quiet(self, seconds: float = 1.0, limit: float = 30.0) -> None:
        """Wait until no message arrived for `seconds` (the presence pushes of connecting)."""
        deadline = time.monotonic() + limit
        last = -1
        while time.monotonic() < deadline:
            await asyncio.sleep(seconds)
            if self.stats.messages == last:
                return
            last = self.stats.messages

    async def run(self, start: float, end: float) -> None:
        live = [c for c in self.clients if c.ws]
        tasks = [asyncio.create_task(c.editor(start, end)) for c in live]
        if self.mode == "app":
            tasks += [asyncio.create_task(c.pinger(end)) for c in live]
        await asyncio.gather(*tasks)
        # Drain: until everything arrived, at most LOST_AFTER after the end.
        deadline = time.monotonic() + LOST_AFTER
        while time.monotonic() < deadline and any(t.pending for t in self.tafels):
            await asyncio.sleep(0.1)

    async def close_all(self) -> None:
        sockets = [*self.clients, *self.rooms]
        for one in sockets:
            one.closing = True
        await asyncio.gather(*(s.ws.close() for s in sockets if s.ws), return_exceptions=True)
        await asyncio.gather(*self.readers, return_exceptions=True)

    def finish(self) -> Stats:
        for tafel in self.tafels:
            for edit in tafel.pending.values():
                self.stats.lost += len(edit.expected)
        self.stats.lost += self.stats.late
        self.stats.step_shown = [
            (c.tafel.sessie, c.step_shown) for c in self.clients if c.step_shown is not None
        ]
        return self.stats


def worker(
    conn, mode: str, tafels: list[dict], ports: list[int], interval: float, rooms: Sequence[dict]
) -> None:
    """One client process: connect, say ready, run the phase it is told, send the stats."""

    async def main() -> None:
        engine = Engine(mode, tafels, ports, interval, rooms)
        await engine.connect_all()
        await engine.quiet()
        conn.send(("ready", engine.stats.connect_errors))
        loop = asyncio.get_running_loop()
        start, end = await loop.run_in_executor(None, conn.recv)
        connected = engine.stats
        engine.stats = Stats(
            connect_errors=connected.connect_errors,
            rooms=connected.rooms,
            room_connect_errors=connected.room_connect_errors,
            samples=connected.samples,
        )
        await engine.run(start, end)
        await engine.close_all()
        conn.send(("done", engine.finish()))

    try:
        asyncio.run(main())
    except Exception as error:  # noqa: BLE001 - reported to the parent
        conn.send(("failed", repr(error)))


def run_phase(
    mode,
    tafels,
    ports,
    args,
    pids: list[int],
    profile: str | None = None,
    rooms: Sequence[dict] = (),
    midway: Callable[[], None] | None = None,
):
    """Run one measured phase with args.client_procs client processes (the control rooms
    all in the first; `midway` is called at start + duration / 2); returns the merged stats
    and CPU use of the servers and the clients."""
    ctx = multiprocessing.get_context("fork")
    shares = [tafels[i :: args.client_procs] for i in range(args.client_procs)]
    workers = []
    for share in shares:
        if not share:
            continue
        parent_end, child_end = ctx.Pipe()
        given = [] if workers else rooms
        proc = ctx.Process(
            target=worker,
            args=(child_end, mode, share, ports, args.interval, given),
            daemon=True,
        )
        proc.start()
        workers.append((proc, parent_end))
    for _proc, conn in workers:
        if not conn.poll(CONNECT_LIMIT):
            raise RuntimeError(f"a client process did not connect within {CONNECT_LIMIT} s")
        kind, value = conn.recv()
        if kind != "ready":
            raise RuntimeError(f"client process failed: {value}")
    cpu_before = {pid: cpu_seconds(pid) for pid in pids + [p.pid for p, _c in workers]}
    services_before = services_cpu_seconds()
    start = time.monotonic() + 0.5
    end = start + args.duration
    for _proc, conn in workers:
        conn.send((start, end))
    spy = None
    if profile:
        spy = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "py-spy"),
                "record",
                "--pid",
                str(pids[0]),
                "--rate",
                "100",
                "--duration",
                str(int(args.duration)),
                "--format",
                "raw",
                "--output",
                profile,
                "--nonblocking",
                "--threads",
                "--gil",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    if midway is not None:
        time.sleep(max(0.0, start + args.duration / 2 - time.monotonic()))
        midway()
    merged = Stats()
    for _proc, conn in workers:
        if not conn.poll(args.duration + LOST_AFTER + 120):
            raise RuntimeError("a client process did not finish in time")
        kind, value = conn.recv()
        if kind != "done":
            raise RuntimeError(f"client process failed: {value}")
        merged.merge(value)
    elapsed = time.monotonic() - start
    cpu = {pid: (cpu_seconds(pid) - before) / elapsed for pid, before in cpu_before.items()}
    services = services_cpu_seconds()
    merged.server_cpu_s = sum(cpu[pid] for pid in pids) * elapsed
    for proc, _conn in workers:
        proc.join(timeout=10)
    if spy is not None:
        spy.wait(timeout=60)
    usage = {
        "servers": [round(cpu[pid] * 100) for pid in pids],
        "clients": [round(cpu[p.pid] * 100) for p, _c in workers],
        **{
            name: round((seconds - services_before[name]) / elapsed * 100)
            for name, seconds in services.items()
        },
    }
    return merged, usage


async def churn(
    tafels: list[dict], ports: list[int], rounds: int, pids: list[int], trace: str | None = None
) -> Stats:
    """Connect every client (waiting for its card), close them all; `rounds` times. Prints
    the servers' RSS after each round: growth that keeps rising per round is a leak, growth
    that settles is caches and pools warming up. With `trace` (the servers run with
    HB_TRACEMALLOC_DIR), the first server writes a snapshot after the warm-up round and after
    the last, and what grew between them is printed."""
    stats = Stats()
    warm_up = min(5, rounds)
    for number in range(1, rounds + 1):
        engine = Engine("app", tafels, ports, 1.0)
        await engine.connect_all()
        await engine.close_all()
        stats.merge(engine.stats)
        await asyncio.sleep(1)
        rss = [round(rss_mb(pid), 1) for pid in pids]
        print(f"churn: round={number} errors={engine.stats.errors} rss_mb={rss}", flush=True)
        if trace and number in (warm_up, rounds):
            await asyncio.sleep(2)
            take_snapshot(pids[0], Path(trace), 1 if number == warm_up else 2)
    if trace and rounds > warm_up:
        report_growth(Path(trace), rounds - warm_up, len(tafels) * len(tafels[0]["clients"]))
    return stats


def take_snapshot(pid: int, directory: Path, number: int) -> None:
    os.kill(pid, signal.SIGUSR2)
    deadline = time.monotonic() + 300
    while not (directory / f"types-{number}.json").exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the server wrote no tracemalloc snapshot")
        time.sleep(0.5)


def report_growth(directory: Path, rounds: int, clients: int) -> None:
    """What grew in the server between the two snapshots: allocation sites and object types."""
    import tracemalloc

    connects = rounds * clients
    if (directory / "snapshot-2.bin").exists():
        first = tracemalloc.Snapshot.load(str(directory / "snapshot-1.bin"))
        last = tracemalloc.Snapshot.load(str(directory / "snapshot-2.bin"))
        grown = last.compare_to(first, "traceback")
        total = sum(stat.size_diff for stat in grown)
        print(f"trace: {connects} connects, traced memory {total / 1024:+.0f} kB", flush=True)
        for stat in grown[:8]:
            print(
                f"trace: {stat.size_diff / 1024:+.0f} kB {stat.count_diff:+d} blocks "
                f"({stat.size_diff / connects:+.0f} B per connect)",
                flush=True,
            )
            for line in stat.traceback.format()[-12:]:
                print(f"trace:    {line}", flush=True)
    before = json.loads((directory / "types-1.json").read_text())
    after = json.loads((directory / "types-2.json").read_text())
    growth = sorted(
        ((after.get(name, 0) - before.get(name, 0), name) for name in after), reverse=True
    )
    for count, name in growth[:15]:
        print(f"trace: objects {name}: {before.get(name, 0)} -> {after[name]} ({count:+d})")


# Figures -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ms(value: float) -> str:
    return "nan" if value != value else f"{value * 1000:.1f}"


def print_timeline(name: str, stats: Stats, window: float) -> None:
    """The deliveries' p50 and p99 per `window` seconds of the run, by when the edit was sent:
    whether a tail is spread over the run (queueing) or comes in bursts (pauses)."""
    if not stats.deliveries:
        return
    first = min(sent for sent, _latency in stats.deliveries)
    windows: dict[int, list[float]] = {}
    for sent, latency in stats.deliveries:
        windows.setdefault(int((sent - first) // window), []).append(latency)
    for index in sorted(windows):
        latencies = windows[index]
        print(
            f"{name} timeline: t={index * window:.0f}s deliveries={len(latencies)} "
            f"p50_ms={ms(percentile(latencies, 0.5))} p99_ms={ms(percentile(latencies, 0.99))}",
            flush=True,
        )


def bytes_per_push(stats: Stats) -> float:
    """What a client receives per edit of another, on average: every byte received while
    editing (pushes, acks, pongs, presence) over the deliveries of others' edits."""
    return stats.bytes / len(stats.deliveries) if stats.deliveries else float("nan")


def cpu_per_edit(stats: Stats) -> float:
    return stats.server_cpu_s / stats.edits if stats.edits else float("nan")


def describe(name: str, stats: Stats, usage: dict, duration: float) -> str:
    """The detail line of a phase (the app's with what its control rooms received)."""
    rooms = (
        f"rooms={stats.rooms} room_msgs={stats.room_messages} "
        f"room_kb={stats.room_bytes / 1000:.1f} "
        if name == "app"
        else ""
    )
    return (
        f"{name}: edits={stats.edits} deliveries={len(stats.deliveries)}/{stats.expected} "
        f"p50_ms={ms(percentile(stats.latencies, 0.5))} "
        f"p90_ms={ms(percentile(stats.latencies, 0.9))} "
        f"p99_ms={ms(percentile(stats.latencies, 0.99))} "
        f"max_ms={ms(max(stats.latencies, default=float('nan')))} "
        f"ack_p50_ms={ms(percentile(stats.acks, 0.5))} "
        f"ack_p99_ms={ms(percentile(stats.acks, 0.99))} "
        f"lost={stats.lost} late={stats.late} error_frames={stats.error_frames} "
        f"closes={stats.closes} "
        f"exceptions={stats.exceptions} connect_errors={stats.connect_errors} "
        f"pings={stats.pings} full_cards={stats.resyncs} "
        f"msgs_per_s={stats.messages / duration:.0f} mb_per_s={stats.bytes / duration / 1e6:.1f} "
        f"server_cpu%={usage['servers']} client_cpu%={usage['clients']} "
        f"db_cpu%={usage['db']} redis_cpu%={usage['redis']} "
        f"server_cpu_ms_per_edit={stats.server_cpu_s * 1000 / max(stats.edits, 1):.1f} "
        f"bytes_per_push={bytes_per_push(stats):.0f} "
        f"{rooms}"
        f"loadavg={Path('/proc/loadavg').read_text().split()[0]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tafels", type=int, default=200)
    parser.add_argument("--clients", type=int, default=5, help="clients (partijen) per tafel")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between edits")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of editing")
    parser.add_argument("--processes", type=int, default=1, help="daphne processes")
    parser.add_argument("--per-sessie", type=int, default=10, help="tafels per sessie")
    parser.add_argument("--client-procs", type=int, default=1, help="client processes")
    parser.add_argument(
        "--churn",
        type=int,
        default=0,
        metavar="ROUNDS",
        help="connect/disconnect every client ROUNDS times; report RSS",
    )
    parser.add_argument("--no-relay", action="store_true", help="skip the bare relay")
    parser.add_argument(
        "--no-rooms", action="store_true", help="no control rooms open during the app phase"
    )
    parser.add_argument(
        "--step-change",
        action="store_true",
        help=f"every sessie goes to step {STEP_TO} halfway through the app phase; "
        "time until each kaart shows it",
    )
    parser.add_argument(
        "--pictures-shown",
        action="store_true",
        help="the pages keep the balance region open (step 3): they are sent the pictures",
    )
    parser.add_argument("--relay-only", action="store_true", help="only the bare relay")
    parser.add_argument(
        "--relay-commit",
        action="store_true",
        help="also the relay that commits each message to PostgreSQL before forwarding it "
        "(the floor of ratio_p99 for anything that rings after its commit)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_halenbrengen"
        ),
        help="a throw-away database (dropped and created); its name starts with 'bench'",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
    )
    parser.add_argument(
        "--app-settings",
        default="halenbrengen.settings",
        help="settings module of the app under test (to measure a change before it is made)",
    )
    parser.add_argument(
        "--asgi",
        default="halenbrengen.asgi:application",
        help="ASGI application of the app under test",
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the daphne logs")
    parser.add_argument(
        "--timeline",
        type=float,
        default=0,
        metavar="SECONDS",
        help="also print the app's p50 and p99 per this many seconds of the run",
    )
    parser.add_argument(
        "--tracemalloc",
        metavar="DIR",
        help="with --churn: trace the first server's allocations and print what grew after "
        "the warm-up (snapshots in DIR)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="py-spy the first daphne process during the edit phase, on-CPU only (--gil) "
        "(collapsed stacks into FILE; needs py-spy); with --relay-only the relay's",
    )
    args = parser.parse_args()
    global PICTURES_SHOWN  # read by the client processes (forked after this)
    PICTURES_SHOWN = args.pictures_shown

    watchdog = threading_watchdog(2 * (args.duration + CONNECT_LIMIT) + 300 + 60 * args.churn)
    logdir = Path(tempfile.mkdtemp(prefix="hb-bench-"))
    prefix = f"bench{secrets.token_hex(4)}"
    env = app_env(args, prefix)
    servers: Servers | None = None
    app_stats = Stats()
    app_usage = {"servers": [], "clients": []}
    tafels: list[dict] = []
    step_change: StepChange | None = None
    try:
        print(
            f"bench: preparing {args.database_url} ({args.tafels} tafels x {args.clients}); "
            f"machine_probe_ms={machine_probe_ms():.0f}",
            flush=True,
        )
        prepare_database(args.database_url)
        tafels, rooms = seed(args, env)
        if not args.relay_only:
            if args.step_change:
                step_change = StepChange(env, tafels)
            servers = Servers(args.asgi, env, args.processes, logdir, "app")
            print(f"bench: app on ports {servers.ports}, logs in {logdir}", flush=True)
            rss_start = [rss_mb(pid) for pid in servers.pids]
            app_stats, app_usage = run_phase(
                "app",
                tafels,
                servers.ports,
                args,
                servers.pids,
                profile=args.profile,
                rooms=[] if args.no_rooms else rooms,
                midway=step_change,
            )
            problems = servers.log_problems()
            print(describe("app", app_stats, app_usage, args.duration), flush=True)
            if args.timeline:
                print_timeline("app", app_stats, args.timeline)
            if step_change is not None:
                step_change.report(app_stats)
            print(
                f"app: server_tracebacks={problems['tracebacks']} "
                f"full_channel_logs={problems['full_channel']} "
                f"rss_mb={[round(rss_mb(p)) for p in servers.pids]} "
                f"(at start {[round(r) for r in rss_start]})",
                flush=True,
            )
            app_stats.exceptions += problems["tracebacks"]
            for sample in app_stats.samples[:5]:
                print(f"  sample: {sample}", flush=True)
            if args.churn:
                before = [rss_mb(pid) for pid in servers.pids]
                churned = asyncio.run(
                    churn(tafels, servers.ports, args.churn, servers.pids, args.tracemalloc)
                )
                time.sleep(3)
                after = [rss_mb(pid) for pid in servers.pids]
                print(
                    f"churn: rounds={args.churn} "
                    f"connections={args.churn * len(tafels) * args.clients} "
                    f"errors={churned.errors} rss_mb_before={[round(r, 1) for r in before]} "
                    f"rss_mb_after={[round(r, 1) for r in after]}",
                    flush=True,
                )
            servers.stop()
            servers = None

        def run_relay(mode: str, **extra: str) -> Stats:
            nonlocal servers
            relay_env = dict(
                env,
                DJANGO_SETTINGS_MODULE="bench.relay.settings",
                CHANNELS_PREFIX=prefix + mode,
                **extra,
            )
            servers = Servers(
                "bench.relay.asgi:application", relay_env, args.processes, logdir, mode
            )
            stats, usage = run_phase(
                mode,
                tafels,
                servers.ports,
                args,
                servers.pids,
                profile=args.profile if args.relay_only and mode == "relay" else None,
            )
            print(describe(mode, stats, usage, args.duration), flush=True)
            servers.stop()
            servers = None
            return stats

        relay_stats = Stats() if args.no_relay else run_relay("relay")
        commit_stats = Stats()
        if args.relay_commit:
            create_relay_log(args.database_url)
            commit_stats = run_relay(
                "relay_commit", BENCH_RELAY_COMMIT="1", DATABASE_URL=args.database_url
            )
    finally:
        if servers is not None:
            servers.stop()
        watchdog.cancel()
        if not args.keep_logs:
            for log in logdir.glob("*.log"):
                log.unlink()
            logdir.rmdir()
    stats = relay_stats if args.relay_only else app_stats
    p99 = percentile(stats.latencies, 0.99)
    relay_p99 = percentile(relay_stats.latencies, 0.99)
    ratio = over(p99, relay_p99)
    relay_cpu = cpu_per_edit(relay_stats)
    cpu_ratio = cpu_per_edit(stats) / relay_cpu if relay_cpu > 0 else float("nan")
    step = step_change.summary() if step_change is not None else ""
    print(
        f"tafels={args.tafels} clients={args.tafels * args.clients} "
        f"edits_per_s={stats.edits / args.duration:.1f} "
        f"p50_ms={ms(percentile(stats.latencies, 0.5))} p99_ms={ms(p99)} "
        f"lost={stats.lost} errors={stats.errors} relay_p99_ms={ms(relay_p99)} "
        f"ratio_p99={ratio:.2f} cpu_ratio={cpu_ratio:.2f} "
        f"bytes_per_push={bytes_per_push(stats):.0f}{step}{commit_floor(commit_stats, relay_p99)}",
        flush=True,
    )


def commit_floor(commit_stats: Stats, relay_p99: float) -> str:
    """With --relay-commit: the relay that commits each message before it forwards it, as a
    p99 and over the bare relay's (the floor of ratio_p99 for anything that rings after its
    commit)."""
    if not commit_stats.latencies:
        return ""
    p99 = percentile(commit_stats.latencies, 0.99)
    return f" commit_p99_ms={ms(p99)} commit_ratio_p99={over(p99, relay_p99):.2f}"


def over(p99: float, relay_p99: float) -> float:
    """A p99 over the bare relay's (nan without one)."""
    return p99 / relay_p99 if relay_p99 == relay_p99 and relay_p99 > 0 else float("nan")


def create_relay_log(url: str) -> None:
    """The table the committing relay writes its messages to (bench/relay/asgi.py)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_relay_log "
            "(id bigserial PRIMARY KEY, tafel integer NOT NULL, text text NOT NULL, "
            "at timestamptz NOT NULL DEFAULT now())"
        )


def threading_watchdog(seconds: float):
    """End the whole run (our own process group's children first) if it overruns."""
    import threading

    def fire() -> None:
        print(f"bench: watchdog after {seconds:.0f}s, stopping", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGTERM)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return timer


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
