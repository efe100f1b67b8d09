"""Shared set-up for the live kaart tests: a sessie with two tafels, people and their sockets."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from dataclasses import dataclass

from bs4 import BeautifulSoup
from channels.testing import WebsocketCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from halenbrengen.asgi import application
from sessions import access
from sessions.models import Membership
from tests import factories


@dataclass
class Kaarten:
    """Tafel A with three participants and a facilitator; tafel B with one participant."""

    sessie: object
    tafel_a: object
    tafel_b: object
    politie: object
    gemeente: object
    omgevingsdienst: object
    people: dict  # name -> session key
    facilitator: object
    coordinator: object


def redis_channel_layer(url: str) -> dict:
    """CHANNEL_LAYERS for the layer production uses (halenbrengen/settings.py), under a prefix
    of this test's own."""
    return {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": url, "socket_timeout": 10}],
                "prefix": f"test-{uuid.uuid4().hex[:8]}",
            },
        }
    }


def participant_session(deelnemer) -> str:
    session = SessionStore()
    access.remember_deelnemer(session, deelnemer)
    session.create()
    return session.session_key


def user_session(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def make_kaarten() -> Kaarten:
    sessie = factories.SessieFactory()
    opgave = sessie.opgave
    tafel_a = factories.TafelFactory(sessie=sessie, nummer=1)
    tafel_b = factories.TafelFactory(sessie=sessie, nummer=2)
    politie = factories.PartijFactory(opgave=opgave, name="Politie")
    gemeente = factories.PartijFactory(opgave=opgave, name="Gemeente")
    omgevingsdienst = factories.PartijFactory(opgave=opgave, name="Omgevingsdienst")
    people = {}
    for name, partij in (("anna", politie), ("bram", gemeente), ("cor", omgevingsdienst)):
        deelnemer = factories.DeelnemerFactory(tafel=tafel_a, partij=partij, name=name.title())
        people[name] = participant_session(deelnemer)
    dirk = factories.DeelnemerFactory(tafel=tafel_b, partij=politie, name="Dirk")
    people["dirk"] = participant_session(dirk)
    facilitator = factories.MembershipFactory(
        team=opgave.team, role=Membership.Role.FACILITATOR
    ).user
    coordinator = factories.MembershipFactory(
        team=opgave.team, role=Membership.Role.COORDINATOR
    ).user
    people["facilitator"] = user_session(facilitator)
    people["coordinator"] = user_session(coordinator)
    return Kaarten(
        sessie=sessie,
        tafel_a=tafel_a,
        tafel_b=tafel_b,
        politie=politie,
        gemeente=gemeente,
        omgevingsdienst=omgevingsdienst,
        people=people,
        facilitator=facilitator,
        coordinator=coordinator,
    )


class Socket:
    """A WebsocketCommunicator over the real ASGI application, with the kaart's helpers."""

    def __init__(
        self,
        tafel_id: int,
        session_key: str | None,
        origin: bytes = b"http://localhost",
        language: str = "en",
    ):
        headers = [
            (b"host", b"localhost"),
            (b"origin", origin),
            (b"accept-language", language.encode()),
        ]
        if session_key:
            headers.append((b"cookie", f"sessionid={session_key}".encode()))
        self.comm = WebsocketCommunicator(application, f"/ws/tafels/{tafel_id}/", headers=headers)
        self.tafel_id = tafel_id

    async def open(self) -> str:
        """Connect and return the first message: the whole card."""
        connected, _code = await self.comm.connect()
        assert connected
        return await self.comm.receive_from(timeout=5)

    async def send(self, form_id: str = "", **fields) -> None:
        fields.setdefault("tafel", str(self.tafel_id))
        payload = {**fields, "HEADERS": {"HX-Request": "true", "HX-Trigger": form_id}}
        await self.comm.send_to(text_data=json.dumps(payload))

    async def receive_until(self, needle: str, timeout: float = 5) -> str:
        """Read messages until one contains `needle`; returns that message."""
        return (await self.receive_through(needle, timeout))[-1]

    async def receive_through(self, needle: str, timeout: float = 5) -> list[str]:
        """Read messages until one contains `needle`; returns them all, that one last."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        messages = []
        while not messages or needle not in messages[-1]:
            remaining = deadline - loop.time()
            assert remaining > 0, f"no message with {needle!r}"
            messages.append(await self.comm.receive_from(timeout=remaining))
        return messages

    async def drain(self, quiet: float = 0.3) -> list[str]:
        """Read whatever is waiting (presence updates and the like)."""
        messages = []
        while not await self.comm.receive_nothing(timeout=quiet):
            messages.append(await self.comm.receive_from())
        return messages

    async def close(self) -> None:
        await self.comm.disconnect()


def regions(html: str) -> dict[str, str]:
    """What a pushed message puts on the page by id, whitespace-normalised: its top-level
    elements with an id, and the items it appends to a list (`beforeend:#list`). An element
    that takes another's place (`outerHTML:#id`) puts itself there, and what it replaces
    (a placeholder the message put there before) is not left on the page."""
    soup = BeautifulSoup(html, "html.parser")
    found = {}
    for el in soup.find_all(recursive=False):
        oob = el.get("hx-swap-oob", "")
        if oob.startswith("beforeend:"):
            found.update({item["id"]: normalise(item) for item in el.find_all(recursive=False)})
            continue
        if oob.startswith("outerHTML:"):
            found.pop(oob.split("#", 1)[1], None)
        if el.get("id"):
            found[el["id"]] = normalise(el)
    return found


def taken_out(html: str) -> list[str]:
    """The ids a pushed message takes off the page (hx-swap-oob="delete")."""
    soup = BeautifulSoup(html, "html.parser")
    return [el["id"] for el in soup.find_all(recursive=False) if el.get("hx-swap-oob") == "delete"]


def kaart_page(k: Kaarten, viewer_name: str, language: str = "en", tafel=None) -> str:
    """Tafel A's kaart page (or `tafel`'s) as this person gets it now."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["sessionid"] = k.people[viewer_name]
    response = client.get((tafel or k.tafel_a).get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def region_of_page(page_html: str, element_id: str) -> str:
    soup = BeautifulSoup(page_html, "html.parser")
    element = soup.find(id=element_id)
    assert element is not None, f"#{element_id} is not on the page"
    return normalise(element)


def normalise(element) -> str:
    """Whitespace-normalised, without the swap instruction (htmx drops it when it swaps) and
    the count of the sessie's changes a whole card says it shows (only a page that polls
    reads it, from the whole card it was sent last: a push of one change leaves it out)."""
    return re.sub(r' (hx-swap-oob|data-sessie)="[^"]*"', "", " ".join(str(element).split()))


def fill_kaart(kaarten: Kaarten, size: int) -> dict[str, list[int]]:
    """Fill tafel A to `size` items the way a long sessie might, lopsided on purpose: most
    bijdragen on Politie (so that its halen and brengen alone outgrow one websocket frame),
    brengen of Gemeente, koppelingen between them, vervolgstappen. Returns the ids by kind."""
    from sessions import services

    tafel = kaarten.tafel_a
    stappen, koppelingen = size * 5 // 100, size * 15 // 100
    gemeente_brengen = size // 10
    politie = size - stappen - koppelingen - gemeente_brengen
    ids: dict[str, list[int]] = {"politie": [], "gemeente": [], "koppeling": [], "vervolgstap": []}
    text = "ondernemers, politie en gemeente samen aan tafel voor een veilig bedrijventerrein"
    for n in range(politie):
        soort = "haal" if n % 2 else "breng"
        ids["politie"].append(
            services.bijdrage_add(
                tafel=tafel, partij=kaarten.politie, soort=soort, tekst=f"P{n}: {text}"
            ).pk
        )
    for n in range(gemeente_brengen):
        ids["gemeente"].append(
            services.bijdrage_add(
                tafel=tafel, partij=kaarten.gemeente, soort="breng", tekst=f"G{n}: {text}"
            ).pk
        )
    halen = ids["politie"][1::2]
    pairs = [(h, b) for b in ids["gemeente"] for h in halen][:koppelingen]
    for haal_id, breng_id in pairs:
        ids["koppeling"].append(
            services.koppeling_add(tafel=tafel, haal_id=haal_id, breng_id=breng_id).pk
        )
    for n in range(stappen):
        ids["vervolgstap"].append(
            services.vervolgstap_add(
                tafel=tafel, title=f"Vervolgstap {n}: {text}", eigenaar=kaarten.gemeente
            ).pk
        )
    return ids
