"""The constraints of what is on a kaart (sessions/models/kaart.py)."""

import pytest

from sessions.models import (
    Bijdrage,
    KaartEvent,
    Koppeling,
    Perspectief,
    Vervolgstap,
)
from tests import factories
from tests.models.constraints import refused


def test_perspectief_is_one_per_partij_per_kaart(tafel, partij):
    Perspectief.objects.create(tafel=tafel, partij=partij, tekst="a")
    refused(lambda: Perspectief.objects.create(tafel=tafel, partij=partij, tekst="b"))


@pytest.mark.parametrize("urgentie", [0, 6])
def test_perspectief_urgency_is_1_to_5(tafel, partij, urgentie):
    refused(lambda: Perspectief.objects.create(tafel=tafel, partij=partij, urgentie=urgentie))


def test_perspectief_urgency_may_be_left_open(tafel, partij):
    assert Perspectief.objects.create(tafel=tafel, partij=partij, urgentie=None).pk


@pytest.mark.parametrize("gewicht", [0, 4])
def test_bijdrage_weight_is_1_to_3(tafel, partij, gewicht):
    refused(
        lambda: Bijdrage.objects.create(
            tafel=tafel, partij=partij, soort="haal", tekst="x", gewicht=gewicht
        )
    )


def test_bijdrage_kind_must_be_haal_or_breng(tafel, partij):
    refused(lambda: Bijdrage.objects.create(tafel=tafel, partij=partij, soort="neem", tekst="x"))


def test_bijdrage_text_is_required(tafel, partij):
    refused(lambda: Bijdrage.objects.create(tafel=tafel, partij=partij, soort="haal", tekst=""))


def test_a_haal_has_no_kind_of_contribution_or_commitment(tafel, partij):
    refused(
        lambda: Bijdrage.objects.create(
            tafel=tafel, partij=partij, soort="haal", tekst="x", breng_soort="geld"
        )
    )
    refused(
        lambda: Bijdrage.objects.create(
            tafel=tafel, partij=partij, soort="haal", tekst="x", toezegging="toegezegd"
        )
    )


def test_a_breng_needs_a_known_kind_and_commitment(tafel, partij):
    refused(lambda: Bijdrage.objects.create(tafel=tafel, partij=partij, soort="breng", tekst="x"))
    refused(
        lambda: Bijdrage.objects.create(
            tafel=tafel,
            partij=partij,
            soort="breng",
            tekst="x",
            breng_soort="goud",
            toezegging="toegezegd",
        )
    )
    breng = Bijdrage.objects.create(
        tafel=tafel,
        partij=partij,
        soort="breng",
        tekst="x",
        breng_soort="bevoegdheden",
        toezegging="mogelijk",
    )
    assert breng.is_breng


def test_koppeling_is_unique_and_never_to_itself(tafel, partij, other_partij):
    haal = factories.BijdrageFactory(tafel=tafel, partij=partij, soort="haal")
    breng = factories.BijdrageFactory(
        tafel=tafel, partij=other_partij, soort="breng", breng_soort="geld", toezegging="mogelijk"
    )
    Koppeling.objects.create(tafel=tafel, haal=haal, breng=breng)
    refused(lambda: Koppeling.objects.create(tafel=tafel, haal=haal, breng=breng))
    refused(lambda: Koppeling.objects.create(tafel=tafel, haal=haal, breng=haal))


def test_vervolgstap_needs_a_title(tafel, partij):
    refused(lambda: Vervolgstap.objects.create(tafel=tafel, title="", eigenaar=partij))


def test_kaart_event_sequence_is_unique_per_tafel_and_positive(tafel, sessie):
    KaartEvent.objects.create(tafel=tafel, seq=1, kind="x")
    other = factories.TafelFactory(sessie=sessie)
    KaartEvent.objects.create(tafel=other, seq=1, kind="x")
    refused(lambda: KaartEvent.objects.create(tafel=tafel, seq=1, kind="y"))
    refused(lambda: KaartEvent.objects.create(tafel=tafel, seq=0, kind="y"))


def test_partij_in_use_by_a_vervolgstap_cannot_be_deleted(tafel, partij):
    Vervolgstap.objects.create(tafel=tafel, title="t", eigenaar=partij)
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        partij.delete()
