"""Who may do what: every view and websocket route, for each kind of person.

Roles: a facilitator of the opgave's team, a facilitator of another team, a coordinator of the
team, a participant of this sessie (seated at tafel A), a participant of another sessie, and
someone anonymous.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from halenbrengen.asgi import application
from sessions.models import Membership, Partij, Tafel
from tests import factories
from tests.kaart_helpers import make_kaarten, participant_session, user_session

ROLES = ["facilitator", "other_facilitator", "coordinator", "participant", "stranger", "anonymous"]


def world():
    k = make_kaarten()
    other_facilitator = factories.MembershipFactory(role=Membership.Role.FACILITATOR).user
    k.people["other_facilitator"] = user_session(other_facilitator)
    k.people["participant"] = k.people["anna"]
    k.people["stranger"] = participant_session(factories.DeelnemerFactory())
    k.people["anonymous"] = None
    return k


def client_for(k, role) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if k.people[role]:
        client.cookies["sessionid"] = k.people[role]
    return client


LOGIN = "login"  # a redirect to the login page

# view -> (method, url builder, data builder, expected per role in ROLES order)
VIEWS = {
    "dashboard": (
        "get",
        lambda k: reverse("sessions:dashboard"),
        None,
        [200, 200, 200, LOGIN, LOGIN, LOGIN],
    ),
    "opgave": (
        "get",
        lambda k: k.sessie.opgave.get_absolute_url(),
        None,
        [200, 404, 200, LOGIN, LOGIN, LOGIN],
    ),
    "opgave_create": (
        "get",
        lambda k: reverse("sessions:opgave_create"),
        None,
        [200, 200, 403, LOGIN, LOGIN, LOGIN],
    ),
    "partij_add": (
        "get",
        lambda k: reverse("sessions:partij_add", args=[k.sessie.opgave_id]),
        None,
        [200, 404, 403, LOGIN, LOGIN, LOGIN],
    ),
    "partij_edit": (
        "get",
        lambda k: reverse("sessions:partij_edit", args=[k.sessie.opgave_id, k.politie.pk]),
        None,
        [200, 404, 403, LOGIN, LOGIN, LOGIN],
    ),
    "sessie_add": (
        "get",
        lambda k: reverse("sessions:sessie_add", args=[k.sessie.opgave_id]),
        None,
        [200, 404, 403, LOGIN, LOGIN, LOGIN],
    ),
    "sessie_edit": (
        "get",
        lambda k: reverse("sessions:sessie_edit", args=[k.sessie.opgave_id, k.sessie.pk]),
        None,
        [200, 404, 403, LOGIN, LOGIN, LOGIN],
    ),
    "sessie": (
        "get",
        lambda k: k.sessie.get_absolute_url(),
        None,
        [200, 404, 200, LOGIN, LOGIN, LOGIN],
    ),
    "sessie_control": (
        "post",
        lambda k: reverse("sessions:sessie_control", args=[k.sessie.pk]),
        lambda k: {"op": "add_tafel"},
        [302, 404, 403, LOGIN, LOGIN, LOGIN],
    ),
    "sessie_duplicate": (
        "post",
        lambda k: reverse("sessions:sessie_duplicate", args=[k.sessie.pk]),
        None,
        [302, 404, 403, LOGIN, LOGIN, LOGIN],
    ),
    "plenair": (
        "get",
        lambda k: reverse("sessions:plenair", args=[k.sessie.pk]),
        None,
        [200, 404, 200, LOGIN, LOGIN, LOGIN],
    ),
    "kaart": ("get", lambda k: k.tafel_a.get_absolute_url(), None, [200, 404, 200, 200, 403, 403]),
    "kaart_since": (
        "get",
        lambda k: reverse("sessions:kaart_since", args=[k.tafel_a.pk]),
        # The kaart and its sessie as they are: nothing new (204).
        lambda k: {"seq": 0, "sessie": type(k.sessie).objects.get(pk=k.sessie.pk).changes},
        [204, 404, 204, 204, 403, 403],
    ),
    "kaart_action": (
        "post",
        lambda k: reverse("sessions:kaart_action", args=[k.tafel_a.pk]),
        lambda k: {
            "action": "partij_missing",
            "name": "Openbaar Ministerie",
            "tafel": k.tafel_a.pk,
        },
        [200, 404, 200, 200, 403, 403],
    ),
}

# What changes when the request is allowed to change something.
EFFECTS = {
    "sessie_control": lambda k: Tafel.objects.filter(sessie=k.sessie).count() == 3,
    "sessie_duplicate": lambda k: k.sessie.opgave.sessies.count() == 2,
    "kaart_action": lambda k: Partij.objects.filter(name="Openbaar Ministerie").exists(),
}
CHANGES_FOR = {
    "sessie_control": {"facilitator"},
    "sessie_duplicate": {"facilitator"},
    "kaart_action": {"facilitator", "participant"},  # not the read-only coordinator
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("view", list(VIEWS))
def test_every_view_for_every_role(view, role):
    k = world()
    method, url, data, expected = VIEWS[view]
    client = client_for(k, role)
    response = getattr(client, method)(url(k), data(k) if data else {})
    want = expected[ROLES.index(role)]
    if want == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == want, response.content[:300]
    if view in EFFECTS:
        assert EFFECTS[view](k) == (role in CHANGES_FOR[view])


# Websocket routes: accepted and served, or closed with 4403.
SOCKETS = {
    "tafel": (lambda k: f"/ws/tafels/{k.tafel_a.pk}/", [True, False, True, True, False, False]),
    "sessie": (lambda k: f"/ws/sessies/{k.sessie.pk}/", [True, False, True, True, False, False]),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(SOCKETS))
async def test_every_websocket_route_for_every_role(route, role, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    k = await sync_to_async(world)()
    path, expected = SOCKETS[route]
    headers = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
    if k.people[role]:
        headers.append((b"cookie", f"sessionid={k.people[role]}".encode()))
    comm = WebsocketCommunicator(application, path(k), headers=headers)
    connected, _ = await comm.connect()
    assert connected
    output = await comm.receive_output(timeout=5)
    if expected[ROLES.index(role)]:
        assert output["type"] == "websocket.send", output
        assert "id=" in output["text"]
        await comm.disconnect()
    else:
        assert output == {"type": "websocket.close", "code": 4403}
