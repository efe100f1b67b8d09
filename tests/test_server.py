"""The websocket limits as a browser meets them: one real server process, started the way
production starts it (halenbrengen.serve, daphne's 128 KiB frame limit, DJANGO_DEBUG=0), on
this test run's database, and a real websocket client.

The server reads the test database from its own process, so the test data is committed
(`transactional_db`); on SQLite that is the test database file.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import tempfile
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from sessions.models import Bijdrage
from tests.faults.helpers import HOST, Daphne, Page, TcpProxy, database_url, server_env
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


def test_the_server_says_where_it_can_be_opened(server):
    """`make run` ends with the address a newcomer opens (the launcher prints it once it
    listens)."""
    assert f"Halen/Brengen listens on http://127.0.0.1:{server.port}/" in server.output()


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
    # The edited bijdrage alone, not its partij's hundreds of others.
    edited = ids["politie"][-1]
    assert _count(push, f"bijdrage-{edited}") == 1
    assert [pk for pk in ids["politie"][:-1] if _count(push, f"bijdrage-{pk}")] == []
    assert bram.closed_code is None and anna.closed_code is None
    for page in (anna, bram):
        page._closing = True
        await page.ws.close()


async def _eventually(predicate, timeout: float) -> float:
    """Wait until `predicate()` holds; return how long it took."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not predicate():
        assert loop.time() - start < timeout, "not within the time"
        await asyncio.sleep(0.2)
    return loop.time() - start


def _present(message: str) -> list[str]:
    region = re.search(r'<section id="kaart-presence".*?</section>', message, re.S)
    return re.findall(r"</span>\s*(\w+)", region[0]) if region else []


async def test_a_half_open_connection_is_closed_by_the_server_within_30_seconds(server):
    """Anna's network goes dead under her open socket (nothing arrives, nothing is closed):
    the server's keepalive notices, closes her socket, and the others see her leave."""
    kaarten = await sync_to_async(make_kaarten)()
    proxy = TcpProxy(HOST, server.port).up()
    anna = Page(kaarten.tafel_a.pk, kaarten.people["anna"], proxy.port, "anna")
    bram = Page(kaarten.tafel_a.pk, kaarten.people["bram"], server.port, "bram")
    await anna.connect()
    await bram.connect()
    await bram.wait_for(lambda m: "Anna" in _present(m))
    start = len(bram.messages)
    proxy.frozen = True
    took = await _eventually(
        lambda: any(
            "kaart-presence" in m and "Anna" not in _present(m) for m in bram.messages[start:]
        ),
        timeout=40,
    )
    assert took < 30, f"noticed after {took:.1f} s"
    for page in (anna, bram):
        page._closing = True
        await page.ws.close()
    proxy.down()


async def test_a_socket_that_stops_reading_is_dropped_at_the_cap_and_then_gets_the_true_card(
    server, settings
):
    """Bram's tab stops reading while Anna makes 120 changes to a long list, 40 of them undos
    (an undo of a bijdrage's edit pushes its partij's halen and brengen and the koppelingen,
    about 100 kB): the server keeps at most HB_WS_MAX_BUFFERED_BYTES for him, then drops his
    socket; reading again, his page reconnects and gets the card with every change."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    kaarten = await sync_to_async(make_kaarten)()
    ids = await sync_to_async(fill_kaart)(kaarten, 250)
    tafel = kaarten.tafel_a.pk
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
    sock.connect((HOST, server.port))
    silent = await connect(
        f"ws://{HOST}:{server.port}/ws/tafels/{tafel}/",
        sock=sock,
        origin=f"http://{HOST}:{server.port}",
        additional_headers={"Cookie": f"sessionid={kaarten.people['bram']}"},
        compression=None,
        max_size=None,
        max_queue=1,
        ping_interval=None,
    )
    anna = Page(tafel, kaarten.people["anna"], server.port, "anna")
    await anna.connect()
    edited = ids["politie"][:40]
    forms = []
    for n, pk in enumerate(edited):
        # Edited, edited again, and that taken back: "Bewerkt n" stays.
        for step, (version, tekst) in enumerate([(1, f"Bewerkt {n}"), (2, f"Even anders {n}")]):
            forms.append(f"form-{n}-{step}")
            await anna.send(
                {
                    "tafel": str(tafel),
                    "action": "bijdrage_edit",
                    "id": str(pk),
                    "version": str(version),
                    "tekst": tekst,
                    "gewicht": "1",
                    "nonce": f"edit-{n}-{step}-0123456789",
                    "HEADERS": {"HX-Request": "true", "HX-Trigger": forms[-1]},
                }
            )
        forms.append(f"form-{n}-undo")
        await anna.send(
            {
                "tafel": str(tafel),
                "action": "undo",
                "nonce": f"undo-{n}-0123456789",
                "HEADERS": {"HX-Request": "true", "HX-Trigger": forms[-1]},
            }
        )
        # Within the frames a socket may send (HB_WS_MESSAGES_PER_10S = 50): 3 in 0.7 s.
        await asyncio.sleep(0.7)
    await _eventually(lambda: anna.acked() >= set(forms), timeout=120)
    assert not anna.errors()
    dropped = re.compile(r"dropped a websocket whose peer does not read: (\d+) bytes")
    await _eventually(lambda: dropped.search(server.output()), timeout=30)
    waiting = int(dropped.search(server.output())[1])
    assert waiting <= settings.HB_WS_MAX_BUFFERED_BYTES + FRAME_LIMIT

    # Bram's tab runs again: it reads what had reached it, then finds the socket gone.
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(silent.recv(), timeout=20)
    bram = Page(tafel, kaarten.people["bram"], server.port, "bram")
    await bram.connect()
    last = await sync_to_async(
        kaarten.tafel_a.events.order_by("-seq").values_list("seq", flat=True).first
    )()
    await bram.wait_for(lambda m: f'data-seq="{last}"' in m)
    card = "".join(bram.messages)
    for n in range(len(edited)):
        assert f"Bewerkt {n}<" in card
    assert "Even anders" not in card
    for page in (anna, bram):
        page._closing = True
        await page.ws.close()
