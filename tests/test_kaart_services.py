"""The kaart's services: versions, refusals, the event log and undo."""

import pytest
from django.core.exceptions import ValidationError

from sessions import services
from sessions.models import Bijdrage, KaartEvent, Koppeling, OpgaveVersie, Perspectief, Vervolgstap
from tests import factories


@pytest.fixture
def k(db):
    from tests.kaart_helpers import make_kaarten

    return make_kaarten()


@pytest.fixture
def anna(k):
    return services.Actor(deelnemer=k.tafel_a.deelnemers.get(name="Anna"))


@pytest.fixture
def bram(k):
    return services.Actor(deelnemer=k.tafel_a.deelnemers.get(name="Bram"))


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


def test_opgave_texts_are_kept_as_versions_with_author(k, anna, bram):
    services.kaart_opgave_text_set(
        tafel=k.tafel_a, veld="formulering", tekst="Eerste", expected_version=0, actor=anna
    )
    services.kaart_opgave_text_set(
        tafel=k.tafel_a, veld="formulering", tekst="Tweede", expected_version=1, actor=bram
    )
    with pytest.raises(services.StaleEdit):
        services.kaart_opgave_text_set(
            tafel=k.tafel_a, veld="formulering", tekst="Derde", expected_version=1, actor=anna
        )
    versions = OpgaveVersie.objects.filter(opgave=k.sessie.opgave, veld="formulering")
    assert [(v.nummer, v.tekst, v.author_name, v.sessie_id) for v in versions] == [
        (1, "Eerste", "Anna", k.sessie.pk),
        (2, "Tweede", "Bram", k.sessie.pk),
    ]


def test_koppeling_needs_a_haal_and_a_breng_of_different_partijen(k):
    haal = services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="h")
    own_breng = services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="breng", tekst="b")
    other_breng = services.bijdrage_add(
        tafel=k.tafel_a, partij=k.gemeente, soort="breng", tekst="c"
    )
    with pytest.raises(ValidationError):
        services.koppeling_add(tafel=k.tafel_a, haal_id=haal.pk, breng_id=own_breng.pk)
    with pytest.raises(ValidationError):
        services.koppeling_add(tafel=k.tafel_a, haal_id=other_breng.pk, breng_id=haal.pk)
    services.koppeling_add(tafel=k.tafel_a, haal_id=haal.pk, breng_id=other_breng.pk)
    with pytest.raises(ValidationError):
        services.koppeling_add(tafel=k.tafel_a, haal_id=haal.pk, breng_id=other_breng.pk)
    assert Koppeling.objects.count() == 1


def test_a_kaart_holds_a_limited_number_of_items(k, settings):
    settings.HB_MAX_ITEMS_PER_KAART = 2
    for tekst in "ab":
        services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="haal", tekst=tekst)
    with pytest.raises(ValidationError, match="full"):
        services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="c")
    assert Bijdrage.objects.count() == 2


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


def test_a_missing_partij_can_be_added_from_the_kaart(k, anna):
    partij = services.kaart_partij_add_missing(
        tafel=k.tafel_a, name="Openbaar Ministerie", actor=anna
    )
    assert partij.status == "ontbreekt"
    with pytest.raises(ValidationError):
        services.kaart_partij_add_missing(tafel=k.tafel_a, name="openbaar ministerie", actor=anna)


def test_perspectief_is_private_until_revealed(k, anna):
    from sessions import selectors
    from sessions.access import Access

    services.perspectief_set(
        tafel=k.tafel_a, partij=k.politie, tekst="Eigen blik", urgentie=4, actor=anna
    )
    bram = k.tafel_a.deelnemers.get(name="Bram")
    for_bram = selectors.kaart_for(
        k.tafel_a.pk, Access(can_view=True, role="deelnemer", deelnemer=bram)
    )
    politie = next(b for b in for_bram.blocks if b.partij == k.politie)
    assert politie.perspectief is None and politie.perspectief_hidden
    services.perspectieven_reveal(tafel=k.tafel_a)
    for_bram = selectors.kaart_for(
        k.tafel_a.pk, Access(can_view=True, role="deelnemer", deelnemer=bram)
    )
    politie = next(b for b in for_bram.blocks if b.partij == k.politie)
    assert politie.perspectief.tekst == "Eigen blik"


# Undo ---------------------------------------------------------------------------------------


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


def test_a_partij_of_another_opgave_is_refused(k):
    stranger = factories.PartijFactory()
    with pytest.raises(ValidationError):
        services.bijdrage_add(tafel=k.tafel_a, partij=stranger, soort="haal", tekst="x")


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
