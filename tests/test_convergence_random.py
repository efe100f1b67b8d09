"""Every page converges to the truth, whatever the network does (issue 13).

Three or four people edit one kaart at once over the real websocket edge while the test drops
frames on their way to some of them (the socket stays open: a network that loses them, a tab
that cannot take them), closes sockets and reconnects them later. Each page is a PageModel
(tests/page_model.py), which does what kaart.js does. Many seeded schedules; at the end
every page's kaart equals a fresh page load of the database for that person, region by region,
every change a page was told was accepted is in the log once, and no change is left without
an answer.
"""

from __future__ import annotations

import json
import os
import random

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from halenbrengen.asgi import application
from sessions.models import KaartEvent
from tests.kaart_helpers import make_kaarten, redis_channel_layer
from tests.page_model import CONTENT_REGIONS, PageModel, canonical

pytestmark = pytest.mark.django_db(transaction=True)

SEEDS = range(int(os.environ.get("HB_CONVERGENCE_SEEDS", "5")))
STEPS = 50


@pytest.fixture
def channel_layer(settings):
    """The layer the run has: Redis pub/sub in CI's PostgreSQL + Redis run, the in-memory one
    in the embedded default (the suite runs both)."""
    url = os.environ.get("REDIS_URL")
    if url:
        settings.CHANNEL_LAYERS = redis_channel_layer(url)
        return "redis"
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return "memory"


def _page(session_key: str, tafel) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["sessionid"] = session_key
    response = client.get(tafel.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


class Browser:
    """One person's page: a PageModel and the socket under it, with faults on demand."""

    def __init__(self, k, name: str, rng: random.Random):
        self.k, self.name, self.rng = k, name, rng
        self.session = k.people[name]
        self.model: PageModel | None = None
        self.comm: WebsocketCommunicator | None = None
        self.drop = 0  # frames still to be lost on their way here
        self.dropped = 0

    async def open(self) -> None:
        if self.model is None:
            page = await sync_to_async(_page)(self.session, self.k.tafel_a)
            self.model = PageModel(page, self.k.tafel_a.pk)
        headers = [
            (b"host", b"localhost"),
            (b"origin", b"http://localhost"),
            (b"accept-language", b"en"),
            (b"cookie", f"sessionid={self.session}".encode()),
        ]
        self.comm = WebsocketCommunicator(
            application, f"/ws/tafels/{self.k.tafel_a.pk}/", headers=headers
        )
        connected, _code = await self.comm.connect()
        assert connected
        # As kaart.js on a new socket: what was sent and not answered goes again.
        for body in list(self.model.inflight.values()):
            await self.comm.send_to(text_data=body)

    async def close(self) -> None:
        await self.comm.disconnect()
        self.comm = None

    async def send(self, body: str) -> None:
        if self.comm is not None:  # a closed page's change waits in flight
            await self.comm.send_to(text_data=body)

    async def heartbeat(self) -> None:
        """kaart.js's ping, and what it sends again with it."""
        for body in list(self.model.inflight.values()):
            await self.send(body)
        await self.send(self.model.ping())

    async def pump(self, quiet: float = 0.02) -> None:
        """Take what has arrived; lose some of it if told to."""
        if self.comm is None:
            return
        while not await self.comm.receive_nothing(timeout=quiet):
            frame = await self.comm.receive_from()
            if self.drop > 0:
                self.drop -= 1
                self.dropped += 1
                continue
            for answer in self.model.apply(frame):
                await self.send(answer)

    def items(self) -> list:
        return self.model.doc.select("#kaart-partijen li.bijdrage[id]")


async def _act(browser: Browser, rng: random.Random, k, counter: list[int]) -> None:
    roll = rng.random()
    model = browser.model
    items = browser.items()
    if roll < 0.4 or not items:
        counter[0] += 1
        partij = rng.choice([k.politie, k.gemeente, k.omgevingsdienst])
        await browser.send(
            model.change(
                action="bijdrage_add",
                partij=partij.pk,
                soort=rng.choice(["haal", "breng"]),
                tekst=f"{browser.name} {counter[0]}",
                gewicht=rng.randint(1, 3),
            )
        )
    elif roll < 0.6:
        item = rng.choice(items)
        counter[0] += 1
        await browser.send(
            model.change(
                action="bijdrage_edit",
                id=item["id"].removeprefix("bijdrage-"),
                version=item["data-version"],
                tekst=f"{browser.name} bewerkt {counter[0]}",
                gewicht=rng.randint(1, 3),
            )
        )
    elif roll < 0.7:
        item = rng.choice(items)
        await browser.send(
            model.change(
                action="bijdrage_move",
                id=item["id"].removeprefix("bijdrage-"),
                direction=rng.choice(["up", "down"]),
            )
        )
    elif roll < 0.85:
        browser.drop = rng.randint(1, 4)  # the next frames get lost on the way
    elif roll < 0.95 and browser.comm is not None:
        await browser.close()  # reconnects a few steps later
    else:
        await browser.heartbeat()


@pytest.mark.parametrize("seed", SEEDS)
async def test_every_page_converges_whatever_the_network_does(seed, channel_layer):
    rng = random.Random(seed)
    k = await sync_to_async(make_kaarten)()
    names = rng.sample(["anna", "bram", "cor", "facilitator"], rng.randint(3, 4))
    browsers = [Browser(k, name, rng) for name in names]
    for browser in browsers:
        await browser.open()
    counter = [0]
    for _step in range(STEPS):
        browser = rng.choice(browsers)
        if browser.comm is None:
            if rng.random() < 0.5:
                await browser.open()  # back after a while
        else:
            await _act(browser, rng, k, counter)
        for other in browsers:
            await other.pump()

    # The network heals: everyone is connected, nothing is lost any more, heartbeats run.
    for browser in browsers:
        browser.drop = 0
        if browser.comm is None:
            await browser.open()
    last = None
    for _round in range(12):
        for browser in browsers:
            await browser.heartbeat()
        for browser in browsers:
            await browser.pump(quiet=0.1)
        last = await sync_to_async(
            lambda: k.tafel_a.events.order_by("-seq").values_list("seq", flat=True).first() or 0
        )()
        if all(b.model.seq == last and not b.model.inflight for b in browsers):
            break

    for browser in browsers:
        assert not browser.model.inflight, f"{browser.name}: changes without an answer"
        assert browser.model.seq == last, f"{browser.name} is at {browser.model.seq} of {last}"
        fresh = PageModel(await sync_to_async(_page)(browser.session, k.tafel_a), k.tafel_a.pk)
        for region in CONTENT_REGIONS:
            assert browser.model.region(region) == fresh.region(region), (
                f"seed {seed}: {browser.name}'s {region} differs from a fresh page"
            )
    nonces = await sync_to_async(
        lambda: [e.data.get("nonce") for e in KaartEvent.objects.filter(tafel=k.tafel_a)]
    )()
    for browser in browsers:
        for nonce in browser.model.acked:
            # Every accepted add and edit is in the log, once (a move of the first item up,
            # say, is accepted and changes nothing).
            if browser.model.sent[nonce]["action"] in ("bijdrage_add", "bijdrage_edit"):
                assert nonces.count(nonce) == 1, f"accepted change {nonce} is not in the log once"
            else:
                assert nonces.count(nonce) <= 1
    # The schedule did what it says: frames were lost on the way to someone.
    assert sum(b.dropped for b in browsers) > 0
    for browser in browsers:
        if browser.comm is not None:
            await browser.close()


def test_a_page_model_asks_for_the_card_on_a_gap_and_after_a_telling_pong():
    """The model behaves as kaart.js on its own: a gap and a pong beyond its number."""
    page = (
        '<div id="kaart"><div id="kaart-seq" hx-swap-oob="true" data-seq="3" hidden></div>'
        '<div id="kaart-pong" hidden></div></div>'
    )
    model = PageModel(page, 1)
    assert (
        model.apply('<div id="kaart-seq" hx-swap-oob="true" data-seq="4" data-prev="3"></div>')
        == []
    )
    assert model.seq == 4
    gap = model.apply('<div id="kaart-seq" hx-swap-oob="true" data-seq="6" data-prev="5"></div>')
    assert [json.loads(a) for a in gap] == [{"action": "card"}] and model.seq == 4
    late = model.apply('<div id="kaart-pong" hx-swap-oob="true" data-seq="6" hidden></div>')
    assert [json.loads(a) for a in late] == [{"action": "card"}]
    assert canonical('<ul>\n  <li  a="1">x</li>\n</ul>') == '<ul><li a="1">x</li></ul>'
