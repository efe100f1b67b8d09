"""Joining by link: the link becomes a session, the participant is seated at a kaart."""

import datetime
import re

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sessions import access, services
from sessions.models import Deelnemer
from tests import factories


@pytest.fixture
def partij(opgave):
    return factories.PartijFactory(opgave=opgave, name="Politie")


def join(client, sessie, **data):
    client.get(sessie.get_join_path())
    return client.post(reverse("sessions:sessie_join", args=[sessie.pk]), data)


def test_join_link_is_exchanged_for_a_session_and_leaves_the_url(client, sessie):
    response = client.get(sessie.get_join_path())
    assert response.status_code == 302
    assert response["Location"] == reverse("sessions:sessie_join", args=[sessie.pk])
    assert sessie.join_token not in response["Location"]
    form = client.get(response["Location"])
    assert form.status_code == 200
    assert b'name="name"' in form.content
    assert form["Referrer-Policy"] == "same-origin"


def test_joining_seats_the_participant_and_opens_their_kaart(client, sessie, tafel, partij):
    response = join(client, sessie, name="Anna", partij=partij.pk)
    deelnemer = Deelnemer.objects.get(name="Anna")
    assert deelnemer.partij == partij and deelnemer.tafel == tafel
    assert response.status_code == 302
    seat = client.get(response["Location"])
    assert seat.status_code == 302 and seat["Location"] == tafel.get_absolute_url()
    kaart = client.get(tafel.get_absolute_url())
    assert kaart.status_code == 200
    assert sessie.opgave.title in kaart.content.decode()


def test_joining_with_a_new_partij_adds_it_to_the_opgave(client, sessie, tafel):
    join(client, sessie, name="Bram", new_partij="Woningcorporatie")
    assert sessie.opgave.partijen.filter(name="Woningcorporatie").exists()


def test_join_form_without_name_or_partij_explains_and_creates_nothing(client, sessie, tafel):
    response = join(client, sessie, name="", partij="")
    assert response.status_code == 200
    assert b"form-errors" in response.content
    assert not Deelnemer.objects.exists()


def test_join_form_without_the_link_is_refused(client, sessie):
    response = client.get(reverse("sessions:sessie_join", args=[sessie.pk]))
    assert response.status_code == 403


def test_returning_participant_goes_straight_back_to_their_tafel(client, sessie, tafel, partij):
    join(client, sessie, name="Anna", partij=partij.pk)
    response = client.get(sessie.get_join_path())
    follow = client.get(response["Location"])
    assert follow["Location"] == tafel.get_absolute_url()
    assert Deelnemer.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (lambda s: services.sessie_revoke_link(sessie=s), "withdrawn"),
        (
            lambda s: (
                setattr(s, "join_expires_at", timezone.now() - datetime.timedelta(1)) or s.save()
            ),
            "expired",
        ),
        (lambda s: setattr(s, "state", "gesloten") or s.save(), "closed"),
    ],
)
def test_a_revoked_expired_or_closed_link_shows_a_clear_page(
    client, sessie, change, text, settings
):
    settings.LANGUAGE_CODE = "en"
    token = sessie.join_token
    change(sessie)
    response = client.get(
        reverse("sessions:join", args=[sessie.pk, token]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 410
    assert text in response.content.decode()


def test_a_wrong_token_is_refused(client, sessie):
    response = client.get(reverse("sessions:join", args=[sessie.pk, "x" * 32]))
    assert response.status_code == 410
    assert access.SESSION_KEY not in client.session


def test_joining_is_rate_limited_per_address(client, sessie, settings):
    settings.HB_JOIN_RATE = (3, 60)
    for _ in range(3):
        assert client.get(sessie.get_join_path()).status_code == 302
    assert client.get(sessie.get_join_path()).status_code == 429


def test_the_join_form_help_text_is_announced_with_its_field(client, sessie):
    client.get(sessie.get_join_path())
    html = client.get(reverse("sessions:sessie_join", args=[sessie.pk])).content.decode()
    described = re.search(
        r'id="id_name"[^>]*aria-describedby="([^"]+)"|aria-describedby="([^"]+)"[^>]*id="id_name"',
        html,
    )
    assert described
    target = described.group(1) or described.group(2)
    assert f'id="{target}"' in html


def test_kaart_is_refused_to_strangers_and_participants_of_other_tafels(
    client, sessie, tafel, partij, outsider
):
    assert client.get(tafel.get_absolute_url()).status_code == 403
    other_tafel = factories.TafelFactory(sessie=sessie)
    join(client, sessie, name="Anna", partij=partij.pk)
    assert client.get(tafel.get_absolute_url()).status_code == 200
    # A participant who opens another tafel's kaart is sent back to their own seat.
    elsewhere = client.get(other_tafel.get_absolute_url(), follow=True)
    assert elsewhere.redirect_chain[-1][0] == tafel.get_absolute_url()
    client.force_login(outsider)
    assert client.get(other_tafel.get_absolute_url()).status_code == 404


def test_a_participants_pages_offer_no_login(client, sessie, tafel, partij, facilitator):
    """Participants have no account: the join page, the waiting page and their kaart show no
    "Log in"; a team member who opens a kaart keeps their menu."""
    login = f'href="{reverse("login")}"'
    assert login in client.get(reverse("home")).content.decode()
    client.get(sessie.get_join_path())
    join_page = client.get(reverse("sessions:sessie_join", args=[sessie.pk]))
    assert join_page.status_code == 200 and login not in join_page.content.decode()
    tafel.delete()  # no tafel yet: the participant waits
    response = join(client, sessie, name="Anna", partij=partij.pk)
    waiting = client.get(response["Location"])
    assert waiting.status_code == 200 and login not in waiting.content.decode()
    new_tafel = factories.TafelFactory(sessie=sessie)
    Deelnemer.objects.filter(name="Anna").update(tafel=new_tafel)
    kaart = client.get(new_tafel.get_absolute_url())
    assert kaart.status_code == 200 and login not in kaart.content.decode()
    client.force_login(facilitator)
    assert (
        reverse("sessions:dashboard") in client.get(new_tafel.get_absolute_url()).content.decode()
    )


# The sessie's language --------------------------------------------------------------------


def _join_form_language(client, sessie, **headers) -> str:
    response = client.get(sessie.get_join_path(), follow=True, **headers)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser").html["lang"]


@pytest.mark.parametrize("browser", ["en", "nl"])
def test_a_participant_starts_in_the_language_the_facilitator_set(client, db, browser):
    dutch = factories.SessieFactory(language="nl")
    assert _join_form_language(client, dutch, HTTP_ACCEPT_LANGUAGE=browser) == "nl"
    english = factories.SessieFactory(language="en")
    assert _join_form_language(Client(), english, HTTP_ACCEPT_LANGUAGE=browser) == "en"


def test_a_new_sessie_is_dutch_unless_the_facilitator_chooses(db):
    sessie = services.sessie_create(opgave=factories.OpgaveFactory(), title="Ronde 2")
    assert sessie.language == "nl"


def test_who_switched_language_keeps_their_choice_when_joining(client, db):
    sessie = factories.SessieFactory(language="nl")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert _join_form_language(client, sessie, HTTP_ACCEPT_LANGUAGE="nl") == "en"
    # ... and can switch on the kaart's pages as before.
    client.post("/i18n/setlang/", {"language": "nl", "next": "/"})
    assert _join_form_language(client, sessie) == "nl"
