"""The spine of every kaart change: one numbered log, a limit of items, partijen of this opgave
(sessions/services/changes.py)."""

import pytest
from django.core.exceptions import ValidationError

from sessions import services
from sessions.models import Bijdrage, KaartEvent
from tests import factories


def log(tafel):
    return list(tafel.events.order_by("seq").values_list("seq", "kind"))


def test_every_change_is_logged_with_the_next_sequence_number(k, anna):
    haal = services.bijdrage_add(
        tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="a", actor=anna
    )
    services.bijdrage_edit(
        tafel=k.tafel_a, bijdrage_id=haal.pk, expected_version=1, tekst="b", gewicht=2, actor=anna
    )
    services.bijdrage_add(tafel=k.tafel_b, partij=k.politie, soort="haal", tekst="c", actor=anna)
    services.bijdrage_delete(tafel=k.tafel_a, bijdrage_id=haal.pk, actor=anna)
    assert log(k.tafel_a) == [
        (1, "bijdrage_added"),
        (2, "bijdrage_edited"),
        (3, "bijdrage_deleted"),
    ]
    assert log(k.tafel_b) == [(1, "bijdrage_added")]
    assert KaartEvent.objects.filter(tafel=k.tafel_a, seq=1).get().actor_name == "Anna"


def test_a_kaart_holds_a_limited_number_of_items(k, settings):
    settings.HB_MAX_ITEMS_PER_KAART = 2
    for tekst in "ab":
        services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="haal", tekst=tekst)
    with pytest.raises(ValidationError, match="full"):
        services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="c")
    assert Bijdrage.objects.count() == 2


def test_a_partij_of_another_opgave_is_refused(k):
    stranger = factories.PartijFactory()
    with pytest.raises(ValidationError):
        services.bijdrage_add(tafel=k.tafel_a, partij=stranger, soort="haal", tekst="x")
