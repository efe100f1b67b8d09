"""Undo of one's own last change, never of another's (sessions/services/undo.py and the undo
beside each operation)."""

import pytest

from sessions import services
from sessions.models import Bijdrage, Koppeling, OpgaveVersie, Perspectief, Vervolgstap


def test_undo_of_an_add_edit_and_delete(k, anna):
    haal = services.bijdrage_add(
        tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="a", actor=anna
    )
    breng = services.bijdrage_add(tafel=k.tafel_a, partij=k.gemeente, soort="breng", tekst="b")
    services.koppeling_add(tafel=k.tafel_a, haal_id=haal.pk, breng_id=breng.pk)
    services.bijdrage_edit(
        tafel=k.tafel_a, bijdrage_id=haal.pk, expected_version=1, tekst="a2", gewicht=3, actor=anna
    )
    services.bijdrage_delete(tafel=k.tafel_a, bijdrage_id=haal.pk, actor=anna)
    assert not Koppeling.objects.exists()

    services.undo_last(tafel=k.tafel_a, actor=anna)  # the delete: back, with its koppeling
    restored = Bijdrage.objects.get(tekst="a2")
    assert Koppeling.objects.filter(haal=restored, breng=breng).exists()

    services.undo_last(tafel=k.tafel_a, actor=anna)  # the edit
    restored.refresh_from_db()
    assert (restored.tekst, restored.gewicht) == ("a", 1)


def test_undo_never_overwrites_someone_elses_later_change(k, anna, bram):
    haal = services.bijdrage_add(
        tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="a", actor=anna
    )
    services.bijdrage_edit(
        tafel=k.tafel_a,
        bijdrage_id=haal.pk,
        expected_version=1,
        tekst="Bram",
        gewicht=1,
        actor=bram,
    )
    with pytest.raises(services.NothingToUndo):
        services.undo_last(tafel=k.tafel_a, actor=anna)
    haal.refresh_from_db()
    assert haal.tekst == "Bram"


def test_undo_of_perspectief_koppeling_vervolgstap_and_opgave_text(k, anna):
    haal = services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="h")
    breng = services.bijdrage_add(tafel=k.tafel_a, partij=k.gemeente, soort="breng", tekst="b")
    services.perspectief_set(tafel=k.tafel_a, partij=k.politie, tekst="p", urgentie=2, actor=anna)
    services.koppeling_add(tafel=k.tafel_a, haal_id=haal.pk, breng_id=breng.pk, actor=anna)
    stap = services.vervolgstap_add(tafel=k.tafel_a, title="s", eigenaar=k.politie, actor=anna)
    services.vervolgstap_edit(
        tafel=k.tafel_a,
        vervolgstap_id=stap.pk,
        expected_version=1,
        title="s2",
        eigenaar_id=k.gemeente.pk,
        partij_ids=[k.politie.pk],
        actor=anna,
    )
    services.kaart_opgave_text_set(
        tafel=k.tafel_a, veld="ambitie", tekst="x", expected_version=0, actor=anna
    )
    services.undo_last(tafel=k.tafel_a, actor=anna)
    assert OpgaveVersie.objects.filter(veld="ambitie").order_by("-nummer").first().tekst == ""
    services.undo_last(tafel=k.tafel_a, actor=anna)
    stap.refresh_from_db()
    assert (stap.title, stap.eigenaar_id, list(stap.partijen.all())) == ("s", k.politie.pk, [])
    services.undo_last(tafel=k.tafel_a, actor=anna)
    assert not Vervolgstap.objects.exists()
    services.undo_last(tafel=k.tafel_a, actor=anna)
    assert not Koppeling.objects.exists()
    services.undo_last(tafel=k.tafel_a, actor=anna)
    assert not Perspectief.objects.exists()
    with pytest.raises(services.NothingToUndo):
        services.undo_last(tafel=k.tafel_a, actor=anna)


def test_undo_takes_back_a_deleted_koppeling_and_then_its_adding(k, anna):
    """Add a koppeling, delete it, undo twice: it comes back, then it is gone as before."""
    haal = services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="h")
    breng = services.bijdrage_add(tafel=k.tafel_a, partij=k.gemeente, soort="breng", tekst="b")
    koppeling = services.koppeling_add(
        tafel=k.tafel_a, haal_id=haal.pk, breng_id=breng.pk, actor=anna
    )
    services.koppeling_delete(tafel=k.tafel_a, koppeling_id=koppeling.pk, actor=anna)
    services.undo_last(tafel=k.tafel_a, actor=anna)
    assert list(Koppeling.objects.values_list("haal", "breng")) == [(haal.pk, breng.pk)]
    services.undo_last(tafel=k.tafel_a, actor=anna)
    assert not Koppeling.objects.exists()


def test_undo_is_per_person(k, anna, bram):
    services.bijdrage_add(
        tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="Anna's", actor=anna
    )
    services.bijdrage_add(
        tafel=k.tafel_a, partij=k.gemeente, soort="haal", tekst="Bram's", actor=bram
    )
    services.undo_last(tafel=k.tafel_a, actor=anna)
    assert list(Bijdrage.objects.values_list("tekst", flat=True)) == ["Bram's"]
