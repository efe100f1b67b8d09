"""The constraints of sessies, tafels and deelnemers (sessions/models/sessies.py)."""

import pytest

from sessions.models import (
    Sessie,
    Tafel,
)
from tests import factories
from tests.models.constraints import refused


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
