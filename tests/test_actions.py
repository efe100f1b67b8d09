"""The actions shared by the websocket and the HTTP fallback, at their own edge."""

import pytest
from django.http import QueryDict

from sessions import actions, services
from sessions.access import Access
from sessions.models import Bijdrage, KaartEvent
from tests.kaart_helpers import make_kaarten

LONE_SURROGATE = "\ud800"  # what JSON's "\ud800" decodes to: neither UTF-8 nor PostgreSQL take it


@pytest.fixture
def k(db):
    return make_kaarten()


def anna(k):
    deelnemer = k.tafel_a.deelnemers.get(name="Anna")
    access = Access(can_view=True, can_edit=True, role="deelnemer", deelnemer=deelnemer)
    return access, services.Actor(deelnemer=deelnemer)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"tekst": f"Malafide{LONE_SURROGATE}"}, id="value"),
        pytest.param({f"x{LONE_SURROGATE}": "1"}, id="field-name"),
        pytest.param({"breng_soort": "a\x00"}, id="nul"),  # PostgreSQL refuses NUL
    ],
)
def test_perform_refuses_invalid_text_from_any_edge(k, fields):
    """request.POST of the HTTP fallback goes straight to perform(): it checks too."""
    access, actor = anna(k)
    data = QueryDict(mutable=True)
    data.update({"action": "bijdrage_add", "partij": str(k.politie.pk), "soort": "haal"})
    data.setdefault("tekst", "Malafide bedrijven weren")
    data.update(fields)
    with pytest.raises(actions.BadMessage, match="invalid text"):
        actions.perform(data, tafel=k.tafel_a, access=access, actor=actor)
    assert not Bijdrage.objects.exists() and not KaartEvent.objects.exists()


def test_text_beyond_ascii_is_valid(k):
    access, actor = anna(k)
    data = QueryDict(mutable=True)
    tekst = "Ondermijning aanpakken: café, naïef, 😀, 中文"
    data.update({"action": "bijdrage_add", "partij": str(k.politie.pk), "soort": "haal"})
    data["tekst"] = tekst
    outcome = actions.perform(data, tafel=k.tafel_a, access=access, actor=actor)
    assert outcome.ok, outcome.message
    assert Bijdrage.objects.get().tekst == tekst
