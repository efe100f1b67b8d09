"""Every database constraint of the domain model refuses what it should, and allows the rest."""

import pytest
from django.db import IntegrityError, transaction

from sessions.models import (
    Bijdrage,
    KaartEvent,
    Koppeling,
    Membership,
    OpgaveVersie,
    Partij,
    Perspectief,
    Sessie,
    Tafel,
    Vervolgstap,
)
from tests import factories


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


@pytest.fixture
def partij(opgave):
    return factories.PartijFactory(opgave=opgave, name="Politie")


@pytest.fixture
def other_partij(opgave):
    return factories.PartijFactory(opgave=opgave, name="Gemeente")


def test_membership_is_unique_per_team_and_user(facilitator, opgave):
    refused(
        lambda: Membership.objects.create(team=opgave.team, user=facilitator, role="coordinator")
    )


def test_membership_role_must_be_known(opgave):
    user = factories.UserFactory()
    refused(lambda: Membership.objects.create(team=opgave.team, user=user, role="admin"))


def test_opgave_versions_are_numbered_once_per_field(opgave):
    OpgaveVersie.objects.create(opgave=opgave, veld="ambitie", nummer=1, tekst="a")
    OpgaveVersie.objects.create(opgave=opgave, veld="formulering", nummer=1, tekst="f")
    refused(lambda: OpgaveVersie.objects.create(opgave=opgave, veld="ambitie", nummer=1))


def test_opgave_version_number_starts_at_one(opgave):
    refused(lambda: OpgaveVersie.objects.create(opgave=opgave, veld="ambitie", nummer=0))


def test_opgave_version_field_must_be_known(opgave):
    refused(lambda: OpgaveVersie.objects.create(opgave=opgave, veld="titel", nummer=1))


def test_partij_name_is_unique_per_opgave_ignoring_case(partij, opgave):
    refused(lambda: Partij.objects.create(opgave=opgave, name="POLITIE"))
    other_opgave = factories.OpgaveFactory()
    assert Partij.objects.create(opgave=other_opgave, name="Politie").pk


@pytest.mark.parametrize(
    ("field", "value"), [("wereld", "overheid"), ("status", "weg"), ("name", "")]
)
def test_partij_refuses_unknown_world_status_and_empty_name(opgave, field, value):
    values = {"opgave": opgave, "name": "Omgevingsdienst", field: value}
    refused(lambda: Partij.objects.create(**values))


@pytest.mark.parametrize("stap", [0, 4])
def test_sessie_step_is_1_to_3(opgave, stap):
    refused(lambda: Sessie.objects.create(opgave=opgave, title="s", stap=stap))


def test_sessie_state_must_be_known(opgave):
    refused(lambda: Sessie.objects.create(opgave=opgave, title="s", state="bezig"))


def test_sessie_join_tokens_are_unique_and_long(sessie, opgave):
    assert len(sessie.join_token) >= 32  # 192 bits, base64url
    refused(lambda: Sessie.objects.create(opgave=opgave, title="s", join_token=sessie.join_token))
    refused(lambda: Sessie.objects.create(opgave=opgave, title="s", join_token="short"))


def test_tafel_number_is_unique_per_sessie_and_positive(tafel, sessie):
    refused(lambda: Tafel.objects.create(sessie=sessie, nummer=tafel.nummer))
    refused(lambda: Tafel.objects.create(sessie=sessie, nummer=0))


def test_deelnemer_needs_a_name(tafel, partij):
    refused(lambda: factories.DeelnemerFactory(tafel=tafel, partij=partij, name=""))


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


def test_the_timer_is_running_or_paused_never_both(sessie):
    from django.utils import timezone

    sessie.timer_ends_at = timezone.now()
    sessie.timer_remaining = 30
    refused(lambda: sessie.save())


@pytest.mark.parametrize("seconds", [5, 5 * 3600])
def test_the_timer_runs_between_10_seconds_and_4_hours(sessie, seconds):
    sessie.timer_seconds = seconds
    refused(lambda: sessie.save())


def test_a_sessie_has_one_plenary_kaart_at_most(sessie):
    Tafel.objects.create(sessie=sessie, nummer=10, plenair=True)
    refused(lambda: Tafel.objects.create(sessie=sessie, nummer=11, plenair=True))
