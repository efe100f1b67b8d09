"""The websocket edge over the real router, on the in-memory and the Redis channel layer."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import threading

import pytest
from asgiref.sync import sync_to_async
from bs4 import BeautifulSoup
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from halenbrengen.asgi import application
from sessions import actions, broadcast, fragments, selectors, services
from sessions.consumers import kaart as kaart_consumer
from sessions.models import Bijdrage, Deelnemer, KaartEvent
from tests import factories
from tests.kaart_helpers import Socket, make_kaarten, redis_channel_layer, regions

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["memory", "redis"])
def channel_layer(request, settings):
    if request.param == "redis":
        url = os.environ.get("REDIS_URL")
        if not url:
            pytest.skip("REDIS_URL is not set: the Redis channel layer runs in CI")
        # The layer production uses (halenbrengen/settings.py), under a prefix of its own.
        settings.CHANNEL_LAYERS = redis_channel_layer(url)
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return request.param


@pytest.fixture
def kaarten(channel_layer):
    return make_kaarten()


async def open_all(kaarten, *names, tafel=None):
    sockets = {}
    for name in names:
        t = tafel or (kaarten.tafel_b if name == "dirk" else kaarten.tafel_a)
        sockets[name] = Socket(t.pk, kaarten.people[name])
        await sockets[name].open()
    for socket in sockets.values():
        await socket.drain()
    return sockets


async def close_all(sockets):
    for socket in sockets.values():
        await socket.close()


async def close_code(socket) -> int | None:
    """The code the socket is closed with, reading past what comes before it (or None)."""
    for _ in range(10):
        output = await socket.comm.receive_output(timeout=2)
        if output["type"] == "websocket.close":
            return output["code"]
    return None


def events() -> int:
    return KaartEvent.objects.count()


async def test_a_change_reaches_the_others_at_the_tafel_and_nobody_else(kaarten):
    sockets = await open_all(kaarten, "anna", "bram", "cor", "facilitator", "dirk")
    await sockets["anna"].send(
        "form-haal-add",
        action="bijdrage_add",
        partij=kaarten.politie.pk,
        soort="haal",
        tekst="Malafide bedrijven weren",
        gewicht=2,
    )
    for name in ("bram", "cor", "facilitator"):
        message = await sockets[name].receive_until("Malafide bedrijven weren")
        # The new haal alone, appended to Politie's halen; not the partij's lists again.
        assert f'hx-swap-oob="beforeend:#partij-{kaarten.politie.pk}-haal-list"' in message
        assert f'id="partij-{kaarten.politie.pk}-bijdragen"' not in message
        # ...with a polite line for screen readers about who did what.
        assert "Anna added a bijdrage" in regions(message)["kaart-live"]
    ack = await sockets["anna"].receive_until("kaart-ack")
    assert 'data-form="form-haal-add"' in ack
    # Anna hears that her change is saved, not her own name back.
    assert "Saved." in regions(ack)["kaart-live"]
    rest = "".join(await sockets["anna"].drain())
    assert "Malafide bedrijven weren" in ack + rest and "Anna added" not in ack + rest
    assert await sockets["dirk"].comm.receive_nothing(timeout=0.5)
    await close_all(sockets)


async def test_the_sender_gets_its_own_change_with_its_ack_in_one_frame_and_once(kaarten, settings):
    """The page that sent a change is not sent it a second time when its bell comes back: it
    came in the frame of the ack, after it (the form it came from is clean by then)."""
    settings.HB_PICTURE_DELAY = 30  # the pictures follow later; not part of this push
    sockets = await open_all(kaarten, "anna", "bram")
    await sockets["anna"].send(
        "form-haal-add",
        action="bijdrage_add",
        partij=kaarten.politie.pk,
        soort="haal",
        tekst="Eigen haal",
    )
    frame = await sockets["anna"].receive_until("kaart-ack")
    assert "Eigen haal" in frame
    assert frame.index('id="kaart-ack"') < frame.index("Eigen haal") < frame.index("kaart-seq")
    assert "Eigen haal" in await sockets["bram"].receive_until("Eigen haal")
    assert "Eigen haal" not in "".join(await sockets["anna"].drain())
    # Behind on a change of another (its bell not yet there), the page gets its ack alone, and
    # both changes in order once the bells come.
    held = await sync_to_async(held_changes)(kaarten, "Van een ander")
    await sockets["anna"].send(
        "form-haal-add",
        action="bijdrage_add",
        partij=kaarten.politie.pk,
        soort="haal",
        tekst="Daarna",
    )
    ack = await sockets["anna"].receive_until("kaart-ack")
    assert "Daarna" not in ack
    await broadcast.send_held(held)
    text = "".join(await sockets["anna"].drain())
    assert text.count('class="tekst">Van een ander<') == 1
    assert text.count('class="tekst">Daarna<') == 1
    assert text.index("Van een ander") < text.index("Daarna")
    await close_all(sockets)


async def test_the_pictures_follow_a_burst_of_changes_once_after_it(kaarten, settings):
    """The balance chart and the map are not in each change's push: they follow at the end
    of the window the burst falls in, drawn with all of its changes."""
    settings.HB_PICTURE_DELAY = 1.0
    sockets = await open_all(kaarten, "anna", "bram")
    for n in range(3):
        await sockets["anna"].send(
            action="bijdrage_add", partij=kaarten.politie.pk, soort="haal", tekst=f"Haal {n}"
        )
    seen = ""
    for n in range(3):
        push = await sockets["bram"].receive_until(f"Haal {n}")
        assert 'id="kaart-inzicht"' not in push
        seen += push
    pictures = await sockets["bram"].receive_until('id="kaart-inzicht"')
    # Drawn after all three: Politie's three halen (weight 1 each) in the chart.
    assert "Politie: halen 3, brengen 0." in pictures
    later = "".join(await sockets["bram"].drain(quiet=1.5))
    assert 'id="kaart-inzicht"' not in later, "the pictures came twice for one burst"
    await close_all(sockets)


async def test_pictures_the_page_does_not_show_are_drawn_when_it_opens_them(kaarten):
    """In steps 1 and 2 the balance region is condensed: a page that says it does not show
    the pictures is not sent them, and gets them as they are now when it opens the region.
    A page that says nothing gets them as before."""
    sockets = await open_all(kaarten, "anna", "bram")
    await sockets["bram"].comm.send_to(text_data=json.dumps({"action": "pictures", "shown": False}))
    await sockets["bram"].comm.receive_nothing(timeout=0.3)
    for n in range(2):
        await sockets["anna"].send(
            action="bijdrage_add", partij=kaarten.politie.pk, soort="haal", tekst=f"Haal {n}"
        )
        push = await sockets["bram"].receive_until(f"Haal {n}")
        assert 'id="kaart-inzicht"' not in push
        # Anna's page said nothing: hers come with each change (no delay in the tests).
        pictures = await sockets["anna"].receive_until('id="kaart-inzicht"')
        assert f"Politie: halen {n + 1}, brengen 0." in pictures
    assert 'id="kaart-inzicht"' not in "".join(await sockets["bram"].drain(quiet=0.5))

    await sockets["bram"].comm.send_to(text_data=json.dumps({"action": "pictures", "shown": True}))
    pictures = await sockets["bram"].receive_until('id="kaart-inzicht"')
    assert "Politie: halen 2, brengen 0." in pictures
    # Shown, they follow the changes again.
    await sockets["anna"].send(
        action="bijdrage_add", partij=kaarten.politie.pk, soort="haal", tekst="Haal 2"
    )
    assert "Politie: halen 3, brengen 0." in await sockets["bram"].receive_until(
        'id="kaart-inzicht"'
    )
    await close_all(sockets)


async def test_a_change_rendered_at_commit_reaches_the_others_without_the_database(
    kaarten, settings, monkeypatch
):
    """An added bijdrage is rendered once, by the process that applied it, and carried in the
    bell: the others who see it alike (same language, may edit) are sent that HTML as it is."""
    settings.HB_PICTURE_DELAY = 30  # the pictures follow later; not part of this push
    sockets = await open_all(kaarten, "anna", "bram", "facilitator")

    def no_render(*args, **kwargs):
        raise AssertionError("rendered again from the database")

    monkeypatch.setattr(fragments, "render_lean", no_render)
    monkeypatch.setattr(selectors, "kaart_for", no_render)
    await sockets["anna"].send(
        action="bijdrage_add", partij=kaarten.politie.pk, soort="haal", tekst="Gedeelde haal"
    )
    for name in ("bram", "facilitator"):
        pushed = await sockets[name].receive_until("Gedeelde haal")
        assert f'hx-swap-oob="beforeend:#partij-{kaarten.politie.pk}-haal-list"' in pushed
        assert "kaart-seq" in pushed
    await close_all(sockets)


async def test_changes_flow_while_the_shared_sync_thread_is_busy(kaarten):
    """A socket's messages go to its own database threads only: while the one thread that
    Django's synchronous views share is held (a slow export, say), a change is still applied
    and pushed to the others at once (Channels' consumers hop to that thread before every
    message unless told not to)."""
    sockets = await open_all(kaarten, "anna", "bram")
    release = threading.Event()
    held = asyncio.ensure_future(sync_to_async(release.wait, thread_sensitive=True)())
    try:
        await sockets["anna"].send(
            action="bijdrage_add", partij=kaarten.politie.pk, soort="haal", tekst="Toch door"
        )
        assert "Toch door" in await sockets["bram"].receive_until("Toch door")
    finally:
        release.set()
        await held
    await close_all(sockets)


async def test_a_vertrouwelijk_change_rings_a_bell_without_html(kaarten):
    """Whoever may not see a vertrouwelijk item must not get it even in a bell they ignore."""
    layer = get_channel_layer()
    listener = await layer.new_channel()
    await layer.group_add(broadcast.tafel_group(kaarten.tafel_a.pk), listener)
    anna = await sync_to_async(_deelnemer)(kaarten, "Anna")
    await sync_to_async(services.bijdrage_add)(
        tafel=kaarten.tafel_a,
        partij=kaarten.politie,
        soort="breng",
        tekst="Alleen voor Anna",
        vertrouwelijk=True,
        actor=services.Actor(deelnemer=anna),
    )
    secret = await layer.receive(listener)
    await sync_to_async(services.bijdrage_add)(
        tafel=kaarten.tafel_a, partij=kaarten.politie, soort="haal", tekst="Voor iedereen"
    )
    shared = await layer.receive(listener)
    assert secret["html"] == {}
    assert "Alleen voor Anna" not in json.dumps(secret)
    assert "Voor iedereen" in json.dumps(shared["html"])


def _deelnemer(kaarten, name):
    return kaarten.tafel_a.deelnemers.get(name=name)


async def test_a_stale_edit_is_refused_and_the_sender_told(kaarten):
    bijdrage = await sync_to_async(services.bijdrage_add)(
        tafel=kaarten.tafel_a, partij=kaarten.politie, soort="haal", tekst="Eerste versie"
    )
    sockets = await open_all(kaarten, "anna", "bram")
    await sockets["anna"].send(
        "form-bijdrage",
        action="bijdrage_edit",
        id=bijdrage.pk,
        version=1,
        tekst="Anna's versie",
        gewicht=1,
    )
    await sockets["bram"].receive_until("Anna&#x27;s versie")
    # Bram still had version 1 open.
    await sockets["bram"].send(
        f"form-bijdrage-{bijdrage.pk}",
        action="bijdrage_edit",
        id=bijdrage.pk,
        version=1,
        tekst="Bram's versie",
        gewicht=3,
    )
    refusal = await sockets["bram"].receive_until("kaart-alert")
    assert f'id="form-bijdrage-{bijdrage.pk}-conflict"' in refusal
    assert "Anna&#x27;s versie" in refusal  # the current value is shown
    assert f'id="form-bijdrage-{bijdrage.pk}-version"' in refusal and 'value="2"' in refusal
    await sync_to_async(bijdrage.refresh_from_db)()
    assert (bijdrage.tekst, bijdrage.gewicht, bijdrage.version) == ("Anna's versie", 1, 2)
    # The refusal is Bram's alone: Anna is told nothing of it.
    assert not any("Someone else changed this" in m for m in await sockets["anna"].drain())
    await close_all(sockets)


async def test_a_reconnecting_client_receives_the_whole_card(kaarten):
    sockets = await open_all(kaarten, "anna", "bram")
    await sockets["bram"].close()
    await sockets["anna"].send(
        action="bijdrage_add",
        partij=kaarten.politie.pk,
        soort="breng",
        tekst="Opsporing van strafbare feiten",
        breng_soort="bevoegdheden",
        toezegging="toegezegd",
    )
    await sockets["anna"].receive_until("Opsporing van strafbare feiten")
    again = Socket(kaarten.tafel_a.pk, kaarten.people["bram"])
    card = await again.open()
    for region in (
        "kaart-stap",
        "kaart-opgave",
        "kaart-partijen",
        "kaart-koppelingen",
        "kaart-vervolgstappen",
        "kaart-ontbrekend",
        "kaart-presence",
        "kaart-seq",
    ):
        assert f'id="{region}"' in card
    assert "Opsporing van strafbare feiten" in card
    assert 'data-seq="1"' in card
    await again.close()
    await sockets["anna"].close()


def held_changes(kaarten, *teksten: str) -> list:
    """A haal of Gemeente added at tafel A for each text, with their bells held (not rung)."""
    with broadcast.held() as bells:
        for tekst in teksten:
            services.bijdrage_add(
                tafel=kaarten.tafel_a, partij=kaarten.gemeente, soort="haal", tekst=tekst
            )
    return [bell for bell in bells if bell[1]["type"] == "kaart.changed"]


def two_changes(kaarten) -> list:
    return held_changes(kaarten, "Eerste", "Tweede")


async def test_bells_that_ring_out_of_order_are_pushed_in_order_without_the_whole_card(kaarten):
    """Two changes committed side by side may ring in either order (each thread rings its
    own); the page gets both pushes in the order of the log, not a whole card."""
    sockets = await open_all(kaarten, "anna")

    first, second = await sync_to_async(two_changes)(kaarten)
    await broadcast.send_held([second, first])
    pushes = [await sockets["anna"].receive_until("Eerste")]
    pushes.append(await sockets["anna"].receive_until("Tweede"))
    assert "Tweede" not in pushes[0] and 'data-seq="1"' in pushes[0]
    assert 'data-seq="2"' in pushes[1]
    assert not any('id="kaart-partijen"' in push for push in pushes)
    await close_all(sockets)


async def test_a_bell_that_never_comes_has_its_change_read_from_the_log(kaarten):
    """A bell lost (or rung seconds late by a process far behind): after BELL_REORDER the
    change it skipped is read from the log and pushed, then the held one; not the whole card,
    which costs a render of everything for every socket of the tafel at once."""
    sockets = await open_all(kaarten, "anna", "bram")

    _lost, second = await sync_to_async(two_changes)(kaarten)
    await broadcast.send_held([second])
    for socket in sockets.values():
        pushes = [await socket.receive_until("Eerste")]
        pushes.append(await socket.receive_until("Tweede"))
        assert "Tweede" not in pushes[0] and 'data-seq="1"' in pushes[0]
        assert 'data-seq="2"' in pushes[1]
        assert not any('id="kaart-partijen"' in push for push in pushes)
    await close_all(sockets)


async def test_more_lost_bells_than_are_worth_reading_bring_the_whole_card(kaarten, monkeypatch):
    monkeypatch.setattr(kaart_consumer, "CATCH_UP", 0)
    sockets = await open_all(kaarten, "anna")

    _lost, second = await sync_to_async(two_changes)(kaarten)
    await broadcast.send_held([second])
    card = await sockets["anna"].receive_until('id="kaart-partijen"')
    assert "Eerste" in card and "Tweede" in card
    await close_all(sockets)


async def test_a_heartbeat_behind_the_log_gets_the_whole_card(kaarten):
    sockets = await open_all(kaarten, "anna")
    # A change whose bell never rang (as when the channel layer drops a message).
    await sync_to_async(Bijdrage.objects.create)(
        tafel=kaarten.tafel_a, partij=kaarten.politie, soort="haal", tekst="Stil toegevoegd"
    )
    event = await sync_to_async(KaartEvent.objects.create)(tafel=kaarten.tafel_a, seq=1, kind="x")
    # ...long enough ago that its bell would have arrived (a younger one may still be queued).
    await sync_to_async(KaartEvent.objects.filter(pk=event.pk).update)(
        created_at=event.created_at - datetime.timedelta(seconds=10)
    )
    await sockets["anna"].comm.send_to(text_data=json.dumps({"action": "ping", "seq": 0}))
    card = await sockets["anna"].receive_until("kaart-partijen")
    assert "Stil toegevoegd" in card
    await sockets["anna"].comm.send_to(text_data=json.dumps({"action": "ping", "seq": 1}))
    pong = await sockets["anna"].receive_until("kaart-pong")
    assert "kaart-partijen" not in pong
    await close_all(sockets)


MALFORMED = [
    pytest.param("{not json", "not valid JSON", id="not-json"),
    pytest.param("[1, 2, 3]", "must be a JSON object", id="not-an-object"),
    pytest.param(json.dumps({"action": "drop_table"}), "Unknown action", id="unknown-action"),
    pytest.param(
        json.dumps({"action": "bijdrage_add", "partij": {"x": 1}}), "wrong type", id="nested-value"
    ),
    pytest.param(
        json.dumps({"action": "bijdrage_add", "soort": "haal", "tekst": ""}),
        "required",
        id="missing-fields",
    ),
    # 2 kB that json.loads cannot parse: it raises RecursionError, not ValueError.
    pytest.param("[" * 1000 + "]" * 1000, "nested too deeply", id="deep-json"),
    # Parseable, but deeper than any message of the protocol (the limit is 20).
    pytest.param(
        '{"action": "bijdrage_add", "tekst": ' + "[" * 20 + "]" * 20 + "}",
        "nested too deeply",
        id="nested-21-deep",
    ),
]


@pytest.mark.parametrize(("frame", "error"), MALFORMED)
async def test_malformed_messages_get_an_error_frame_and_change_nothing(kaarten, frame, error):
    sockets = await open_all(kaarten, "anna")
    before = await sync_to_async(events)()
    await sockets["anna"].comm.send_to(text_data=frame)
    reply = await sockets["anna"].receive_until("kaart-alert")
    assert error in reply
    assert await sync_to_async(events)() == before
    # The consumer is still alive and serves the next message.
    await sockets["anna"].send(
        action="bijdrage_add", partij=kaarten.politie.pk, soort="haal", tekst="Nog steeds"
    )
    await sockets["anna"].receive_until("Nog steeds")
    await close_all(sockets)


LONE_SURROGATE = "\ud800"  # valid in JSON ("\\ud800"), not in UTF-8 nor in PostgreSQL


def _invalid_text_messages():
    s = LONE_SURROGATE
    return [
        pytest.param(
            lambda k: {
                "action": "bijdrage_add",
                "partij": k.politie.pk,
                "soort": "haal",
                "tekst": f"Malafide{s}",
            },
            id="bijdrage-tekst",
        ),
        # Django's choice error quotes the value: it would be sent back to the sender.
        pytest.param(
            lambda k: {"action": "bijdrage_add", "partij": k.politie.pk, "soort": s, "tekst": "x"},
            id="choice-value",
        ),
        pytest.param(lambda k: {"action": "partij_missing", "name": s}, id="missing-partij"),
        pytest.param(
            lambda k: {
                "action": "vervolgstap_save",
                "title": "Stap",
                "eigenaar": k.politie.pk,
                "partijen": [str(k.gemeente.pk), s],
            },
            id="list-value",
        ),
        # The wrong-type error names the field: it would be sent back to the sender.
        pytest.param(lambda k: {"action": "bijdrage_add", s: {"x": 1}}, id="field-name"),
        pytest.param(lambda k: {"action": "editing", "item": f"bijdrage-{s}"}, id="editing"),
        # NUL is valid UTF-8, but PostgreSQL refuses it ("\u0000" in JSON).
        pytest.param(lambda k: {"action": "editing", "item": "bijdrage-\x00"}, id="editing-nul"),
    ]


@pytest.mark.parametrize("message", _invalid_text_messages())
async def test_invalid_text_gets_an_error_frame_and_changes_nothing(kaarten, message, caplog):
    sockets = await open_all(kaarten, "anna", "bram")
    partijen = await sync_to_async(kaarten.sessie.opgave.partijen.count)()
    frame = json.dumps({"tafel": str(kaarten.tafel_a.pk), **message(kaarten)})
    await sockets["anna"].comm.send_to(text_data=frame)
    reply = await sockets["anna"].receive_until("kaart-alert")
    assert "invalid text" in reply
    reply.encode("utf-8")  # what daphne does with every frame it sends
    assert await sync_to_async(events)() == 0
    assert await sync_to_async(kaarten.sessie.opgave.partijen.count)() == partijen
    # Nothing reached the others either (not even a presence update).
    assert await sockets["bram"].comm.receive_nothing(timeout=0.3)
    # The socket stays open and serves the next message.
    await sockets["anna"].send(
        action="bijdrage_add", partij=kaarten.politie.pk, soort="haal", tekst="Nog steeds"
    )
    await sockets["anna"].receive_until("Nog steeds")
    await close_all(sockets)
    assert not [record for record in caplog.records if record.exc_info]


async def test_binary_frames_are_refused(kaarten):
    sockets = await open_all(kaarten, "anna")
    await sockets["anna"].comm.send_to(bytes_data=b"\x00\x01")
    assert "Binary" in await sockets["anna"].receive_until("kaart-alert")
    await close_all(sockets)


async def test_an_oversized_frame_is_refused_and_the_socket_closed(kaarten, settings):
    sockets = await open_all(kaarten, "anna")
    huge = json.dumps({"action": "bijdrage_add", "tekst": "x" * (settings.HB_WS_MAX_FRAME_BYTES)})
    await sockets["anna"].comm.send_to(text_data=huge)
    assert "too large" in await sockets["anna"].receive_until("kaart-alert")
    closed = await sockets["anna"].comm.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": 4413}
    assert await sync_to_async(events)() == 0


async def test_a_text_over_the_limit_is_refused(kaarten, settings):
    sockets = await open_all(kaarten, "anna")
    await sockets["anna"].send(
        action="bijdrage_add",
        partij=kaarten.politie.pk,
        soort="haal",
        tekst="x" * (settings.HB_MAX_TEXT_LENGTH + 1),
    )
    assert "at most" in (await sockets["anna"].receive_until("kaart-alert")).lower()
    assert await sync_to_async(Bijdrage.objects.count)() == 0
    await close_all(sockets)


async def test_a_message_for_another_tafel_is_refused(kaarten):
    sockets = await open_all(kaarten, "anna")
    await sockets["anna"].send(
        action="bijdrage_add",
        tafel=str(kaarten.tafel_b.pk),
        partij=kaarten.politie.pk,
        soort="haal",
        tekst="Verkeerde tafel",
    )
    assert "another tafel" in await sockets["anna"].receive_until("kaart-alert")
    assert await sync_to_async(Bijdrage.objects.count)() == 0
    await close_all(sockets)


async def test_an_item_of_another_tafel_cannot_be_changed(kaarten):
    other = await sync_to_async(services.bijdrage_add)(
        tafel=kaarten.tafel_b, partij=kaarten.politie, soort="haal", tekst="Van tafel B"
    )
    sockets = await open_all(kaarten, "anna")
    await sockets["anna"].send(
        action="bijdrage_edit", id=other.pk, version=1, tekst="Overgenomen", gewicht=1
    )
    await sockets["anna"].receive_until("kaart-alert")
    await sockets["anna"].send(action="bijdrage_delete", id=other.pk, version=1)
    await sockets["anna"].receive_until("kaart-alert")
    await sync_to_async(other.refresh_from_db)()
    assert other.tekst == "Van tafel B"
    await close_all(sockets)


async def test_a_partij_of_another_opgave_cannot_be_used(kaarten):
    stranger = await sync_to_async(factories.PartijFactory)()
    sockets = await open_all(kaarten, "anna")
    await sockets["anna"].send(
        action="bijdrage_add", partij=stranger.pk, soort="haal", tekst="Sluiproute"
    )
    assert "Unknown partij" in await sockets["anna"].receive_until("kaart-alert")
    assert await sync_to_async(Bijdrage.objects.count)() == 0
    await close_all(sockets)


async def test_without_access_the_socket_is_closed_with_4403(kaarten):
    stranger = await sync_to_async(factories.DeelnemerFactory)()
    from tests.kaart_helpers import participant_session

    key = await sync_to_async(participant_session)(stranger)
    for session_key in (None, key, kaarten.people["dirk"]):
        comm = WebsocketCommunicator(
            application,
            f"/ws/tafels/{kaarten.tafel_a.pk}/",
            headers=[(b"host", b"localhost"), (b"origin", b"http://localhost")]
            + ([(b"cookie", f"sessionid={session_key}".encode())] if session_key else []),
        )
        connected, _ = await comm.connect()
        assert connected
        assert await comm.receive_output(timeout=2) == {"type": "websocket.close", "code": 4403}


async def test_a_foreign_origin_is_refused(kaarten):
    socket = Socket(kaarten.tafel_a.pk, kaarten.people["anna"], origin=b"https://evil.example")
    connected, _code = await socket.comm.connect()
    assert not connected


async def test_a_coordinator_reads_but_cannot_change(kaarten):
    sockets = await open_all(kaarten, "coordinator")
    await sockets["coordinator"].send(
        action="bijdrage_add", partij=kaarten.politie.pk, soort="haal", tekst="Mag niet"
    )
    assert "read-only" in await sockets["coordinator"].receive_until("kaart-alert")
    assert await sync_to_async(Bijdrage.objects.count)() == 0
    await close_all(sockets)


@pytest.mark.parametrize("change", ["locked", "revoked", "moved"])
async def test_a_change_is_refused_at_once_when_access_ended_even_before_the_bell(kaarten, change):
    """A socket keeps what its person may do while the stamp of what that depends on holds
    (access.participant_stamp), and reads the stamp for every change: a lock, a revocation or
    a move takes effect for the next change even when the socket has not heard of it (here:
    written without a bell, as if the bell were lost)."""
    from sessions.models import Deelnemer, Sessie

    sockets = await open_all(kaarten, "anna")
    anna = Deelnemer.objects.filter(name="Anna", tafel=kaarten.tafel_a)
    if change == "locked":
        await sync_to_async(Sessie.objects.filter(pk=kaarten.sessie.pk).update)(locked=True)
    elif change == "revoked":
        await sync_to_async(anna.update)(revoked=True)
    else:
        await sync_to_async(anna.update)(tafel=kaarten.tafel_b)
    await sockets["anna"].send(
        action="bijdrage_add", partij=kaarten.politie.pk, soort="haal", tekst="Te laat"
    )
    refusal = await sockets["anna"].receive_until("kaart-alert")
    assert "read-only" in refusal or "no longer have access" in refusal
    assert await sync_to_async(Bijdrage.objects.filter(tekst="Te laat").count)() == 0
    await close_all(sockets)


async def test_a_heartbeat_finds_an_access_whose_bell_was_lost_once_a_minute(kaarten, settings):
    sockets = await open_all(kaarten, "anna")
    # Anna's access ends without its bell (as when the channel layer drops it).
    await sync_to_async(Deelnemer.objects.filter(name="Anna").update)(revoked=True)
    # Her heartbeats are answered from what the socket knows until a minute has passed...
    await sockets["anna"].comm.send_to(text_data=json.dumps({"action": "ping", "seq": 0}))
    assert "kaart-pong" in await sockets["anna"].receive_until("kaart-pong")
    # ...then the next one looks again, and the socket closes.
    settings.HB_ACCESS_RECHECK = 0
    await sockets["anna"].comm.send_to(text_data=json.dumps({"action": "ping", "seq": 0}))
    assert await close_code(sockets["anna"]) == 4403


async def test_revoking_the_link_closes_participant_sockets(kaarten):
    sockets = await open_all(kaarten, "anna", "facilitator")
    await sync_to_async(services.sessie_revoke_link)(sessie=kaarten.sessie)
    assert await close_code(sockets["anna"]) == 4403
    await sockets["facilitator"].close()


async def test_too_many_messages_are_refused_then_the_socket_closed(kaarten, settings):
    settings.HB_WS_MESSAGES_PER_10S = 3
    sockets = await open_all(kaarten, "anna")
    for _ in range(4):
        await sockets["anna"].comm.send_to(text_data=json.dumps({"action": "editing", "item": ""}))
    assert "Too many messages" in await sockets["anna"].receive_until("kaart-alert")
    for _ in range(3):
        await sockets["anna"].comm.send_to(text_data=json.dumps({"action": "editing", "item": ""}))
    assert await close_code(sockets["anna"]) == 4429


@pytest.fixture
def held_actions(monkeypatch):
    """Every action waits in actions.perform until the test lets it through (`.release(n)`):
    the consumer stays busy with one message, in its database thread, as long as the test
    likes. `.started` is set once the first one is waiting."""
    permits = threading.Semaphore(0)
    permits.started = threading.Event()
    perform = actions.perform

    def held(*args, **kwargs):
        permits.started.set()
        assert permits.acquire(timeout=30), "the test never let this action through"
        return perform(*args, **kwargs)

    monkeypatch.setattr(actions, "perform", held)
    yield permits
    permits.release(1000)  # never leave the database thread waiting


async def outputs_until_closed(comm, timeout: float = 10) -> list[dict]:
    """Everything the consumer sends up to and including its close."""
    outputs = []
    while not outputs or outputs[-1]["type"] != "websocket.close":
        outputs.append(await comm.receive_output(timeout=timeout))
    return outputs


async def test_a_burst_is_refused_as_it_arrives_while_the_consumer_is_busy(
    kaarten, settings, held_actions
):
    limit = settings.HB_WS_MESSAGES_PER_10S
    anna = (await open_all(kaarten, "anna"))["anna"]
    for n in range(3 * limit):
        await anna.send(
            f"form-{n}", action="bijdrage_add", partij=kaarten.politie.pk, soort="haal",
            tekst=f"Burst {n}",
        )  # fmt: skip
        if n == 0:  # the consumer is busy with the first until the test lets it through
            assert await asyncio.to_thread(held_actions.started.wait, 10)
    # The refusals and the close come while it still is: the frames are counted as they
    # arrive, not as the consumer gets to them.
    outputs = await outputs_until_closed(anna.comm)
    assert outputs[-1] == {"type": "websocket.close", "code": 4429}
    told = [output["text"] for output in outputs[:-1]]
    # One refusal when frames start being dropped and one with the close, not one per frame.
    assert len(told) == 2 and all("Too many messages" in text for text in told)
    # The message in hand is finished; those queued behind it went with the socket.
    held_actions.release(3 * limit)
    await anna.comm.send_input({"type": "websocket.disconnect", "code": 4429})
    await anna.comm.wait(timeout=10)
    assert await sync_to_async(Bijdrage.objects.count)() == 1


async def test_a_client_that_leaves_has_none_of_its_backlog_applied(kaarten, held_actions):
    anna = (await open_all(kaarten, "anna"))["anna"]
    for n in range(20):
        await anna.send(
            f"form-{n}", action="bijdrage_add", partij=kaarten.politie.pk, soort="haal",
            tekst=f"Rij {n}",
        )  # fmt: skip
    held_actions.release(2)
    for _ in range(2):
        await anna.receive_until("kaart-ack")
    # Anna leaves (closes the page) with 18 messages still queued; the consumer may have
    # taken the third already.
    await anna.comm.send_input({"type": "websocket.disconnect", "code": 1001})
    held_actions.release(20)
    await anna.comm.wait(timeout=10)
    acks = 2
    while not await anna.comm.receive_nothing(timeout=0.1):
        acks += "kaart-ack" in (await anna.comm.receive_output()).get("text", "")
    applied = await sync_to_async(Bijdrage.objects.count)()
    assert applied == acks  # every change that was applied was acknowledged...
    assert applied <= 3  # ...and only the one in hand when she left came after that


async def test_presence_shows_who_is_here_and_what_they_edit(kaarten):
    anna = Socket(kaarten.tafel_a.pk, kaarten.people["anna"])
    await anna.open()
    bram = Socket(kaarten.tafel_a.pk, kaarten.people["bram"])
    card = await bram.open()
    assert "Anna" in card and "Bram" in card
    await bram.comm.send_to(text_data=json.dumps({"action": "editing", "item": "bijdrage-7"}))
    message = await anna.receive_until("bijdrage-7")
    assert 'id="kaart-presence"' in message
    await bram.close()
    # Presence pushes show the state when they are rendered; one rung before Bram left may
    # still be on its way. Within a moment Anna's list no longer has him.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while "Bram" in (gone := await anna.receive_until("kaart-presence")):
        assert loop.time() < deadline, "Bram is still listed as present after he left"
    assert "Anna" in gone
    await anna.close()


async def test_undo_takes_back_ones_own_last_change_only(kaarten):
    sockets = await open_all(kaarten, "anna", "bram")
    await sockets["anna"].send(
        action="bijdrage_add", partij=kaarten.politie.pk, soort="haal", tekst="Van Anna"
    )
    await sockets["bram"].receive_until("Van Anna")
    await sockets["bram"].send(action="undo")
    assert "nothing of yours" in await sockets["bram"].receive_until("kaart-alert")
    await sockets["anna"].send(action="undo")
    message = await sockets["bram"].receive_until(f'id="partij-{kaarten.politie.pk}-bijdragen"')
    assert "Van Anna" not in message
    assert await sync_to_async(Bijdrage.objects.count)() == 0
    await close_all(sockets)


async def test_a_socket_that_leaves_as_a_push_arrives_leaves_nothing_in_the_channel_layer(
    kaarten, channel_layer
):
    """Every socket that leaves gives back its channel, also when a push for it arrived in the
    same instant as its close. channels_redis's pub/sub layer forgets a channel only when its
    receive is cancelled while waiting (django/channels_redis#276); a push that had just
    arrived left the channel, its queue and its Redis subscription behind for good: the
    server grew with every such close (bench/README.md, churn soak)."""
    if channel_layer != "redis":
        pytest.skip("the in-memory layer keeps no per-channel state to leak")
    from channels.layers import get_channel_layer

    layer = get_channel_layer()._get_layer()
    anna = Socket(kaarten.tafel_a.pk, kaarten.people["anna"])
    await anna.open()
    await anna.drain()
    (channel,) = list(layer.channels)
    # The push and the close arrive together: both of the consumer's waits end at once.
    layer.channels[channel].put_nowait(
        get_channel_layer().serialize({"type": "presence.changed", "tafel": kaarten.tafel_a.pk})
    )
    await anna.close()
    assert layer.channels == {}
    assert layer.groups == {}


async def test_the_bells_waiting_in_a_sockets_queue_are_counted_for_its_heartbeat(
    kaarten, channel_layer
):
    """Under load a socket's bells wait in its channel's queue longer than a bell normally
    takes: the heartbeat counts them as on their way (the socket is behind, not deaf), where
    the whole card would only lengthen the queue."""
    from sessions import layer

    channels = get_channel_layer()
    channel = await channels.new_channel()
    assert layer.waiting(channels, channel) == 0
    for n in range(3):
        await channels.send(channel, {"type": "kaart.changed", "seq": n})
    if channel_layer == "redis":
        await asyncio.sleep(0.2)  # the pub/sub layer reads Redis in its own task
    assert layer.waiting(channels, channel) == 3
    await channels.receive(channel)
    assert layer.waiting(channels, channel) == 2
    assert layer.waiting(channels, "unknown.channel") == 0


async def test_a_follow_up_on_the_kaart_reaches_the_others_and_is_logged(kaarten):
    """Bram sets a vervolgstap to "bezig" with an update on the kaart: the others see the new
    status and the update pushed (that vervolgstap alone, not the list around it), and the
    follow-up is logged under his name."""
    stap = await sync_to_async(services.vervolgstap_add)(
        tafel=kaarten.tafel_a, title="Werksessie data", eigenaar=kaarten.gemeente
    )
    sockets = await open_all(kaarten, "anna", "bram")
    await sockets["bram"].send(
        f"form-follow-{stap.pk}",
        action="vervolgstap_follow_up",
        id=stap.pk,
        status="bezig",
        tekst="Eerste afspraak staat",
    )
    message = await sockets["anna"].receive_until("Eerste afspraak staat")
    assert "kaart-vervolgstappen" not in regions(message)
    shown = BeautifulSoup(regions(message)[f"vervolgstap-{stap.pk}"], "html.parser").li
    assert shown["data-status"] == "bezig"
    assert "in progress" in shown.select_one(".badge").get_text()
    assert "Bram" in shown.select_one(".stap-update").get_text()
    assert "Bram followed up a vervolgstap" in regions(message)["kaart-live"]
    await sockets["bram"].receive_until("kaart-ack")
    update = await sync_to_async(lambda: stap.updates.get())()
    assert (update.status, update.tekst, update.author_name) == (
        "bezig",
        "Eerste afspraak staat",
        "Bram",
    )
    await close_all(sockets)
