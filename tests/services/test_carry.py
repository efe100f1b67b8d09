"""A new sessie started from a kaart of an earlier one (services.carry)."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from sessions import access, selectors, services
from sessions.kinds import Change
from sessions.models import (
    Bijdrage,
    KaartEvent,
    Koppeling,
    Perspectief,
    Sessie,
    VervolgstapUpdate,
)
from tests import factories


@pytest.fixture
def written(k, anna, bram):
    """Tafel A of the first sessie, written on: every kind of item."""
    tafel = k.tafel_a
    services.perspectief_set(
        tafel=tafel, partij=k.politie, tekst="Ondermijning raakt ons", urgentie=4, actor=anna
    )
    services.perspectieven_reveal(tafel=tafel, actor=anna)
    haal = services.bijdrage_add(
        tafel=tafel, partij=k.politie, soort="haal", tekst="Zicht op vastgoed", actor=anna
    )
    breng = services.bijdrage_add(
        tafel=tafel,
        partij=k.gemeente,
        soort="breng",
        tekst="Vergunningdata",
        gewicht=3,
        breng_soort="kennis_data",
        toezegging="toegezegd",
        actor=bram,
    )
    secret = services.bijdrage_add(
        tafel=tafel,
        partij=k.politie,
        soort="haal",
        tekst="Lopend onderzoek",
        vertrouwelijk=True,
        actor=anna,
    )
    services.koppeling_add(tafel=tafel, haal_id=haal.pk, breng_id=breng.pk, actor=anna)
    open_stap = services.vervolgstap_add(
        tafel=tafel, title="Werksessie data", eigenaar=k.gemeente, partijen=[k.politie]
    )
    done = services.vervolgstap_add(tafel=tafel, title="Kennismaking", eigenaar=k.politie)
    services.vervolgstap_follow_up(
        opgave_id=k.sessie.opgave_id, vervolgstap_id=open_stap.pk, status="bezig", tekst="Gepland"
    )
    services.vervolgstap_follow_up(
        opgave_id=k.sessie.opgave_id, vervolgstap_id=done.pk, status="klaar"
    )
    return {"haal": haal, "breng": breng, "secret": secret, "open": open_stap, "done": done}


@pytest.fixture
def next_sessie(k):
    return services.sessie_create(
        opgave=k.sessie.opgave, title="Tweede bijeenkomst", state=Sessie.State.OPEN, tafels=2
    )


def _state(tafel) -> dict:
    """Everything of a kaart, to compare before and after."""
    return {
        "perspectieven": list(tafel.perspectieven.values().order_by("id")),
        "bijdragen": list(tafel.bijdragen.values().order_by("id")),
        "koppelingen": list(tafel.koppelingen.values().order_by("id")),
        "vervolgstappen": list(tafel.vervolgstappen.values().order_by("id")),
        "updates": list(
            VervolgstapUpdate.objects.filter(vervolgstap__tafel=tafel).values().order_by("id")
        ),
        "events": list(tafel.events.values().order_by("seq")),
    }


def test_every_kind_of_item_is_carried_onto_each_tafel_with_its_sessie(k, written, next_sessie):
    before = _state(k.tafel_a)
    targets = services.kaart_carry(sessie=next_sessie, bron=k.tafel_a)

    assert [t.nummer for t in targets] == [1, 2]
    assert _state(k.tafel_a) == before, "the earlier kaart is not changed"
    for tafel in targets:
        perspectief = tafel.perspectieven.get()
        assert (perspectief.partij, perspectief.tekst, perspectief.urgentie) == (
            k.politie,
            "Ondermijning raakt ons",
            4,
        )
        assert perspectief.revealed and perspectief.herkomst == k.sessie
        bijdragen = {b.tekst: b for b in tafel.bijdragen.all()}
        assert set(bijdragen) == {"Zicht op vastgoed", "Vergunningdata", "Lopend onderzoek"}
        breng = bijdragen["Vergunningdata"]
        assert (breng.gewicht, breng.breng_soort, breng.toezegging) == (
            3,
            "kennis_data",
            "toegezegd",
        )
        assert bijdragen["Lopend onderzoek"].vertrouwelijk
        assert {b.herkomst_id for b in bijdragen.values()} == {k.sessie.pk}
        koppeling = tafel.koppelingen.get()
        assert (koppeling.haal, koppeling.breng) == (
            bijdragen["Zicht op vastgoed"],
            breng,
        ), "a koppeling links the carried copies, not the earlier items"
        assert koppeling.herkomst == k.sessie
        stap = tafel.vervolgstappen.get()
        assert stap.title == "Werksessie data", "only the vervolgstappen still underway"
        assert (stap.status, stap.eigenaar, list(stap.partijen.all())) == (
            "bezig",
            k.gemeente,
            [k.politie],
        )
        assert stap.voorganger == written["open"] and stap.herkomst == k.sessie
        event = tafel.events.get()
        assert event.kind == Change.KAART_CARRIED and event.data["from"] == k.sessie.pk


def test_carried_items_are_edited_like_any_other(k, written, next_sessie):
    tafel = services.kaart_carry(sessie=next_sessie, bron=k.tafel_a)[0]
    copy = tafel.bijdragen.get(tekst="Zicht op vastgoed")
    services.bijdrage_edit(
        tafel=tafel, bijdrage_id=copy.pk, expected_version=1, tekst="Zicht op panden", gewicht=2
    )
    services.bijdrage_delete(tafel=tafel, bijdrage_id=copy.pk, expected_version=2)
    assert not Koppeling.objects.filter(tafel=tafel).exists()
    assert Bijdrage.objects.get(pk=written["haal"].pk).tekst == "Zicht op vastgoed"
    assert Koppeling.objects.filter(tafel=k.tafel_a).count() == 1


def test_a_confidential_item_carried_is_seen_by_the_facilitators_alone(k, written, next_sessie):
    tafel = services.kaart_carry(sessie=next_sessie, bron=k.tafel_a)[0]
    anna_again = factories.DeelnemerFactory(
        sessie=next_sessie, tafel=tafel, partij=k.politie, name="Anna"
    )
    participant = access.Access(
        can_view=True, can_edit=True, role="deelnemer", deelnemer=anna_again
    )
    facilitator = access.Access(can_view=True, can_edit=True, role="facilitator")
    seen = {b.tekst for b in selectors.kaart_for(tafel.pk, participant).halen}
    assert seen == {"Zicht op vastgoed"}
    seen = {b.tekst for b in selectors.kaart_for(tafel.pk, facilitator).halen}
    assert seen == {"Zicht op vastgoed", "Lopend onderzoek"}


def test_onto_the_plenary_kaart_alone(k, written, next_sessie):
    (plenair,) = services.kaart_carry(sessie=next_sessie, bron=k.tafel_a, onto="plenair")
    assert plenair.plenair and plenair.sessie == next_sessie
    assert plenair.bijdragen.count() == 3
    assert not Bijdrage.objects.filter(tafel__sessie=next_sessie, tafel__plenair=False).exists()


def test_a_kaart_of_another_opgave_or_the_same_sessie_is_refused(k, written, next_sessie):
    other = factories.TafelFactory(nummer=1)
    with pytest.raises(ValidationError):
        services.kaart_carry(sessie=next_sessie, bron=other)
    with pytest.raises(ValidationError):
        services.kaart_carry(sessie=k.sessie, bron=k.tafel_a)
    assert not Bijdrage.objects.filter(tafel__sessie=next_sessie).exists()


@override_settings(HB_MAX_ITEMS_PER_KAART=6)
def test_a_carry_that_would_overfill_a_kaart_writes_nothing(k, written, next_sessie):
    tafel = next_sessie.tafels.get(nummer=2)
    for n in range(2):
        services.bijdrage_add(tafel=tafel, partij=k.politie, soort="haal", tekst=f"Al hier {n}")
    with pytest.raises(ValidationError):
        services.kaart_carry(sessie=next_sessie, bron=k.tafel_a)
    assert not Bijdrage.objects.filter(tafel__sessie=next_sessie, herkomst__isnull=False).exists()
    assert not Perspectief.objects.filter(tafel__sessie=next_sessie).exists()
    assert not KaartEvent.objects.filter(kind=Change.KAART_CARRIED).exists()


def test_carried_after_what_a_kaart_holds_already(k, written, next_sessie):
    tafel = next_sessie.tafels.get(nummer=1)
    services.bijdrage_add(tafel=tafel, partij=k.politie, soort="haal", tekst="Eerst hier")
    services.perspectief_set(tafel=tafel, partij=k.politie, tekst="Nieuw perspectief", urgentie=2)
    services.kaart_carry(sessie=next_sessie, bron=k.tafel_a)
    halen = list(tafel.bijdragen.filter(partij=k.politie).order_by("position", "id"))
    assert [b.tekst for b in halen] == ["Eerst hier", "Zicht op vastgoed", "Lopend onderzoek"]
    assert tafel.perspectieven.get().tekst == "Nieuw perspectief"


def test_the_sources_are_the_written_kaarten_of_other_sessies(k, written, next_sessie):
    opgave = k.sessie.opgave_id
    assert services.carry_sources(opgave, besides=next_sessie) == [k.tafel_a]
    assert services.carry_sources(opgave, besides=k.sessie) == []
    services.kaart_carry(sessie=next_sessie, bron=k.tafel_a, onto="plenair")
    plenair = next_sessie.tafels.get(plenair=True)
    assert services.carry_sources(opgave) == [plenair, k.tafel_a], "newest sessie first"


def test_a_carried_vervolgstap_shows_the_follow_up_it_carries_on(k, written, next_sessie):
    tafel = services.kaart_carry(sessie=next_sessie, bron=k.tafel_a)[0]
    facilitator = access.Access(can_view=True, can_edit=True, role="facilitator")
    (stap,) = selectors.kaart_for(tafel.pk, facilitator).vervolgstappen
    assert stap.latest_update.tekst == "Gepland", "the earlier sessie's"
    services.vervolgstap_follow_up(
        opgave_id=k.sessie.opgave_id, vervolgstap_id=stap.pk, status="bezig", tekst="Verder"
    )
    (stap,) = selectors.kaart_for(tafel.pk, facilitator).vervolgstappen
    assert stap.latest_update.tekst == "Verder"
