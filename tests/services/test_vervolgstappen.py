"""The follow-up of a vervolgstap as a change of the kaart it stands on."""

import pytest
from django.core.exceptions import ValidationError

from sessions import services
from sessions.kinds import Change
from sessions.models import KaartEvent


@pytest.fixture
def stap(k):
    stap = services.vervolgstap_add(tafel=k.tafel_a, title="Werksessie data", eigenaar=k.gemeente)
    services.vervolgstap_follow_up(
        opgave_id=k.sessie.opgave_id, vervolgstap_id=stap.pk, status="bezig", tekst="Gepland"
    )
    return stap


def test_a_follow_up_on_the_kaart_is_a_change_of_it_and_can_be_undone(k, stap, bram):
    before = KaartEvent.objects.filter(tafel=k.tafel_a).count()
    update = services.vervolgstap_follow_up(
        opgave_id=k.sessie.opgave_id,
        vervolgstap_id=stap.pk,
        status="klaar",
        tekst="Afgerond",
        tafel=k.tafel_a,
        actor=bram,
    )
    event = KaartEvent.objects.filter(tafel=k.tafel_a).order_by("-seq").first()
    assert KaartEvent.objects.filter(tafel=k.tafel_a).count() == before + 1
    assert event.kind == Change.VERVOLGSTAP_FOLLOWED
    assert event.data == {"id": stap.pk, "update": update.pk, "before": "bezig"}
    assert update.author_name == "Bram"

    services.undo_last(tafel=k.tafel_a, actor=bram)
    stap.refresh_from_db()
    assert stap.status == "bezig"
    assert list(stap.updates.values_list("tekst", flat=True)) == ["Gepland"]


def test_from_a_kaart_only_a_vervolgstap_on_it_is_followed_up(k, stap, bram):
    with pytest.raises(ValidationError):
        services.vervolgstap_follow_up(
            opgave_id=k.sessie.opgave_id,
            vervolgstap_id=stap.pk,
            status="klaar",
            tafel=k.tafel_b,
            actor=bram,
        )
    assert stap.updates.count() == 1


def test_a_follow_up_of_a_vervolgstap_deleted_meanwhile_is_refused(k, stap, bram):
    services.vervolgstap_delete(tafel=k.tafel_a, vervolgstap_id=stap.pk)
    with pytest.raises(ValidationError) as refused:
        services.vervolgstap_follow_up(
            opgave_id=k.sessie.opgave_id,
            vervolgstap_id=stap.pk,
            status="klaar",
            tafel=k.tafel_a,
            actor=bram,
        )
    assert refused.value.code == "gone"
