"""Screens that follow the sessie live: the control room, the waiting page, every kaart."""

import json

import pytest
from asgiref.sync import sync_to_async
from bs4 import BeautifulSoup
from channels.testing import WebsocketCommunicator
from django.db import OperationalError

from halenbrengen.asgi import application
from sessions import fragments, services
from sessions.models import Membership
from tests import factories
from tests.kaart_helpers import (
    Socket,
    kaart_page,
    make_kaarten,
    normalise,
    participant_session,
    region_of_page,
    regions,
)
from tests.test_convergence import seed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def sessie_socket(sessie_id, session_key, view=""):
    headers = [
        (b"host", b"localhost"),
        (b"origin", b"http://localhost"),
        (b"accept-language", b"en"),
    ]
    headers.append((b"cookie", f"sessionid={session_key}".encode()))
    path = f"/ws/sessies/{sessie_id}/" + (f"?view={view}" if view else "")
    return WebsocketCommunicator(application, path, headers=headers)


async def receive_until(comm, needle, tries=20):
    for _ in range(tries):
        message = await comm.receive_from(timeout=5)
        if needle in message:
            return message
    raise AssertionError(f"no message with {needle!r}")


async def test_a_waiting_participant_is_sent_to_their_tafel_when_tafels_are_formed():
    k = await sync_to_async(make_kaarten)()
    newcomer = await sync_to_async(factories.DeelnemerFactory)(
        tafel=None, sessie=k.sessie, partij=k.politie, name="Eva"
    )
    key = await sync_to_async(participant_session)(newcomer)
    waiting = sessie_socket(k.sessie.pk, key)
    assert (await waiting.connect())[0]
    first = await waiting.receive_from(timeout=5)
    assert 'id="wait-status"' in first and "data-redirect" not in first
    await sync_to_async(services.tafels_form)(sessie=k.sessie)
    seated = await receive_until(waiting, "data-redirect")
    await sync_to_async(newcomer.refresh_from_db)()
    assert f'data-redirect="/tafels/{newcomer.tafel_id}/"' in seated
    await waiting.disconnect()


async def test_the_control_room_follows_each_tafel_live():
    k = await sync_to_async(make_kaarten)()
    room = sessie_socket(k.sessie.pk, k.people["facilitator"])
    assert (await room.connect())[0]
    first = await room.receive_from(timeout=5)
    assert 'id="sessie-status"' in first and 'id="sessie-invite"' in first
    await sync_to_async(services.bijdrage_add)(
        tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="Zichtbaar in het overzicht"
    )
    overview = await receive_until(room, f'id="tafel-overview-{k.tafel_a.pk}"')
    assert "Zichtbaar in het overzicht" in overview
    await room.disconnect()


async def test_the_control_room_draws_a_burst_of_changes_once_per_window(settings):
    """Every kaart change rings the control room; it draws the tafels that changed at the end
    of a window, together, with all of the window's changes in."""
    settings.HB_ACTIVITY_DELAY = 1.0
    k = await sync_to_async(make_kaarten)()
    room = sessie_socket(k.sessie.pk, k.people["facilitator"])
    assert (await room.connect())[0]
    await room.receive_from(timeout=5)
    for n in range(3):
        await sync_to_async(services.bijdrage_add)(
            tafel=k.tafel_a, partij=k.politie, soort="haal", tekst=f"Haal {n}"
        )
    await sync_to_async(services.bijdrage_add)(
        tafel=k.tafel_b, partij=k.politie, soort="haal", tekst="Aan de andere tafel"
    )
    drawn = await receive_until(room, f'id="tafel-overview-{k.tafel_a.pk}"')
    assert f'id="tafel-overview-{k.tafel_b.pk}"' in drawn  # both tafels in one message
    assert "Haal 2" in drawn and "Aan de andere tafel" in drawn
    assert await room.receive_nothing(timeout=1.5), "a tafel was drawn twice for one window"
    await room.disconnect()


@pytest.mark.parametrize("change", ["left the team", "deactivated", "made coordinator"])
async def test_a_facilitator_who_lost_their_place_sees_no_more_than_they_now_may(change, settings):
    """A control room looks at its account's place in the team each time it draws: a
    facilitator taken off the team (or whose account was switched off) sees no further line;
    one made coordinator no longer sees what is vertrouwelijk."""
    settings.HB_ACTIVITY_DELAY = 0.2
    k = await sync_to_async(make_kaarten)()
    room = sessie_socket(k.sessie.pk, k.people["facilitator"])
    assert (await room.connect())[0]
    await room.receive_from(timeout=5)
    add = sync_to_async(services.bijdrage_add)

    async def secret(tekst):
        await add(tafel=k.tafel_a, partij=k.politie, soort="haal", tekst=tekst, vertrouwelijk=True)

    await secret("Vertrouwelijk vooraf")
    assert "Vertrouwelijk vooraf" in await receive_until(room, "tafel-overview-")

    membership = Membership.objects.filter(user=k.facilitator)
    if change == "left the team":
        await sync_to_async(membership.delete)()
    elif change == "deactivated":
        await sync_to_async(type(k.facilitator).objects.filter(pk=k.facilitator.pk).update)(
            is_active=False
        )
    else:
        await sync_to_async(membership.update)(role=Membership.Role.COORDINATOR)
    await secret("Vertrouwelijk daarna")
    await add(tafel=k.tafel_a, partij=k.politie, soort="breng", tekst="Openbaar daarna")
    if change == "made coordinator":
        line = await receive_until(room, "Openbaar daarna")
        assert "Vertrouwelijk" not in line
    else:
        assert await room.receive_nothing(timeout=1), "a line reached who left the team"
    await room.disconnect()


async def test_changes_made_on_the_kaarten_reach_the_control_room_in_gathered_bells(settings):
    """The bells of changes applied by kaart sockets are gathered per window and watch group
    (broadcast.Gathered): the control room still draws every tafel that changed."""
    settings.HB_ACTIVITY_DELAY = 0.4
    k = await sync_to_async(make_kaarten)()
    room = sessie_socket(k.sessie.pk, k.people["facilitator"])
    assert (await room.connect())[0]
    await room.receive_from(timeout=5)
    anna, dirk = Socket(k.tafel_a.pk, k.people["anna"]), Socket(k.tafel_b.pk, k.people["dirk"])
    for socket, tekst in ((anna, "Van tafel een"), (dirk, "Van tafel twee")):
        await socket.open()
        await socket.send(
            "form-haal-add",
            action="bijdrage_add",
            partij=str(k.politie.pk),
            soort="haal",
            tekst=tekst,
        )
    drawn = ""
    while "Van tafel een" not in drawn or "Van tafel twee" not in drawn:
        drawn += await receive_until(room, "tafel-overview-")
    assert f'id="tafel-overview-{k.tafel_a.pk}"' in drawn
    assert f'id="tafel-overview-{k.tafel_b.pk}"' in drawn
    for socket in (anna, dirk):
        await socket.close()
    await room.disconnect()


async def test_the_plenary_view_follows_each_tafels_kaart_live():
    k = await sync_to_async(make_kaarten)()
    view = sessie_socket(k.sessie.pk, k.people["facilitator"], view="plenair")
    assert (await view.connect())[0]
    first = await view.receive_from(timeout=5)
    # The kaarten of every tafel, not the control room.
    assert 'id="plenair-live"' in first and 'id="sessie-status"' not in first
    assert f'id="compact-kaart-{k.tafel_a.pk}"' in first
    await sync_to_async(services.bijdrage_add)(
        tafel=k.tafel_a, partij=k.politie, soort="breng", tekst="Zichtbaar in het plenair"
    )
    pushed = await receive_until(view, "Zichtbaar in het plenair")
    # That tafel's kaart on its own, to be swapped in by its id; haal or breng by its label.
    assert pushed.startswith(f'<article id="compact-kaart-{k.tafel_a.pk}" hx-swap-oob="true"')
    assert f'id="compact-kaart-{k.tafel_b.pk}"' not in pushed
    assert "breng</span> Zichtbaar in het plenair" in pushed
    await view.disconnect()


async def test_a_coordinator_follows_without_controls():
    k = await sync_to_async(make_kaarten)()
    room = sessie_socket(k.sessie.pk, k.people["coordinator"])
    assert (await room.connect())[0]
    first = await room.receive_from(timeout=5)
    assert 'id="sessie-status"' in first
    assert "sessie-invite" not in first and k.sessie.join_token not in first
    assert 'name="op"' not in first
    await room.disconnect()


async def test_the_sessie_socket_takes_bad_frames_in_its_stride():
    """It parses nothing: deep JSON and invalid text are ignored, and a ping still answers."""
    k = await sync_to_async(make_kaarten)()
    room = sessie_socket(k.sessie.pk, k.people["facilitator"])
    assert (await room.connect())[0]
    await room.receive_from(timeout=5)
    for frame in ("[" * 1000 + "]" * 1000, '{"action": "ping", "x": "\\ud800"}', "{"):
        await room.send_to(text_data=frame)
    await room.send_to(bytes_data=b"\x00")
    answers = [await room.receive_output(timeout=5)]  # the ping with invalid text in it
    await room.send_to(text_data='{"action": "ping"}')
    answers.append(await room.receive_output(timeout=5))
    for answer in answers:
        assert answer["type"] == "websocket.send" and 'id="sessie-status"' in answer["text"]
        answer["text"].encode("utf-8")  # what daphne does with every frame it sends
    assert await room.receive_nothing(timeout=0.3)
    await room.disconnect()


async def test_a_flood_of_frames_closes_the_sessie_socket(settings):
    limit = settings.HB_WS_MESSAGES_PER_10S
    k = await sync_to_async(make_kaarten)()
    room = sessie_socket(k.sessie.pk, k.people["facilitator"])
    assert (await room.connect())[0]
    await room.receive_from(timeout=5)
    for _ in range(3 * limit):
        await room.send_to(text_data='{"action": "ping"}')  # each one renders the room
    outputs = []
    while not outputs or outputs[-1]["type"] != "websocket.close":
        outputs.append(await room.receive_output(timeout=10))
    assert outputs[-1] == {"type": "websocket.close", "code": 4429}
    assert len(outputs) - 1 <= limit
    await room.disconnect()


async def test_step_and_timer_reach_every_kaart_without_reloading():
    k = await sync_to_async(make_kaarten)()
    anna = Socket(k.tafel_a.pk, k.people["anna"])
    await anna.open()
    await anna.drain()
    await sync_to_async(services.sessie_set_step)(sessie=k.sessie, stap=2)
    stepped = await anna.receive_until("kaart-stap")
    assert "Step 2 of 3" in stepped
    await sync_to_async(services.timer_start)(sessie=k.sessie)
    timer = await anna.receive_until("data-timer")
    assert 'data-running="1"' in timer
    await anna.close()


async def test_a_timer_change_pushes_the_step_region_alone_as_each_page_shows_it():
    """A timer change is the step region only (not the whole card), rendered once per tafel
    and audience: each gets the region a fresh page of theirs shows."""
    k = await sync_to_async(make_kaarten)()
    sockets = {}
    for name in ("anna", "bram", "facilitator"):
        sockets[name] = Socket(k.tafel_a.pk, k.people[name])
        await sockets[name].open()
        await sockets[name].drain()
    await sync_to_async(services.timer_start)(sessie=k.sessie)
    for socket in sockets.values():
        await socket.receive_until('data-running="1"')
    await sync_to_async(services.timer_pause)(sessie=k.sessie)  # a fixed time left: comparable
    for name, socket in sockets.items():
        pushed = await socket.receive_until('data-running="0"')
        assert set(regions(pushed)) == {"kaart-stap"}, name
        page = await sync_to_async(kaart_page)(k, name)
        assert regions(pushed)["kaart-stap"] == region_of_page(page, "kaart-stap"), name
    for socket in sockets.values():
        await socket.close()


async def test_an_opgave_text_reaches_every_tafel_of_the_sessie_as_that_text_alone():
    """The opgave is the sessie's: a text changed at one tafel is pushed to every other as that
    text alone, rendered once per tafel and audience (not the whole kaart per socket), equal to
    each viewer's fresh page; at its own tafel once, as the change of that kaart."""
    k = await sync_to_async(make_kaarten)()
    viewers = {"dirk": k.tafel_b, "facilitator": k.tafel_b, "anna": k.tafel_a}
    sockets = {}
    for name, tafel in viewers.items():
        sockets[name] = Socket(tafel.pk, k.people[name])
        await sockets[name].open()
        await sockets[name].drain()
    await sync_to_async(services.kaart_opgave_text_set)(
        tafel=k.tafel_a, veld="ambitie", tekst="Samen veilig ondernemen", expected_version=0
    )
    for name, socket in sockets.items():
        pushed = await socket.receive_until("Samen veilig ondernemen")
        if viewers[name] == k.tafel_a:  # the change of this kaart, numbered and announced
            assert set(regions(pushed)) == {"opgave-ambitie", "kaart-seq", "kaart-live"}, name
        else:
            assert set(regions(pushed)) == {"opgave-ambitie"}, name
        page = await sync_to_async(kaart_page)(k, name, tafel=viewers[name])
        assert regions(pushed)["opgave-ambitie"] == region_of_page(page, "opgave-ambitie"), name
    for name, socket in sockets.items():
        assert not any("Samen veilig ondernemen" in m for m in await socket.drain()), name
        await socket.close()


async def test_a_partij_noted_missing_reaches_the_other_tafels_rendered_once_per_audience(
    monkeypatch,
):
    """A partij noted missing at one tafel is the opgave's: every other kaart of the sessie is
    pushed the regions that show partijen, equal to each viewer's fresh page, and they are
    rendered once per tafel and audience (two tabs of one person share a render), not for
    every socket."""
    from sessions import selectors

    k = await sync_to_async(make_kaarten)()
    await sync_to_async(seed)(k)
    loaded = []
    kaart_for = selectors.kaart_for

    def counted(tafel_id, *args, **kwargs):
        loaded.append(tafel_id)
        return kaart_for(tafel_id, *args, **kwargs)

    viewers = [("dirk", "tab 1"), ("dirk", "tab 2"), ("facilitator", "")]
    sockets = []
    for name, _tab in viewers:
        socket = Socket(k.tafel_b.pk, k.people[name])
        await socket.open()
        await socket.drain()
        sockets.append((name, socket))
    monkeypatch.setattr(selectors, "kaart_for", counted)
    await sync_to_async(services.kaart_partij_add_missing)(
        tafel=k.tafel_a, name="Brandweer", toelichting="Kent de risico's van de panden"
    )
    pushed = [await socket.receive_until("Brandweer") for _name, socket in sockets]
    assert loaded == [k.tafel_b.pk] * 2  # a participant, the facilitator: two audiences
    for (name, _socket), push in zip(sockets, pushed, strict=True):
        page = await sync_to_async(kaart_page)(k, name, tafel=k.tafel_b)
        assert "kaart-partijen" in regions(push), name
        for region_id, region in regions(push).items():
            assert region == region_of_page(page, region_id), (name, region_id)
    for _name, socket in sockets:
        await socket.close()


# What kaart.js sets from the step region when the step changes (followStep): the page's own
# business, not the server's.
STEP_CLASSES = {"is-current", "is-condensed", "item-menu"}


def _rest_of_kaart(page_html: str) -> dict[str, str]:
    """The kaart's regions besides the step region (by id, in any order), without what the
    page sets from the step: which task is current, which region is condensed and its toggle,
    which edit summary is a quiet menu, the form a step opens."""
    kaart = BeautifulSoup(page_html, "html.parser").find(id="kaart")
    kaart.find(id="kaart-stap").decompose()
    for el in kaart.find_all(class_=True):
        el["class"] = [name for name in el["class"] if name not in STEP_CLASSES]
    for el in kaart.select(".region-toggle, .region-body"):
        el.attrs.pop("hidden", None)
    for el in kaart.select("details[data-open-in]"):
        el.attrs.pop("open", None)
    flow = kaart.find(id="kaart-flow")
    rest = {el["id"]: normalise(el) for el in flow.find_all(recursive=False)}
    flow.decompose()
    return {**rest, "kaart": normalise(kaart)}


async def _watching(k, viewers):
    """A socket open at tafel A for each viewer, drained, and each viewer's page before the
    change (once all are present, as the presence list shows them)."""
    sockets = {}
    for name in viewers:
        sockets[name] = Socket(k.tafel_a.pk, k.people[name])
        await sockets[name].open()
        await sockets[name].drain()
    return sockets, {name: await sync_to_async(kaart_page)(k, name) for name in viewers}


@pytest.mark.parametrize("steps", [(1, 2), (2, 3), (3, 1)], ids=["1-2", "2-3", "3-1"])
async def test_a_step_change_pushes_the_step_region_alone_and_the_rest_follows_it(steps):
    """A step change is the step region only, rendered once per tafel and audience, equal to
    each viewer's fresh page; everything else a fresh page renders differently in the new step
    is what the page sets from that region itself (kaart.js followStep), so a page that took
    the push shows what a fresh one shows."""
    before, after = steps
    k = await sync_to_async(make_kaarten)()
    await sync_to_async(seed)(k)
    await sync_to_async(services.sessie_set_step)(sessie=k.sessie, stap=before)
    viewers = ("anna", "bram", "facilitator")
    sockets, old = await _watching(k, viewers)

    await sync_to_async(services.sessie_set_step)(sessie=k.sessie, stap=after)
    for name, socket in sockets.items():
        pushed = await socket.receive_until(f'data-stap="{after}"')
        assert set(regions(pushed)) == {"kaart-stap"}, name
        new = await sync_to_async(kaart_page)(k, name)
        assert regions(pushed)["kaart-stap"] == region_of_page(new, "kaart-stap"), name
        assert new != old[name]  # the step shows elsewhere on a fresh page too
        assert _rest_of_kaart(new) == _rest_of_kaart(old[name]), name
    for socket in sockets.values():
        await socket.close()


async def test_a_step_push_the_database_could_not_render_comes_with_the_next_heartbeat(
    monkeypatch,
):
    """The step is not in the kaart's log of changes, so no gap shows that its push failed:
    the socket remembers it owes the step, and the next heartbeat brings the whole card."""
    k = await sync_to_async(make_kaarten)()
    anna = Socket(k.tafel_a.pk, k.people["anna"])
    await anna.open()
    await anna.drain()

    def database_away(*args, **kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr(fragments, "render_stap", database_away)
    await sync_to_async(services.sessie_set_step)(sessie=k.sessie, stap=3)
    assert not any('data-stap="3"' in m for m in await anna.drain(quiet=0.5))
    monkeypatch.undo()

    await anna.comm.send_to(text_data=json.dumps({"action": "ping", "seq": 0}))
    card = await anna.receive_until('data-stap="3"')
    assert "kaart-partijen" in card  # the whole card
    await anna.comm.send_to(text_data=json.dumps({"action": "ping", "seq": 0}))
    assert "kaart-partijen" not in await anna.receive_until("kaart-pong")  # owed no more
    await anna.close()


async def test_a_moved_participant_loses_the_old_kaart_at_once():
    k = await sync_to_async(make_kaarten)()
    anna = Socket(k.tafel_a.pk, k.people["anna"])
    await anna.open()
    deelnemer = await sync_to_async(k.tafel_a.deelnemers.get)(name="Anna")
    await sync_to_async(services.deelnemer_move)(deelnemer=deelnemer, tafel=k.tafel_b)
    for _ in range(20):
        output = await anna.comm.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            assert output["code"] == 4403
            break
    else:
        raise AssertionError("the socket stayed open")


# A lock or a change of the sessie's state: (state and lock before, the change, who may edit
# after it).
STATE_CHANGES = {
    "lock": (
        ("open", False),
        lambda sessie: services.sessie_set_locked(sessie=sessie, locked=True),
        {"facilitator"},
    ),
    "unlock": (
        ("open", True),
        lambda sessie: services.sessie_set_locked(sessie=sessie, locked=False),
        {"anna", "bram", "facilitator"},
    ),
    "close": (
        ("open", False),
        lambda sessie: services.sessie_set_state(sessie=sessie, state="gesloten"),
        set(),
    ),
    "open": (
        ("gepland", False),
        lambda sessie: services.sessie_set_state(sessie=sessie, state="open"),
        {"anna", "bram", "facilitator"},
    ),
}


@pytest.mark.parametrize("change", STATE_CHANGES)
async def test_a_lock_or_state_change_pushes_the_step_region_alone(change):
    """Locking, unlocking, opening or closing the sessie pushes each kaart its step region
    alone (not the whole card per socket), rendered once per tafel and audience, equal to each
    viewer's fresh page: it says whether the kaart is read-only for them (data-readonly, which
    hides the edit controls). The rest of a fresh page is the markup the page already has:
    the controls stay in it while read-only, so a page that took the push is a fresh page."""
    (state, locked), apply, editors = STATE_CHANGES[change]
    k = await sync_to_async(make_kaarten)()
    await sync_to_async(seed)(k)
    await sync_to_async(type(k.sessie).objects.filter(pk=k.sessie.pk).update)(
        state=state, locked=locked
    )
    viewers = ("anna", "bram", "facilitator", "coordinator")
    sockets, old = await _watching(k, viewers)

    await sync_to_async(apply)(k.sessie)
    for name, socket in sockets.items():
        pushed = await socket.receive_until("kaart-stap")
        assert set(regions(pushed)) == {"kaart-stap"}, name
        new = await sync_to_async(kaart_page)(k, name)
        assert regions(pushed)["kaart-stap"] == region_of_page(new, "kaart-stap"), name
        assert _rest_of_kaart(new) == _rest_of_kaart(old[name]), name
        stap = BeautifulSoup(pushed, "html.parser").find(id="kaart-stap")
        assert stap.has_attr("data-readonly") == (name not in editors), name
        assert ("Undo my last change" in pushed) == (name in editors), name
        if change == "close":
            assert "This sessie is closed" in pushed, name
    for socket in sockets.values():
        # No whole card follows (the presence of who joined may).
        assert not any("kaart-partijen" in message for message in await socket.drain())
        await socket.close()
