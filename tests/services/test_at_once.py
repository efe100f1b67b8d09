"""A bijdrage added in one round trip (sessions/services/at_once.py) is the ordinary add: the
same row, event and bell for every message it takes, and nothing written for any it leaves to
the ordinary way, which then gives the refusal."""

import asyncio
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.utils import translation

from sessions import access, actions, asyncdb, broadcast, services
from sessions.kaart_forms import BijdrageAddForm
from sessions.models import Bijdrage, KaartEvent, Tafel
from sessions.services import at_once


@pytest.fixture
def on_postgresql(transactional_db):
    """The one call runs on a connection of the event loop's own: it sees what the test's
    connection committed, not a test transaction."""
    if not at_once.available():
        pytest.skip("hb_bijdrage_add is PostgreSQL's (the other databases take the ordinary way)")


def in_loop(**call) -> list | None:
    """at_once.bijdrage_add awaited in an event loop of its own, as a socket's, whose
    connections are closed with it."""

    async def add():
        try:
            return await at_once.bijdrage_add(**call)
        finally:
            await asyncdb.close()

    return asyncio.run(add())


class Rollback(Exception):
    pass


def person(k, name):
    """The tafel as a socket loads it, the person's access, and the stamp it keeps."""
    tafel = Tafel.objects.select_related("sessie__opgave").get(pk=k.tafel_a.pk)
    allowed = access.tafel_access(AnonymousUser(), SessionStore(k.people[name]), tafel)
    return tafel, allowed, access.participant_stamp(tafel.pk, allowed.deelnemer.pk)


def written(before_event: int) -> tuple[dict, dict]:
    """The bijdrage and the event written after event id `before_event`, without the ids and
    times that differ from one write to the next."""
    event = KaartEvent.objects.filter(pk__gt=before_event).get()
    row = Bijdrage.objects.filter(pk=event.data["id"]).values().get()
    for key in ("id", "created_at", "updated_at"):
        row.pop(key)
    facts = {
        "seq": event.seq,
        "kind": event.kind,
        "data": {**event.data, "id": "ID"},
        "id": event.data["id"],
        "actor_name": event.actor_name,
        "actor_user": event.actor_user_id,
        "actor_deelnemer": event.actor_deelnemer_id,
    }
    return row, facts


def rung(bells: list, pk: int) -> list:
    """The bells as the sockets get them, with the new bijdrage's id made the same."""
    text = repr(bells)
    return re.sub(rf"(bijdrage-|bijdrage:|'id': |value=\\?\"|/bijdragen/){pk}\b", r"\1ID", text)


def last_event_id() -> int:
    return KaartEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


MESSAGES = [
    {"partij": "P", "soort": "haal", "tekst": "Zicht op de wijk"},
    {"partij": "P", "soort": "breng", "tekst": "  Twee wijkagenten  ", "gewicht": "3"},
    {
        "partij": "P",
        "soort": "breng",
        "tekst": "Data over meldingen",
        "breng_soort": "kennis_data",
        "toezegging": "toegezegd",
        "gewicht": "",
    },
    {"partij": "P", "soort": "haal", "tekst": "Alleen voor ons", "vertrouwelijk": "on"},
    {"partij": "P", "soort": "haal", "tekst": "Met een nonce", "nonce": "abcdefgh1234"},
    {"partij": "P", "soort": "breng", "tekst": "Tafel genoemd", "tafel": "T", "breng_soort": ""},
]


def message(k, fields):
    values = {
        key: str(k.politie.pk) if value == "P" else str(k.tafel_a.pk) if value == "T" else value
        for key, value in fields.items()
    }
    return {"action": "bijdrage_add", **values, "HEADERS": {"HX-Trigger": "form-haal-add"}}


@pytest.mark.parametrize("fields", MESSAGES, ids=lambda f: f["tekst"].strip())
def test_the_one_call_writes_and_rings_what_the_ordinary_add_does(
    k, on_postgresql, fields, django_capture_on_commit_callbacks
):
    services.bijdrage_add(tafel=k.tafel_a, partij=k.gemeente, soort="haal", tekst="Er al")
    services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort=fields["soort"], tekst="Ook")
    tafel, allowed, stamp = person(k, "anna")
    payload = message(k, fields)
    before = last_event_id()
    with translation.override("nl"):
        with broadcast.held() as bells, django_capture_on_commit_callbacks(execute=True):
            outcome = actions.perform(
                actions.to_querydict(payload),
                tafel=tafel,
                access=allowed,
                actor=services.Actor(deelnemer=allowed.deelnemer),
            )
        assert outcome.ok
        ordinary = written(before)
        ordinary_bells = rung(bells, ordinary[1]["id"])
        KaartEvent.objects.filter(pk__gt=before).delete()  # as if it never happened
        Bijdrage.objects.filter(pk=ordinary[1]["id"]).delete()
        bells = in_loop(
            tafel=tafel,
            deelnemer=allowed.deelnemer,
            stamp=stamp,
            fields=at_once.bijdrage_fields(payload, tafel.pk),
        )
    assert bells is not None
    at_once_written = written(before)
    assert at_once_written[0] == ordinary[0]
    assert at_once_written[1] == ordinary[1] | {"id": at_once_written[1]["id"]}
    assert rung(bells, at_once_written[1]["id"]) == ordinary_bells


def attempt(k, tafel, allowed, stamp, **fields) -> bool:
    payload = message(k, {"partij": "P", "soort": "haal", "tekst": "Nog een", **fields})
    bells = in_loop(
        tafel=tafel,
        deelnemer=allowed.deelnemer,
        stamp=stamp,
        fields=at_once.bijdrage_fields(payload, tafel.pk),
    )
    assert bells is None or len(bells) == 2  # the tafel's and the control rooms', when written
    return bells is not None


def test_a_participant_whose_access_changed_is_left_to_the_ordinary_way(k, on_postgresql):
    tafel, allowed, stamp = person(k, "anna")
    services.deelnemer_revoke(deelnemer=allowed.deelnemer)
    assert not attempt(k, tafel, allowed, stamp)
    assert not Bijdrage.objects.exists()
    # The ordinary way looks the access up again and refuses.
    session = SessionStore(k.people["anna"])
    assert not access.tafel_access(AnonymousUser(), session, tafel).can_edit


def test_a_partij_of_another_opgave_is_left_to_the_ordinary_way(k, on_postgresql):
    from tests import factories

    tafel, allowed, stamp = person(k, "anna")
    elsewhere = factories.PartijFactory()
    assert not attempt(k, tafel, allowed, stamp, partij=str(elsewhere.pk))
    assert not attempt(k, tafel, allowed, stamp, partij="999999999")
    assert not Bijdrage.objects.exists()
    outcome = actions.perform(
        actions.to_querydict(
            message(k, {"partij": str(elsewhere.pk), "soort": "haal", "tekst": "x"})
        ),
        tafel=tafel,
        access=allowed,
        actor=services.Actor(deelnemer=allowed.deelnemer),
    )
    assert outcome.message == "Unknown partij."


def test_a_full_kaart_is_left_to_the_ordinary_way(k, on_postgresql, settings):
    settings.HB_MAX_ITEMS_PER_KAART = 2
    tafel, allowed, stamp = person(k, "anna")
    assert attempt(k, tafel, allowed, stamp)
    assert attempt(k, tafel, allowed, stamp)
    assert not attempt(k, tafel, allowed, stamp)
    assert Bijdrage.objects.count() == 2
    assert tafel.events.count() == 2


def test_a_resend_is_applied_once(k, on_postgresql):
    tafel, allowed, stamp = person(k, "anna")
    assert attempt(k, tafel, allowed, stamp, nonce="resend-1234")
    assert not attempt(k, tafel, allowed, stamp, nonce="resend-1234")
    assert attempt(k, tafel, allowed, stamp, nonce="another-1234")
    assert list(Bijdrage.objects.values_list("position", flat=True).order_by("pk")) == [0, 1]
    assert list(tafel.events.values_list("seq", flat=True).order_by("seq")) == [1, 2]


# What the one call takes: only what the form takes as it is, cleaned as the form and the
# service clean it. Everything else is None: the ordinary way answers it.
TAKEN = MESSAGES + [
    {"partij": "P", "soort": "haal", "tekst": "x", "vertrouwelijk": "true"},
    {"partij": "P", "soort": "haal", "tekst": "x", "vertrouwelijk": "false"},
    {"partij": "P", "soort": "haal", "tekst": "x", "vertrouwelijk": ""},
    {"partij": "P", "soort": "haal", "tekst": "x", "breng_soort": "geld", "toezegging": "mogelijk"},
    {"partij": "P", "soort": "haal", "tekst": "x", "nonce": "short"},
    {"partij": "P", "soort": "breng", "tekst": "x" * 2000},
]
LEFT = [
    {"partij": "P", "soort": "haal", "tekst": "   "},
    {"partij": "P", "soort": "haal", "tekst": "x" * 2001},
    {"partij": "P", "soort": "haal"},
    {"partij": "P", "soort": "beide", "tekst": "x"},
    {"partij": "P", "soort": "haal", "tekst": "x", "gewicht": "4"},
    {"partij": "P", "soort": "haal", "tekst": "x", "gewicht": "02"},
    {"partij": "P", "soort": "haal", "tekst": "x", "vertrouwelijk": "0"},
    {"partij": "P", "soort": "breng", "tekst": "x", "breng_soort": "goud"},
    {"partij": "P", "soort": "breng", "tekst": "x", "toezegging": "misschien"},
    {"partij": "", "soort": "haal", "tekst": "x"},
    {"partij": "-1", "soort": "haal", "tekst": "x"},
    {"partij": "١", "soort": "haal", "tekst": "x"},
    {"partij": "P", "soort": "haal", "tekst": "a\x00b"},
    {"partij": "P", "soort": "haal", "tekst": "x", "tafel": "0"},
    {"partij": "P", "soort": "haal", "tekst": "x", "extra": "1"},
    {"partij": "P", "soort": "haal", "tekst": ["x", "y"]},
    {"partij": "P", "soort": "haal", "tekst": "x", "gewicht": 2},
]


@pytest.mark.parametrize("fields", TAKEN)
def test_what_the_one_call_takes_it_cleans_as_the_form_and_the_service_do(k, fields):
    payload = message(k, fields)
    taken = at_once.bijdrage_fields(payload, k.tafel_a.pk)
    form = BijdrageAddForm(actions.to_querydict(payload))
    assert taken is not None and form.is_valid()
    data = form.cleaned_data
    cleaned = services.bijdragen._bijdrage_fields(
        data["soort"], data["tekst"], data["gewicht"], data["breng_soort"], data["toezegging"]
    )
    assert taken == {
        "partij_id": data["partij"],
        "soort": data["soort"],
        "vertrouwelijk": data["vertrouwelijk"],
        "nonce": actions.nonce_of(actions.to_querydict(payload)),
        **cleaned,
    }


@pytest.mark.parametrize("fields", LEFT)
def test_anything_else_is_left_to_the_form(k, fields):
    assert at_once.bijdrage_fields(message(k, fields), k.tafel_a.pk) is None
