"""Running a sessie: steps, timer, tafels, links, plenary kaart, lock and close."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sessions import access, services
from sessions.models import Deelnemer, Sessie, Tafel
from tests import factories


@pytest.fixture
def partijen(opgave):
    return [factories.PartijFactory(opgave=opgave, name=n) for n in ("Gemeente", "Politie", "OM")]


def join(sessie, partijen, n):
    return [
        services.deelnemer_join(sessie=sessie, name=f"P{i}", partij=partijen[i % len(partijen)])
        for i in range(n)
    ]


def test_forming_tafels_seats_everyone_in_mixed_groups(sessie, partijen):
    services.tafel_add(sessie=sessie)
    join(sessie, partijen, 11)
    tafels = services.tafels_form(sessie=sessie)
    assert sorted(t.deelnemers.count() for t in tafels) == [3, 4, 4]
    for tafel in tafels:
        assert tafel.deelnemers.values("partij").distinct().count() >= 2
    assert not Deelnemer.objects.filter(sessie=sessie, tafel__isnull=True).exists()


def test_forming_again_keeps_existing_kaarten(sessie, partijen):
    services.tafel_add(sessie=sessie)
    join(sessie, partijen, 6)
    first = services.tafels_form(sessie=sessie)
    services.bijdrage_add(tafel=first[0], partij=partijen[0], soort="haal", tekst="bewaard")
    again = services.tafels_form(sessie=sessie)
    assert [t.pk for t in again] == [t.pk for t in first]
    assert first[0].bijdragen.get().tekst == "bewaard"


def test_moving_a_participant_and_removing_an_empty_tafel(sessie, partijen):
    a = services.tafel_add(sessie=sessie)
    b = services.tafel_add(sessie=sessie)
    (anna,) = join(sessie, partijen, 1)
    services.deelnemer_move(deelnemer=anna, tafel=b)
    assert Deelnemer.objects.get(pk=anna.pk).tafel == b
    with pytest.raises(ValidationError):
        services.tafel_remove(tafel=b)
    services.tafel_remove(tafel=a)
    assert not Tafel.objects.filter(pk=a.pk).exists()
    other = factories.TafelFactory()
    with pytest.raises(ValidationError):
        services.deelnemer_move(deelnemer=anna, tafel=other)


def test_the_timer_starts_pauses_resumes_and_resets(sessie):
    services.timer_reset(sessie=sessie, seconds=600)
    assert (sessie.timer_running, sessie.timer_left) == (False, 600)
    services.timer_start(sessie=sessie)
    assert sessie.timer_running and 598 <= sessie.timer_left <= 600
    sessie.timer_ends_at = timezone.now() + datetime.timedelta(seconds=200)  # time passes
    services.timer_pause(sessie=sessie)
    assert not sessie.timer_running and 199 <= sessie.timer_left <= 200
    services.timer_start(sessie=sessie)
    assert sessie.timer_running and 198 <= sessie.timer_left <= 200
    services.timer_reset(sessie=sessie)
    assert (sessie.timer_running, sessie.timer_left) == (False, 600)
    with pytest.raises(ValidationError):
        services.timer_reset(sessie=sessie, seconds=1)


def test_a_new_step_starts_with_a_fresh_timer(sessie):
    services.timer_start(sessie=sessie)
    services.sessie_set_step(sessie=sessie, stap=2)
    sessie.refresh_from_db()
    assert sessie.stap == 2 and not sessie.timer_running
    with pytest.raises(ValidationError):
        services.sessie_set_step(sessie=sessie, stap=4)


def test_an_expired_link_refuses_new_participants_but_keeps_who_joined(sessie, partijen):
    tafel = services.tafel_add(sessie=sessie)
    (anna,) = join(sessie, partijen, 1)
    token = sessie.join_token
    sessie.join_expires_at = timezone.now() - datetime.timedelta(minutes=1)
    sessie.save()
    assert access.join_link_status(sessie, token) == access.LinkStatus.EXPIRED
    session = {}
    access.remember_deelnemer(session, anna)
    tafel.refresh_from_db()
    assert access.tafel_access(None, session, tafel).can_edit


def test_a_new_link_with_an_expiry(sessie):
    until = timezone.now() + datetime.timedelta(hours=2)
    old = sessie.join_token
    services.sessie_regenerate_link(sessie=sessie, expires_at=until)
    assert sessie.join_token != old and sessie.join_expires_at == until
    assert access.join_link_status(sessie, sessie.join_token) == access.LinkStatus.VALID


def test_duplicating_a_sessie_copies_its_shape_not_its_people(sessie, partijen):
    services.tafel_add(sessie=sessie)
    services.tafel_add(sessie=sessie)
    join(sessie, partijen, 2)
    copy = services.sessie_duplicate(sessie=sessie)
    assert copy.opgave == sessie.opgave and copy.state == Sessie.State.GEPLAND
    assert copy.tafels.count() == 2 and not copy.deelnemers.exists()
    assert copy.join_token != sessie.join_token


def test_items_are_carried_to_the_plenary_kaart_once(sessie, partijen):
    tafel = services.tafel_add(sessie=sessie)
    haal = services.bijdrage_add(tafel=tafel, partij=partijen[0], soort="haal", tekst="Samen")
    stap = services.vervolgstap_add(tafel=tafel, title="Controles", eigenaar=partijen[1])
    services.plenair_carry(sessie=sessie, kind="bijdrage", item_id=haal.pk)
    services.plenair_carry(sessie=sessie, kind="bijdrage", item_id=haal.pk)
    services.plenair_carry(sessie=sessie, kind="vervolgstap", item_id=stap.pk)
    plenair = sessie.tafels.get(plenair=True)
    assert list(plenair.bijdragen.values_list("tekst", flat=True)) == ["Samen"]
    assert list(plenair.vervolgstappen.values_list("title", flat=True)) == ["Controles"]
    elsewhere = factories.BijdrageFactory()
    with pytest.raises(ValidationError):
        services.plenair_carry(sessie=sessie, kind="bijdrage", item_id=elsewhere.pk)


def test_revealing_all_perspectieven_of_a_sessie(sessie, partijen):
    a, b = services.tafel_add(sessie=sessie), services.tafel_add(sessie=sessie)
    services.perspectief_set(tafel=a, partij=partijen[0], tekst="x", urgentie=3)
    services.perspectief_set(tafel=b, partij=partijen[1], tekst="y", urgentie=2)
    assert services.perspectieven_reveal_all(sessie=sessie) == 2
    assert services.perspectieven_reveal_all(sessie=sessie) == 0


def test_lock_and_close(sessie, partijen, facilitator):
    tafel = services.tafel_add(sessie=sessie)
    (anna,) = join(sessie, partijen, 1)
    session = {}
    access.remember_deelnemer(session, anna)
    services.sessie_set_locked(sessie=sessie, locked=True)
    tafel.refresh_from_db()
    assert not access.tafel_access(None, session, tafel).can_edit
    assert access.tafel_access(facilitator, {}, tafel).can_edit
    services.sessie_set_state(sessie=sessie, state="gesloten")
    tafel.refresh_from_db()
    assert not access.tafel_access(facilitator, {}, tafel).can_edit
    assert access.tafel_access(None, session, tafel).can_view
