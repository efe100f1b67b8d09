"""Faults, with real processes: daphne servers sharing Redis and PostgreSQL, a server killed
with SIGKILL mid-edit, a Redis restart mid-sessie, and the database refusing connections.

The servers are daphne child processes serving halenbrengen.asgi as production does
(DJANGO_DEBUG=0) against this test run's PostgreSQL database, so the test data is committed
(`transactional_db`). The clients are real websockets that behave like the kaart page: they
keep the sequence number, and reconnect after a close below 4000.

These need the real services: they are skipped unless DATABASE_URL is PostgreSQL and REDIS_URL
is set (CI runs the suite once with both), and the Redis restart needs `redis-server`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from sessions.consumers.kaart import BELL_GRACE
from sessions.models import Bijdrage, KaartEvent
from tests.faults.helpers import Daphne, Page, RedisServer, TcpProxy, database_url, server_env
from tests.kaart_helpers import make_kaarten
from tests.page_model import PageModel


def _missing() -> str | None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return "DATABASE_URL is not PostgreSQL: the fault tests run against the real services"
    if not os.environ.get("REDIS_URL"):
        return "REDIS_URL is not set: the fault tests run against the real services"
    try:
        import websockets  # noqa: F401
    except ImportError:
        return "the websockets client library is not installed (pip install -e '.[dev]')"
    return None


pytestmark = [
    pytest.mark.skipif(_missing() is not None, reason=_missing() or ""),
    pytest.mark.django_db(transaction=True),
]


class Harness:
    """Starts servers for one test and stops all of them afterwards (printing their logs, which
    pytest shows when the test failed)."""

    def __init__(self):
        from django.conf import settings
        from django.db import connection

        self.settings_dict = connection.settings_dict
        self.secret_key = settings.SECRET_KEY
        self.logdir = Path(tempfile.mkdtemp(prefix="hb-faults-"))
        self.prefix = f"faults-{uuid.uuid4().hex[:10]}"
        self.daphnes: list[Daphne] = []
        self.others: list = []

    async def daphnes_up(self, *names: str, redis: str | None = None, database: str | None = None):
        """Start daphne processes (in parallel) sharing one Redis and one database."""
        env = server_env(
            secret_key=self.secret_key,
            database=database or database_url(self.settings_dict),
            redis=redis or os.environ["REDIS_URL"],
            prefix=self.prefix,
        )
        started = [Daphne(env, name, self.logdir).start() for name in names]
        self.daphnes += started
        await asyncio.gather(*(asyncio.to_thread(d.wait) for d in started))
        return started

    def redis(self) -> RedisServer:
        if shutil.which("redis-server") is None:
            reason = "redis-server is not installed: the Redis restart needs its own server"
            if os.environ.get("CI"):
                pytest.fail(reason)  # CI installs it (.ci/run): never skip the test there
            pytest.skip(reason)
        server = RedisServer(self.logdir).start()
        self.others.append(server)
        return server

    def proxy(self) -> TcpProxy:
        proxy = TcpProxy(
            self.settings_dict.get("HOST") or "127.0.0.1",
            int(self.settings_dict.get("PORT") or 5432),
        ).up()
        self.others.append(proxy)
        return proxy

    def stop(self) -> None:
        for daphne in self.daphnes:
            daphne.stop()
        for other in self.others:
            other.down() if isinstance(other, TcpProxy) else other.stop()
        for daphne in self.daphnes:
            print(f"----- daphne {daphne.name} (port {daphne.port}) -----")
            print(daphne.output()[-6000:])
        shutil.rmtree(self.logdir, ignore_errors=True)


@pytest.fixture
def harness(transactional_db):
    harness = Harness()
    yield harness
    harness.stop()


@pytest.fixture
def kaarten(transactional_db):
    return make_kaarten()


def page(kaarten, name: str, port: int) -> Page:
    return Page(kaarten.tafel_a.pk, kaarten.people[name], port, name)


async def connected(kaarten, *seats: tuple[str, int]) -> list[Page]:
    """A page per (person, port) at tafel A, each connected and holding its whole card."""
    pages = [page(kaarten, name, port) for name, port in seats]
    for p in pages:
        await p.connect()
    return pages


def contains(text: str):
    return lambda message: text in message


def acked(form: str):
    return contains(f'id="kaart-ack" hx-swap-oob="true" data-form="{form}"')


def is_card(message: str) -> bool:
    return 'id="kaart-stap"' in message


def db(func):
    """Run ORM code from the async test in a worker thread, and close that thread's
    connection afterwards (an open one would keep the test database from being dropped)."""

    def run(*args, **kwargs):
        from django.db import connections

        try:
            return func(*args, **kwargs)
        finally:
            connections.close_all()

    return sync_to_async(run)


@db
def kaart_truth(tafel) -> tuple[set[str], list[KaartEvent]]:
    texts = set(Bijdrage.objects.filter(tafel=tafel).values_list("tekst", flat=True))
    return texts, list(KaartEvent.objects.filter(tafel=tafel).order_by("seq"))


@db
def assert_log_consistent(tafel) -> None:
    """Every bijdrage has its bijdrage_added event and the log has no gaps: nothing was applied
    by halves."""
    events = list(KaartEvent.objects.filter(tafel=tafel).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    added = {e.data["id"] for e in events if e.kind == "bijdrage_added"}
    assert set(Bijdrage.objects.filter(tafel=tafel).values_list("pk", flat=True)) == added


async def close_all(*pages: Page) -> None:
    await asyncio.gather(*(p.close() for p in pages), return_exceptions=True)


async def test_an_edit_on_one_process_reaches_the_clients_on_the_other(harness, kaarten):
    a, b = await harness.daphnes_up("a", "b")
    anna, bram, cor = await connected(kaarten, ("anna", a.port), ("bram", b.port), ("cor", b.port))
    # Presence crosses the processes too: anna (on a) sees bram and cor (on b) arrive.
    await anna.wait_for(lambda m: 'id="kaart-presence"' in m and "Cor" in m and "Bram" in m)

    await anna.add(kaarten.politie.pk, "Over de procesgrens heen", "form-a")
    await anna.wait_for(acked("form-a"))
    for other in (bram, cor):
        message = await other.wait_for(contains("Over de procesgrens heen"))
        assert f'hx-swap-oob="beforeend:#partij-{kaarten.politie.pk}-haal-list"' in message

    await bram.add(kaarten.gemeente.pk, "En weer terug", "form-b")
    await anna.wait_for(contains("En weer terug"))
    await close_all(anna, bram, cor)


async def test_a_killed_process_loses_no_acknowledged_edit(harness, kaarten):
    a, b = await harness.daphnes_up("a", "b")
    anna, cor, bram = await connected(kaarten, ("anna", a.port), ("cor", a.port), ("bram", b.port))

    async def burst() -> None:
        for i in range(40):
            try:
                await anna.add(kaarten.politie.pk, f"Burst {i} zz", f"burst-{i}")
            except Exception:  # noqa: BLE001 - the server died under us, as intended
                return
            await asyncio.sleep(0.02)

    sending = asyncio.create_task(burst())
    await anna.wait_for(acked("burst-2"), timeout=30)
    a.kill9()  # mid-burst: more edits are in flight and being applied
    await sending
    assert await anna.wait_closed() < 4000
    assert await cor.wait_closed() < 4000
    confirmed = {int(form.split("-")[1]) for form in anna.acked()}
    assert confirmed, "no edit was acknowledged before the kill"

    # The page reconnects; the load balancer sends it to the process that is still up.
    anna_card, cor_card = await anna.connect(b.port), await cor.connect(b.port)
    texts, _events = await kaart_truth(kaarten.tafel_a)
    for i in confirmed:
        assert f"Burst {i} zz" in texts, f"acknowledged edit {i} is not in the database"
        assert f"Burst {i} zz" in anna_card and f"Burst {i} zz" in cor_card
    await assert_log_consistent(kaarten.tafel_a)
    # Whatever was committed, acknowledged or not, is on the reconnected cards.
    for text in texts:
        assert text in anna_card and text in cor_card

    # bram never lost his socket. Whatever process a committed before it died reached his
    # page: by its bell, or, where the bell died with the process, by the whole card his
    # heartbeat gets once no bell came for a while (BELL_GRACE).
    await asyncio.sleep(BELL_GRACE.total_seconds() + 0.5)
    start = len(bram.messages)
    await bram.ping()
    answer = await bram.wait_for(lambda m: is_card(m) or 'id="kaart-pong"' in m, start=start)
    if not is_card(answer):  # up to date: each text came by the push of its own bijdrage
        answer = "".join(bram.messages)
    assert all(text in answer for text in texts)

    # And the tafel goes on, now on one process.
    await anna.add(kaarten.politie.pk, "Na de crash", "form-after")
    await anna.wait_for(acked("form-after"))
    await bram.wait_for(contains("Na de crash"))
    await cor.wait_for(contains("Na de crash"))
    await close_all(anna, cor, bram)


async def heartbeats(pages: list[Page], every: float) -> None:
    """What kaart.js does every 15 s (here more often): a ping with the page's sequence
    number. Sent only while the page has an open socket."""
    while True:
        await asyncio.sleep(every)
        for p in pages:
            if p.closed_code is None and p.ws is not None:
                # A socket closing under us: the page reconnects.
                with contextlib.suppress(Exception):
                    await p.ping()


def pushed(text: str):
    """A live push carrying `text`, not a whole card sent in answer to a heartbeat."""
    return lambda message: text in message and not is_card(message)


async def test_the_tafel_recovers_from_a_redis_restart(harness, kaarten):
    redis = harness.redis()
    a, b = await harness.daphnes_up("a", "b", redis=redis.url)
    # Two sockets on each process: anna and cor on a, bram and the facilitator on b.
    pages = await connected(
        kaarten, ("anna", a.port), ("cor", a.port), ("bram", b.port), ("facilitator", b.port)
    )
    anna, others = pages[0], pages[1:]
    for p in pages:
        p.reconnect_to = lambda port=p.port: port  # like kaart.js after a close below 4000
    await anna.add(kaarten.politie.pk, "Voor de herstart", "form-before")
    for p in others:
        await p.wait_for(pushed("Voor de herstart"))

    # Redis restarts without persistence: every group membership is gone.
    redis.kill9()
    await asyncio.sleep(0.5)
    redis.start()
    beating = asyncio.create_task(heartbeats(pages, every=1.0))
    try:
        # A page that lacks what its socket sent before the previous heartbeat gets the
        # whole card, Redis or not.
        await asyncio.sleep(1.0)
        for p in pages:
            await p.open_socket()  # the same socket, or a new one if the server closed it
        await others[1].ping()  # the socket takes its messages in order
        start = len(others[1].messages)
        await others[1].ping(seq=0)
        card = await others[1].wait_for(is_card, start=start)
        assert "Voor de herstart" in card

        # Live pushes come back (the consumers are in their groups again) within a few
        # heartbeats: anna keeps editing until every other socket gets her edit pushed.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        n = 0
        while True:
            n += 1
            text = f"Na de herstart {n} zz"
            marks = [len(p.messages) for p in others]
            await anna.open_socket()
            await anna.add(kaarten.politie.pk, text, f"form-after-{n}")
            try:
                for p, mark in zip(others, marks, strict=True):
                    await p.wait_for(pushed(text), timeout=2, start=mark)
                break
            except AssertionError:
                deaf = [
                    p.name
                    for p, mark in zip(others, marks, strict=True)
                    if not any(pushed(text)(m) for m in p.messages[mark:])
                ]
                assert loop.time() < deadline, (
                    f"20 s after the Redis restart, live pushes still do not reach {deaf} "
                    f"(reconnects: {[(p.name, p.reconnects) for p in pages]})"
                )
        print(f"recovered after {n} edit(s); reconnects: {[(p.name, p.reconnects) for p in pages]}")
    finally:
        beating.cancel()
    await close_all(*pages)


async def test_live_pushes_come_back_after_the_groups_are_wiped(harness, kaarten):
    """Group membership can vanish while every connection stays up: FLUSHDB (Django's
    cache.clear() does exactly that on the Redis the cache shares with the channel layer),
    a failover to a replica, or channels-redis' group expiry (a day). Nothing crashes, so no
    page reconnects; the heartbeat must put the socket back in its groups."""
    redis = harness.redis()
    (a,) = await harness.daphnes_up("a", redis=redis.url)
    anna, bram = await connected(kaarten, ("anna", a.port), ("bram", a.port))
    for p in (anna, bram):
        p.reconnect_to = lambda port=a.port: port
    await anna.add(kaarten.politie.pk, "Voor het wissen", "form-before")
    await bram.wait_for(pushed("Voor het wissen"))

    import redis as redis_py

    client = redis_py.Redis.from_url(redis.url)
    client.flushdb()
    client.close()
    beating = asyncio.create_task(heartbeats([anna, bram], every=1.0))
    try:
        await asyncio.sleep(2.5)  # a few heartbeats
        await anna.add(kaarten.politie.pk, "Na het wissen", "form-after")
        await bram.wait_for(pushed("Na het wissen"), timeout=5)
    finally:
        beating.cancel()
    await close_all(anna, bram)


async def test_the_database_refusing_connections_fails_edits_cleanly(harness, kaarten):
    proxy = harness.proxy()
    (a,) = await harness.daphnes_up(
        "a", database=database_url(harness.settings_dict, host="127.0.0.1", port=proxy.port)
    )
    (anna,) = await connected(kaarten, ("anna", a.port))
    await anna.add(kaarten.politie.pk, "Voor de storing", "form-before")
    await anna.wait_for(acked("form-before"))
    await anna.wait_for(contains("Voor de storing"))  # its push too: the socket is idle now
    _texts, events_before = await kaart_truth(kaarten.tafel_a)

    proxy.down()  # the database refuses connections; open ones are cut
    await anna.add(kaarten.politie.pk, "Tijdens de storing", "form-down")
    refusal = await anna.wait_for(contains('id="form-down-error"'), timeout=40)
    assert "nothing was changed" in refusal
    assert "form-down" not in anna.acked()

    proxy.up()
    texts, events = await kaart_truth(kaarten.tafel_a)
    assert "Tijdens de storing" not in texts
    assert [e.seq for e in events] == [e.seq for e in events_before]
    await assert_log_consistent(kaarten.tafel_a)

    # Once the database is back, the same socket edits again (after the pool reconnects).
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    n = 0
    while True:
        n += 1
        form = f"form-up-{n}"
        await anna.add(kaarten.politie.pk, f"Na de storing {n} zz", form)
        outcome = await anna.wait_for(
            lambda m, form=form: f'data-form="{form}"' in m or f'id="{form}-error"' in m,
            timeout=40,
        )
        if f'data-form="{form}"' in outcome:
            break
        assert loop.time() < deadline, "the edits still fail 30 s after the database came back"
        await asyncio.sleep(1)
    texts, _events = await kaart_truth(kaarten.tafel_a)
    assert f"Na de storing {n} zz" in texts
    await assert_log_consistent(kaarten.tafel_a)
    await close_all(anna)


class RealBrowser:
    """A page (tests/page_model.py) on a real socket to one of the servers; a socket that
    closes is reopened later by the schedule, to whichever server is up."""

    def __init__(self, kaarten, name: str):
        self.kaarten, self.name = kaarten, name
        self.model = None
        self.ws = None
        self.frames: asyncio.Queue[str] = asyncio.Queue()
        self.drop = 0

    async def open(self, port: int) -> None:
        from websockets.asyncio.client import connect

        if self.model is None:
            self.model = PageModel(await db(_page_html)(self.kaarten, self.name), self.tafel)
        self.ws = await connect(
            f"ws://127.0.0.1:{port}/ws/tafels/{self.tafel}/",
            origin=f"http://127.0.0.1:{port}",
            additional_headers={
                "Cookie": f"sessionid={self.kaarten.people[self.name]}",
                "Accept-Language": "en",
            },
            compression=None,
            max_size=None,
            ping_interval=None,
            open_timeout=20,
        )
        asyncio.get_running_loop().create_task(self._read(self.ws))
        for body in list(self.model.inflight.values()):  # kaart.js on a new socket
            await self.send(body)

    @property
    def tafel(self) -> int:
        return self.kaarten.tafel_a.pk

    async def _read(self, ws) -> None:
        with contextlib.suppress(Exception):
            async for frame in ws:
                await self.frames.put(frame)
        if self.ws is ws:
            self.ws = None

    async def send(self, body: str) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.send(body)

    async def heartbeat(self) -> None:
        for body in list(self.model.inflight.values()):
            await self.send(body)
        await self.send(self.model.ping())

    async def pump(self) -> None:
        while not self.frames.empty():
            frame = self.frames.get_nowait()
            if self.drop > 0:
                self.drop -= 1
                continue
            for answer in self.model.apply(frame):
                await self.send(answer)

    async def close(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None:
            await ws.close()


def _page_html(kaarten, name: str) -> str:
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["sessionid"] = kaarten.people[name]
    return client.get(kaarten.tafel_a.get_absolute_url()).content.decode()


@pytest.mark.parametrize("seed", range(2))
async def test_pages_converge_while_a_web_process_is_killed_and_restarted(harness, kaarten, seed):
    """Issue 13's convergence with real processes: four pages on two daphnes edit while
    frames to some are lost, and one process is killed with SIGKILL halfway and started again;
    in the end every page equals a fresh page load, and every accepted change is in the log."""
    import random

    rng = random.Random(seed)
    a, b = await harness.daphnes_up("a", "b")
    up = {a.name: a, b.name: b}
    browsers = [RealBrowser(kaarten, name) for name in ("anna", "bram", "cor", "facilitator")]
    for n, browser in enumerate(browsers):
        await browser.open((a if n % 2 else b).port)
    partijen = [kaarten.politie, kaarten.gemeente, kaarten.omgevingsdienst]
    for step in range(40):
        if step == 15:
            a.kill9()  # half the pages lose their socket mid-sessie
            del up["a"]
        if step == 25:
            (again,) = await harness.daphnes_up("a2")
            up["a2"] = again
        browser = rng.choice(browsers)
        roll = rng.random()
        if browser.ws is None:
            await browser.open(rng.choice(list(up.values())).port)
        elif roll < 0.6:
            await browser.send(
                browser.model.change(
                    action="bijdrage_add",
                    partij=rng.choice(partijen).pk,
                    soort=rng.choice(["haal", "breng"]),
                    tekst=f"{browser.name} {step}",
                    gewicht=1,
                )
            )
        elif roll < 0.8:
            browser.drop = rng.randint(1, 3)
        else:
            await browser.heartbeat()
        await asyncio.sleep(0.05)
        for other in browsers:
            await other.pump()

    for browser in browsers:
        browser.drop = 0
        if browser.ws is None:
            await browser.open(rng.choice(list(up.values())).port)
    for _round in range(20):
        for browser in browsers:
            await browser.heartbeat()
        await asyncio.sleep(0.3)
        for browser in browsers:
            await browser.pump()
        _texts, events = await kaart_truth(kaarten.tafel_a)
        last = events[-1].seq if events else 0
        if all(x.model.seq == last and not x.model.inflight for x in browsers):
            break
    await assert_log_consistent(kaarten.tafel_a)
    nonces = [e.data.get("nonce") for e in events]
    for browser in browsers:
        assert not browser.model.inflight, f"{browser.name}: changes without an answer"
        fresh = PageModel(await db(_page_html)(kaarten, browser.name), browser.tafel)
        for region in ("kaart-partijen", "kaart-koppelingen", "kaart-inzicht", "kaart-seq"):
            mine, truth = browser.model.region(region), fresh.region(region)
            if mine != truth:  # pragma: no cover - the message says where they part
                at = len(os.path.commonprefix([mine, truth]))
                near = slice(max(0, at - 100), at + 300)
                raise AssertionError(
                    f"{browser.name}'s {region} differs at {at}: {mine[near]!r} != {truth[near]!r}"
                )
        for nonce in browser.model.acked:
            assert nonces.count(nonce) == 1
    for browser in browsers:
        await browser.close()
