"""The websocket limits as a browser meets them: one real server process, started the way
production starts it (halenbrengen.serve, daphne's 128 KiB frame limit, DJANGO_DEBUG=0), on
this test run's database, and a real websocket client.

The server reads the test database from its own process, so the test data is committed
(`transactional_db`); on SQLite that is the test database file.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from sessions.models import Bijdrage
from tests.faults.helpers import Daphne, Page, database_url, server_env
from tests.kaart_helpers import fill_kaart, make_kaarten

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    from django.conf import settings
    from django.db import connection

    logdir = Path(tempfile.mkdtemp(prefix="hb-server-"))
    with django_db_blocker.unblock():
        env = server_env(
            secret_key=settings.SECRET_KEY,  # the session cookies are signed with it
            database=database_url(connection.settings_dict),
            redis="",  # one process: the in-memory channel layer
            prefix="",
        )
    daphne = Daphne(env, "server", logdir).start()
    try:
        daphne.wait()
        yield daphne
    finally:
        daphne.stop()
        output = daphne.output()
        print(output[-6000:])  # shown when a test failed
        shutil.rmtree(logdir, ignore_errors=True)
    # Bad input is answered, never a crash: nothing the clients did left a traceback.
    assert "Traceback" not in output


@pytest.fixture
async def anna(server):
    kaarten = await sync_to_async(make_kaarten)()
    page = Page(kaarten.tafel_a.pk, kaarten.people["anna"], server.port, "anna")
    await page.connect()
    page.kaarten = kaarten
    yield page
    page._closing = True
    await page.ws.close()


async def test_a_frame_over_the_servers_limit_is_closed_with_1009(anna):
    await anna.ws.send("x" * (200 * 1024))
    # A close frame with "message too big", not a cut connection (1006) that looks like a
    # broken network.
    assert await anna.wait_closed() == 1009
    assert await sync_to_async(Bijdrage.objects.count)() == 0


async def test_a_frame_over_our_own_limit_is_refused_with_4413(anna):
    politie = anna.kaarten.politie.pk
    await anna.add(politie, "x" * (100 * 1024), "form-haal-add")  # under daphne's limit
    await anna.wait_for(lambda message: "This message is too large." in message)
    assert await anna.wait_closed() == 4413
    assert await sync_to_async(Bijdrage.objects.count)() == 0


async def test_a_burst_over_a_real_socket_is_closed_with_4429(anna, settings):
    limit = settings.HB_WS_MESSAGES_PER_10S  # the server's is the default too
    politie = anna.kaarten.politie.pk
    for n in range(3 * limit):
        await anna.add(politie, f"Burst {n}", f"form-{n}")
    assert await anna.wait_closed() == 4429
    assert sum("Too many messages" in error for error in anna.errors()) == 2
    # No more than the limit was applied, and all of it was acknowledged but for the one
    # in hand when the socket closed: what was queued behind it went with the socket.
    applied = await sync_to_async(Bijdrage.objects.count)()
    assert applied <= limit
    assert applied <= len(anna.acked() - {""}) + 1


async def test_text_that_is_valid_json_but_not_utf8_gets_an_error_frame(anna):
    frame = json.dumps({"action": "editing", "item": "bijdrage-\ud800"})
    await anna.ws.send(frame)
    await anna.wait_for(lambda message: "This message contains invalid text." in message)
    await anna.ping(-1)  # the socket is still open and answering
    await anna.wait_for(lambda message: 'id="kaart-seq"' in message, start=len(anna.messages))
    assert anna.closed_code is None


FRAME_LIMIT = 128 * 1024  # daphne's, as production starts it


def _count(messages: list[str], element_id: str) -> int:
    return sum(message.count(f'id="{element_id}"') for message in messages)


async def test_a_kaart_of_500_items_reaches_a_new_socket_whole_and_stays_live(server):
    """The product's own limit: a full kaart is sent whole, in frames daphne will send, and
    the next change still arrives (a card of ~30 items used to close every socket with
    1011)."""
    kaarten = await sync_to_async(make_kaarten)()
    ids = await sync_to_async(fill_kaart)(kaarten, 500)
    assert sum(len(v) for v in ids.values()) == 500
    bram = Page(kaarten.tafel_a.pk, kaarten.people["bram"], server.port, "bram")
    await bram.connect()
    last = await sync_to_async(kaarten.tafel_a.events.count)()
    await bram.wait_for(lambda m: f'id="kaart-seq" hx-swap-oob="true" data-seq="{last}"' in m)
    card = list(bram.messages)
    assert len(card) > 1  # more than one frame could hold
    assert max(len(message.encode()) for message in card) < FRAME_LIMIT
    for kind in ("politie", "gemeente", "koppeling", "vervolgstap"):
        prefix = "bijdrage" if kind in ("politie", "gemeente") else kind
        for pk in ids[kind]:
            assert _count(card, f"{prefix}-{pk}") == 1, f"{prefix}-{pk}"

    # Anna's next change to the largest list reaches Bram, as a whole list again.
    anna = Page(kaarten.tafel_a.pk, kaarten.people["anna"], server.port, "anna")
    await anna.connect()
    start = len(bram.messages)
    await anna.send(
        {
            "tafel": str(kaarten.tafel_a.pk),
            "action": "bijdrage_edit",
            "id": str(ids["politie"][-1]),
            "version": "1",
            "tekst": "Aangepast na de pauze",
            "gewicht": "2",
            "HEADERS": {"HX-Request": "true", "HX-Trigger": "form-edit"},
        }
    )
    await bram.wait_for(
        lambda m: f'data-seq="{last + 1}"' in m and 'id="kaart-seq"' in m, start=start
    )
    push = bram.messages[start:]
    assert any("Aangepast na de pauze" in message for message in push)
    assert max(len(message.encode()) for message in push) < FRAME_LIMIT
    for pk in ids["politie"]:
        assert _count(push, f"bijdrage-{pk}") == 1, pk
    assert bram.closed_code is None and anna.closed_code is None
    for page in (anna, bram):
        page._closing = True
        await page.ws.close()
