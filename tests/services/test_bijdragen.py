"""Halen and brengen: versions, order, confidentiality (sessions/services/bijdragen.py)."""

import pytest

from sessions import services
from sessions.models import Bijdrage


def log(tafel):
    return list(tafel.events.order_by("seq").values_list("seq", "kind"))


def test_an_edit_against_an_older_version_is_refused_and_changes_nothing(k, anna, bram):
    haal = services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="a")
    services.bijdrage_edit(
        tafel=k.tafel_a,
        bijdrage_id=haal.pk,
        expected_version=1,
        tekst="Anna",
        gewicht=1,
        actor=anna,
    )
    with pytest.raises(services.StaleEdit) as stale:
        services.bijdrage_edit(
            tafel=k.tafel_a,
            bijdrage_id=haal.pk,
            expected_version=1,
            tekst="Bram",
            gewicht=1,
            actor=bram,
        )
    assert stale.value.current_version == 2
    haal.refresh_from_db()
    assert haal.tekst == "Anna"
    assert len(log(k.tafel_a)) == 2


def test_a_delete_against_an_older_version_is_refused(k):
    haal = services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="a")
    services.bijdrage_edit(
        tafel=k.tafel_a, bijdrage_id=haal.pk, expected_version=1, tekst="b", gewicht=1
    )
    with pytest.raises(services.StaleEdit):
        services.bijdrage_delete(tafel=k.tafel_a, bijdrage_id=haal.pk, expected_version=1)
    assert Bijdrage.objects.filter(pk=haal.pk).exists()


def test_reorder_moves_within_the_partij_and_kind(k):
    a, b, c = (
        services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="haal", tekst=t)
        for t in "abc"
    )
    services.bijdrage_move(tafel=k.tafel_a, bijdrage_id=c.pk, direction="up")
    order = list(
        Bijdrage.objects.filter(tafel=k.tafel_a)
        .order_by("position")
        .values_list("tekst", flat=True)
    )
    assert order == ["a", "c", "b"]


def test_a_confidential_bijdrage_is_seen_by_the_facilitator_and_its_author_only(k, anna):
    from sessions import selectors
    from sessions.access import Access

    services.bijdrage_add(
        tafel=k.tafel_a,
        partij=k.politie,
        soort="haal",
        tekst="Geheim",
        vertrouwelijk=True,
        actor=anna,
    )
    event = k.tafel_a.events.get()
    assert event.data.get("vertrouwelijk") is True  # nobody is told who added what

    def texts(access):
        kaart = selectors.kaart_for(k.tafel_a.pk, access)
        return [b.tekst for b in kaart.halen]

    bram = k.tafel_a.deelnemers.get(name="Bram")
    assert texts(Access(can_view=True, role="facilitator")) == ["Geheim"]
    assert texts(Access(can_view=True, role="deelnemer", deelnemer=anna.deelnemer)) == ["Geheim"]
    assert texts(Access(can_view=True, role="deelnemer", deelnemer=bram)) == []
    assert texts(Access(can_view=True, role="coordinator")) == []
