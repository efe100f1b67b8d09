"""Nothing missed: a change sent twice (its answer was lost with the socket) is applied once and
answered both times; a push names the change it follows, so a page that missed one notices;
a page that asks for the whole card gets it."""

from __future__ import annotations

import dataclasses
import json

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from sessions import services
from sessions.models import Bijdrage, KaartEvent, Partij
from tests.kaart_helpers import Socket, make_kaarten

NONCE = "a1b2c3d4e5f6a7b8c9d0e1f2"


@pytest.fixture
def k(db):
    return make_kaarten()


def _add(k, nonce=NONCE, tekst="Twee keer verstuurd"):
    return {
        "action": "bijdrage_add",
        "tafel": k.tafel_a.pk,
        "partij": k.politie.pk,
        "soort": "haal",
        "tekst": tekst,
        "gewicht": 1,
        "nonce": nonce,
    }


def test_a_service_applies_a_nonce_once(k):
    anna = services.Actor(deelnemer=k.tafel_a.deelnemers.get(name="Anna"), nonce=NONCE)
    services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="x", actor=anna)
    with pytest.raises(services.AlreadyApplied):
        services.bijdrage_add(
            tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="x", actor=anna
        )
    assert Bijdrage.objects.count() == 1
    assert KaartEvent.objects.get().data["nonce"] == NONCE
    # Another change of hers, with its own nonce, is applied as usual.
    other = dataclasses.replace(anna, nonce="ffffffffffffffff")
    services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="y", actor=other)
    assert Bijdrage.objects.count() == 2


def test_over_http_a_message_sent_twice_is_applied_once_and_answered_twice(client, k):
    client.cookies["sessionid"] = k.people["anna"]
    url = reverse("sessions:kaart_action", args=[k.tafel_a.pk])
    answers = [
        client.post(url, _add(k), HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER="form-haal-add-1")
        for _ in range(2)
    ]
    for answer in answers:
        html = answer.content.decode()
        assert f'data-nonce="{NONCE}"' in html and 'id="kaart-ack"' in html
    assert Bijdrage.objects.filter(tekst="Twee keer verstuurd").count() == 1


def test_a_missing_partij_noted_twice_is_noted_once_without_an_error(client, k):
    client.cookies["sessionid"] = k.people["anna"]
    url = reverse("sessions:kaart_action", args=[k.tafel_a.pk])
    data = {
        "action": "partij_missing",
        "tafel": k.tafel_a.pk,
        "name": "Openbaar Ministerie",
        "toelichting": "",
        "nonce": NONCE,
    }
    for _ in range(2):
        html = client.post(url, data, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER="f").content
        assert b'id="kaart-ack"' in html and b"already" not in html
    assert Partij.objects.filter(name="Openbaar Ministerie").count() == 1


@pytest.mark.django_db(transaction=True)
async def test_a_resend_on_a_new_socket_is_acknowledged_and_not_applied_again(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    k = await sync_to_async(make_kaarten)()
    first = Socket(k.tafel_a.pk, k.people["anna"])
    await first.open()
    await first.send("form-haal-add-1", **_add(k))
    ack = await first.receive_until("kaart-ack")
    assert f'data-nonce="{NONCE}"' in ack
    await first.close()  # as if the ack had been lost with the socket
    again = Socket(k.tafel_a.pk, k.people["anna"])
    await again.open()
    await again.drain()
    await again.send("form-haal-add-1", **_add(k))
    ack = await again.receive_until("kaart-ack")
    assert f'data-nonce="{NONCE}"' in ack
    assert await sync_to_async(Bijdrage.objects.filter(tekst="Twee keer verstuurd").count)() == 1
    await again.close()


@pytest.mark.django_db(transaction=True)
async def test_a_push_names_the_change_it_follows_and_the_card_comes_on_request(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    k = await sync_to_async(make_kaarten)()
    anna, bram = Socket(k.tafel_a.pk, k.people["anna"]), Socket(k.tafel_a.pk, k.people["bram"])
    for socket in (anna, bram):
        card = await socket.open()
        assert 'data-seq="0"' in card and "data-prev" not in card  # a whole card: no gap check
        await socket.drain()
    for n in (1, 2):
        await anna.send("form-haal-add-1", **_add(k, nonce=f"nonce-{n}-abcdef", tekst=f"H{n}"))
        push = await bram.receive_until(f'data-seq="{n}"')
        assert f'data-seq="{n}" data-prev="{n - 1}"' in push
    # A page that saw a gap asks for the whole card, and gets it at once.
    await bram.comm.send_to(text_data=json.dumps({"action": "card"}))
    card = await bram.receive_until("kaart-partijen")
    assert "H1" in card and "H2" in card and 'data-seq="2"' in card
    for socket in (anna, bram):
        await socket.close()
