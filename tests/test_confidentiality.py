"""A vertrouwelijk item does not exist for whoever may not see it: not in any answer, not for
any action, over the websocket, the HTTP fallback and the services alike.

Anna (Politie) writes a vertrouwelijk haal; Bram (Gemeente) sits at the same tafel and knows
or guesses its id (ids are sequential). Every action he can send with that id must get exactly
the answer an id that does not exist gets, and change nothing. The same for a perspectief that
Anna writes in confidence for their partij, against Piet of the same partij.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.urls import reverse

from sessions import services
from sessions.models import Bijdrage, KaartEvent, Koppeling, Perspectief
from tests import factories
from tests.kaart_helpers import Socket, make_kaarten, participant_session

SECRET = "Geheim: de wethouder twijfelt aan de aanpak"
MISSING = 987654


class Secrets:
    """Tafel A with Anna's vertrouwelijk haal, a breng of Bram's, a koppeling between them
    (made by the facilitator) and Anna's vertrouwelijk perspectief for Politie."""

    def __init__(self):
        self.k = make_kaarten()
        k = self.k
        self.anna = services.Actor(deelnemer=k.tafel_a.deelnemers.get(name="Anna"))
        self.bram = services.Actor(deelnemer=k.tafel_a.deelnemers.get(name="Bram"))
        self.cor = services.Actor(deelnemer=k.tafel_a.deelnemers.get(name="Cor"))
        piet = factories.DeelnemerFactory(tafel=k.tafel_a, partij=k.politie, name="Piet")
        self.piet = services.Actor(deelnemer=piet)
        k.people["piet"] = participant_session(piet)
        # Bram's own haal first: Anna's secret sits between his items in the id sequence.
        self.open_haal = services.bijdrage_add(
            tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="Open haal", actor=self.bram
        )
        self.haal = services.bijdrage_add(
            tafel=k.tafel_a,
            partij=k.politie,
            soort="haal",
            tekst=SECRET,
            vertrouwelijk=True,
            actor=self.anna,
        )
        self.breng = services.bijdrage_add(
            tafel=k.tafel_a,
            partij=k.gemeente,
            soort="breng",
            tekst="Regie en monitoring",
            actor=self.bram,
        )
        self.koppeling = services.koppeling_add(
            tafel=k.tafel_a, haal_id=self.haal.pk, breng_id=self.breng.pk
        )
        self.perspectief = services.perspectief_set(
            tafel=k.tafel_a,
            partij=k.politie,
            tekst=SECRET,
            urgentie=5,
            vertrouwelijk=True,
            actor=self.anna,
        )

    def state(self) -> tuple:
        """Everything an attack could change."""
        return (
            list(Bijdrage.objects.order_by("pk").values_list("pk", "tekst", "position", "version")),
            list(Koppeling.objects.order_by("pk").values_list("pk", "haal_id", "breng_id")),
            list(Perspectief.objects.values_list("pk", "tekst", "urgentie", "version")),
            KaartEvent.objects.count(),
        )


@pytest.fixture
def s(db):
    return Secrets()


def bijdrage_attacks(s: Secrets, target: int) -> list[dict]:
    """Every action Bram can aim at Anna's vertrouwelijk haal (or at `target` in its place)."""
    return [
        {"action": "bijdrage_edit", "id": target, "version": 0, "tekst": "x", "gewicht": 1},
        {"action": "bijdrage_edit", "id": target, "version": 1, "tekst": "x", "gewicht": 3},
        {"action": "bijdrage_delete", "id": target, "version": 0},
        {"action": "bijdrage_delete", "id": target, "version": 1},
        {"action": "bijdrage_move", "id": target, "direction": "up"},
        {"action": "bijdrage_move", "id": target, "direction": "down"},
        {"action": "koppeling_add", "haal": target, "breng": s.breng.pk},
    ]


def koppeling_attacks(s: Secrets, target: int) -> list[dict]:
    return [{"action": "koppeling_delete", "id": target}]


def attacks(s: Secrets) -> list[tuple[dict, dict]]:
    """(attack on the secret, the same attack on an id that does not exist)."""
    return [
        *zip(bijdrage_attacks(s, s.haal.pk), bijdrage_attacks(s, MISSING), strict=True),
        *zip(koppeling_attacks(s, s.koppeling.pk), koppeling_attacks(s, MISSING), strict=True),
    ]


# Services ---------------------------------------------------------------------------------


def _refusal(call) -> str:
    with pytest.raises(ValidationError) as refused:
        call()
    assert not isinstance(refused.value, services.StaleEdit)
    return " ".join(refused.value.messages)


def test_services_treat_an_item_the_actor_may_not_see_as_missing(s):
    k, bram, before = s.k, s.bram, s.state()
    calls = {
        "edit": lambda pk: services.bijdrage_edit(
            tafel=k.tafel_a, bijdrage_id=pk, expected_version=0, tekst="x", gewicht=1, actor=bram
        ),
        "delete": lambda pk: services.bijdrage_delete(
            tafel=k.tafel_a, bijdrage_id=pk, expected_version=1, actor=bram
        ),
        "move": lambda pk: services.bijdrage_move(
            tafel=k.tafel_a, bijdrage_id=pk, direction="up", actor=bram
        ),
        "link": lambda pk: services.koppeling_add(
            tafel=k.tafel_a, haal_id=pk, breng_id=s.breng.pk, actor=bram
        ),
    }
    for name, call in calls.items():
        secret_answer = _refusal(lambda call=call: call(s.haal.pk))
        assert secret_answer == _refusal(lambda call=call: call(MISSING)), name
        assert SECRET not in secret_answer
    unlink = _refusal(
        lambda: services.koppeling_delete(tafel=k.tafel_a, koppeling_id=s.koppeling.pk, actor=bram)
    )
    assert unlink == _refusal(
        lambda: services.koppeling_delete(tafel=k.tafel_a, koppeling_id=MISSING, actor=bram)
    )
    assert s.state() == before


def test_the_author_and_the_facilitator_still_change_the_vertrouwelijk_item(s):
    k = s.k
    services.bijdrage_edit(
        tafel=k.tafel_a,
        bijdrage_id=s.haal.pk,
        expected_version=1,
        tekst="Anna past aan",
        gewicht=2,
        actor=s.anna,
    )
    with pytest.raises(services.StaleEdit) as stale:
        services.bijdrage_edit(
            tafel=k.tafel_a, bijdrage_id=s.haal.pk, expected_version=1, tekst="x", gewicht=1
        )
    assert stale.value.current == {"text": "Anna past aan"}
    services.koppeling_delete(tafel=k.tafel_a, koppeling_id=s.koppeling.pk)
    assert not Koppeling.objects.exists()


def test_a_move_skips_items_the_mover_does_not_see(s):
    """Bram's haal moves past Anna's hidden one as if it were not there: a move neither
    stalls on nor reveals an item he may not see."""
    k = s.k
    below = services.bijdrage_add(
        tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="Derde", actor=s.bram
    )
    # Politie's halen: Open haal (Bram), the secret (Anna), Derde (Bram).
    services.bijdrage_move(tafel=k.tafel_a, bijdrage_id=below.pk, direction="up", actor=s.bram)
    order = list(
        k.tafel_a.bijdragen.filter(partij=k.politie, soort="haal")
        .order_by("position", "id")
        .values_list("tekst", flat=True)
    )
    assert order.index("Derde") < order.index("Open haal")
    services.undo_last(tafel=k.tafel_a, actor=s.bram)
    order = list(
        k.tafel_a.bijdragen.filter(partij=k.politie, soort="haal")
        .order_by("position", "id")
        .values_list("tekst", flat=True)
    )
    assert order.index("Open haal") < order.index("Derde")


def test_undo_does_not_reach_anothers_vertrouwelijk_item(s):
    before = s.state()
    answer = _refusal(lambda: services.undo_last(tafel=s.k.tafel_a, actor=s.cor))
    assert "nothing of yours" in answer
    # Anna's own undo still takes back her last change: the perspectief.
    services.undo_last(tafel=s.k.tafel_a, actor=s.anna)
    assert s.state() != before


def test_a_vertrouwelijk_perspectief_is_not_read_or_overwritten_by_its_partij(s):
    k, piet, before = s.k, s.piet, s.state()
    for version in (0, 1, 7):
        answer = _refusal(
            lambda version=version: services.perspectief_set(
                tafel=k.tafel_a,
                partij=k.politie,
                tekst="Piet schrijft",
                urgentie=1,
                expected_version=version,
                actor=piet,
            )
        )
        assert SECRET not in answer and "in confidence" in answer
    assert s.state() == before


def test_undo_does_not_bring_back_or_show_a_perspectief_made_vertrouwelijk_since(s):
    """Piet wrote the partij's perspectief openly; Anna then rewrote it in confidence. Piet's
    undo would overwrite her confidential text: refused, without showing it."""
    k = s.k
    Perspectief.objects.all().delete()
    services.perspectief_set(
        tafel=k.tafel_a, partij=k.politie, tekst="Open", urgentie=2, actor=s.piet
    )
    services.perspectief_set(
        tafel=k.tafel_a,
        partij=k.politie,
        tekst=SECRET,
        urgentie=5,
        vertrouwelijk=True,
        expected_version=1,
        actor=s.anna,
    )
    before = s.state()
    answer = _refusal(lambda: services.undo_last(tafel=k.tafel_a, actor=s.piet))
    assert SECRET not in answer
    assert s.state() == before


def test_a_participant_writes_only_their_own_partijs_perspectief(s):
    answer = _refusal(
        lambda: services.perspectief_set(
            tafel=s.k.tafel_a, partij=s.k.politie, tekst="x", urgentie=None, actor=s.bram
        )
    )
    assert "Only the partij itself" in answer


# The two edges ----------------------------------------------------------------------------


def _http(client, s: Secrets, name: str, payload: dict) -> str:
    client.cookies["sessionid"] = s.k.people[name]
    response = client.post(
        reverse("sessions:kaart_action", args=[s.k.tafel_a.pk]),
        {**payload, "tafel": s.k.tafel_a.pk},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER="form-x",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    return response.content.decode()


def test_over_http_the_secret_answers_as_a_missing_item(client, s):
    before = s.state()
    for secret_attack, missing_attack in attacks(s):
        answer = _http(client, s, "bram", secret_attack)
        assert SECRET not in answer, secret_attack
        assert answer == _http(client, s, "bram", missing_attack), secret_attack
    for version in (0, 1):
        answer = _http(
            client,
            s,
            "piet",
            {
                "action": "perspectief_set",
                "partij": s.k.politie.pk,
                "version": version,
                "tekst": "Piet",
                "urgentie": 1,
            },
        )
        assert SECRET not in answer and "in confidence" in answer
    assert SECRET not in _http(client, s, "cor", {"action": "undo"})
    assert s.state() == before


@pytest.mark.django_db(transaction=True)
async def test_over_the_websocket_the_secret_answers_as_a_missing_item(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    s = await sync_to_async(Secrets)()
    before = await sync_to_async(s.state)()
    bram = Socket(s.k.tafel_a.pk, s.k.people["bram"])
    piet = Socket(s.k.tafel_a.pk, s.k.people["piet"])
    cor = Socket(s.k.tafel_a.pk, s.k.people["cor"])
    for socket in (bram, piet, cor):
        card = await socket.open()
        assert SECRET not in card
        await socket.drain()

    async def answer(socket: Socket, payload: dict) -> str:
        await socket.send("form-x", **payload)
        return await socket.receive_until("kaart-alert")

    for secret_attack, missing_attack in attacks(s):
        secret_answer = await answer(bram, secret_attack)
        assert SECRET not in secret_answer, secret_attack
        assert secret_answer == await answer(bram, missing_attack), secret_attack
    refusal = await answer(
        piet,
        {
            "action": "perspectief_set",
            "partij": s.k.politie.pk,
            "version": 1,
            "tekst": "Piet",
            "urgentie": 1,
        },
    )
    assert SECRET not in refusal and "in confidence" in refusal
    assert SECRET not in await answer(cor, {"action": "undo"})
    for socket in (bram, piet, cor):
        assert all(SECRET not in message for message in await socket.drain())
        await socket.close()
    assert await sync_to_async(s.state)() == before


def test_the_partij_sees_that_its_perspectief_was_written_in_confidence_but_not_what(client, s):
    client.cookies["sessionid"] = s.k.people["piet"]
    page = client.get(
        reverse("sessions:kaart", args=[s.k.tafel_a.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert SECRET not in page
    assert "Written in confidence by someone of your partij" in page
    assert f'id="form-perspectief-{s.k.politie.pk}"' not in page  # nothing to overwrite
    client.cookies["sessionid"] = s.k.people["anna"]
    page = client.get(reverse("sessions:kaart", args=[s.k.tafel_a.pk])).content.decode()
    assert SECRET in page and f'id="form-perspectief-{s.k.politie.pk}"' in page


@pytest.mark.django_db(transaction=True)
async def test_a_vertrouwelijk_bijdrage_pushed_on_its_own_reaches_only_who_may_see_it(settings):
    """Added, edited and taken out, the one bijdrage is pushed to its author and the
    facilitator; the others are pushed nothing that names it, not even its id."""
    s, sockets = await _secrets_and_sockets(settings)
    anna = sockets["anna"]
    await anna.send(
        "form-a",
        action="bijdrage_add",
        partij=s.k.politie.pk,
        soort="haal",
        tekst=SECRET,
        vertrouwelijk="1",
    )
    added = await anna.receive_until("kaart-ack")
    pk = await sync_to_async(
        lambda: Bijdrage.objects.filter(tekst=SECRET, soort="haal").latest("pk").pk
    )()
    await anna.send("form-e", action="bijdrage_edit", id=pk, version=1, tekst=SECRET + "!")
    await anna.receive_until("kaart-ack")
    await anna.send("form-d", action="bijdrage_delete", id=pk, version=2)
    await anna.receive_until("kaart-ack")
    seen = {
        name: added * (name == "anna") + "".join(await socket.drain())
        for name, socket in sockets.items()
    }
    assert f'id="bijdrage-{pk}" hx-swap-oob="delete"' in seen["facilitator"]
    assert SECRET + "!" in seen["facilitator"]
    for name in ("bram", "piet", "cor"):
        assert f"bijdrage-{pk}" not in seen[name], name
        assert SECRET not in seen[name], name
    for socket in sockets.values():
        await socket.close()


PEOPLE = ("anna", "bram", "piet", "cor", "facilitator")


async def _secrets_and_sockets(settings) -> tuple[Secrets, dict[str, Socket]]:
    """The secrets, and everyone's kaart open, with what the opening sent read."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    s = await sync_to_async(Secrets)()
    sockets = {name: Socket(s.k.tafel_a.pk, s.k.people[name]) for name in PEOPLE}
    for socket in sockets.values():
        await socket.open()
        await socket.drain()
    return s, sockets


@pytest.mark.django_db(transaction=True)
async def test_a_koppeling_perspectief_or_move_pushed_on_its_own_reaches_only_who_may_see_it(
    settings,
):
    """Anna takes out the koppeling to her vertrouwelijk haal and makes it again, rewrites her
    vertrouwelijk perspectief and moves her haal past Bram's: each is pushed on its own, and
    only she and the facilitator are pushed anything that says it or names the items."""
    s, sockets = await _secrets_and_sockets(settings)
    anna = sockets["anna"]
    await anna.send("form-kd", action="koppeling_delete", id=s.koppeling.pk)
    await anna.receive_until("kaart-ack")
    await anna.send("form-ka", action="koppeling_add", haal=s.haal.pk, breng=s.breng.pk)
    await anna.receive_until("kaart-ack")
    again = await sync_to_async(lambda: Koppeling.objects.get(haal=s.haal).pk)()
    await anna.send(
        "form-p",
        action="perspectief_set",
        partij=s.k.politie.pk,
        version=1,
        tekst=SECRET + " bis",
        urgentie=4,
        vertrouwelijk="1",
    )
    await anna.receive_until("kaart-ack")
    await anna.send("form-m", action="bijdrage_move", id=s.haal.pk, direction="up")
    await anna.receive_until("kaart-ack")
    # The facilitator's pushes are rendered for them alone, the last of all on a loaded
    # machine: theirs is read through the move, then everyone's what else came.
    moved = f'hx-swap-oob="outerHTML:#bijdrage-{s.open_haal.pk}"'
    through = {"facilitator": await sockets["facilitator"].receive_through(moved)}
    seen = {
        name: "".join(through.get(name, []) + await socket.drain())
        for name, socket in sockets.items()
    }
    facilitator = seen["facilitator"]
    assert f'id="koppeling-{s.koppeling.pk}" hx-swap-oob="delete"' in facilitator
    assert f'id="koppeling-{again}"' in facilitator
    assert SECRET + " bis" in facilitator
    assert f'hx-swap-oob="outerHTML:#bijdrage-{s.open_haal.pk}"' in facilitator
    for name in ("bram", "piet", "cor"):
        assert SECRET not in seen[name], name
        for item in (f"koppeling-{s.koppeling.pk}", f"koppeling-{again}", f"bijdrage-{s.haal.pk}"):
            assert item not in seen[name], (name, item)
        # What they are pushed instead says what their page shows: a perspectief was written.
        assert f'id="perspectief-{s.k.politie.pk}"' in seen[name], name
    for socket in sockets.values():
        await socket.close()


@pytest.mark.django_db(transaction=True)
async def test_a_koppeling_to_a_secret_pushed_with_the_other_end_reaches_only_who_may_see_it(
    settings,
):
    """Bram edits his breng, which the koppeling links to Anna's vertrouwelijk haal, and then
    takes it out: the koppeling is pushed in place and then taken out, to Anna and the
    facilitator alone; the others get the breng, and nothing that names the koppeling."""
    s, sockets = await _secrets_and_sockets(settings)
    bram = sockets["bram"]
    await bram.send("form-e", action="bijdrage_edit", id=s.breng.pk, version=1, tekst="Regie")
    await bram.receive_until("kaart-ack")
    await bram.send("form-d", action="bijdrage_delete", id=s.breng.pk, version=2)
    koppeling = f"koppeling-{s.koppeling.pk}"
    # Everyone's last push is the delete as they see it: read each socket through it (a
    # loaded machine renders the pushes of those with secrets of their own later), then what
    # else came.
    last = {
        name: f'id="{koppeling}" hx-swap-oob="delete"'
        if name in ("anna", "facilitator")
        else f'id="bijdrage-{s.breng.pk}" hx-swap-oob="delete"'
        for name in sockets
    }
    seen = {
        name: "".join(await socket.receive_through(last[name]) + await socket.drain())
        for name, socket in sockets.items()
    }
    for name in ("anna", "facilitator"):
        assert f'<li id="{koppeling}" hx-swap-oob="true"' in seen[name], name
        assert "“Regie”" in seen[name], name  # the koppeling shows the breng's new text
        assert f'id="{koppeling}" hx-swap-oob="delete"' in seen[name], name
    for name in ("bram", "piet", "cor"):
        assert koppeling not in seen[name], name
        assert SECRET not in seen[name], name
        assert f'id="bijdrage-{s.breng.pk}" hx-swap-oob="delete"' in seen[name], name
    for socket in sockets.values():
        await socket.close()
