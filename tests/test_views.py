"""The HTTP edge: pages answer who may see them, and the join link becomes a session."""

import datetime
import re

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from sessions import access, services
from sessions.models import Bijdrage, Deelnemer, Sessie
from tests import factories


@pytest.fixture
def partij(opgave):
    return factories.PartijFactory(opgave=opgave, name="Politie")


def test_home_page_explains_and_offers_login(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"halen/brengen" in response.content.lower()
    assert reverse("login").encode() in response.content


def test_pages_carry_a_strict_content_security_policy(client, db):
    csp = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp


def test_dashboard_needs_login(client, db):
    response = client.get(reverse("sessions:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_facilitator_logs_in_and_sees_only_their_opgaven(client, facilitator, opgave):
    other = factories.OpgaveFactory(title="Andermans opgave")
    response = client.post(
        reverse("login"), {"username": facilitator.username, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    page = client.get(reverse("sessions:dashboard"))
    assert opgave.title in page.content.decode()
    assert other.title not in page.content.decode()


def test_wrong_password_shows_an_error_and_no_session(client, facilitator):
    response = client.post(reverse("login"), {"username": facilitator.username, "password": "x"})
    assert response.status_code == 200
    assert b"form-errors" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("who", "status"), [("facilitator", 200), ("coordinator", 200), ("outsider", 404)]
)
def test_opgave_page_is_for_its_team(client, request, opgave, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(opgave.get_absolute_url()).status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("facilitator", 200), ("coordinator", 200), ("outsider", 404)]
)
def test_sessie_page_is_for_its_team(client, request, sessie, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(sessie.get_absolute_url()).status_code == status


def test_only_the_facilitator_sees_the_join_link(client, sessie, facilitator, coordinator):
    client.force_login(facilitator)
    assert sessie.join_token in client.get(sessie.get_absolute_url()).content.decode()
    client.force_login(coordinator)
    assert sessie.join_token not in client.get(sessie.get_absolute_url()).content.decode()


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


def test_language_switch_without_account(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert client.get("/")["Content-Language"] == "en"
    client.post(reverse("set_language"), {"language": "nl", "next": "/"})
    assert client.get("/")["Content-Language"] == "nl"


def test_a_form_without_csrf_token_gets_a_clear_page_and_changes_nothing(db, facilitator, sessie):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(facilitator)
    response = client.post(
        reverse("sessions:sessie_control", args=[sessie.pk]),
        {"op": "add_tafel"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 403
    assert "Please try again" in response.content.decode()
    assert not sessie.tafels.exists()


def test_a_page_only_facilitators_may_use_is_a_clear_403_in_the_language(client, coordinator):
    client.force_login(coordinator)
    for language, reason, heading in [
        ("en", "Only facilitators create opgaven.", "No access"),
        ("nl", "Alleen procesbegeleiders maken opgaven aan.", "Geen toegang"),
    ]:
        response = client.get(reverse("sessions:opgave_create"), HTTP_ACCEPT_LANGUAGE=language)
        html = response.content.decode()
        assert response.status_code == 403
        assert f'<html lang="{language}">' in html
        assert f"<h1>{heading}</h1>" in html and reason in html


def test_an_unknown_page_is_a_clear_404(client, db, settings):
    settings.DEBUG = False
    response = client.get("/bestaat-niet/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "does not exist" in response.content.decode()


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


# The control room (sessie_control) -----------------------------------------------------------


def control(client, sessie, **data):
    return client.post(
        reverse("sessions:sessie_control", args=[sessie.pk]), data, HTTP_ACCEPT_LANGUAGE="en"
    )


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "https:evil.example",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
    ],
)
def test_a_control_never_sends_the_facilitator_to_another_site(client, sessie, facilitator, target):
    client.force_login(facilitator)
    response = control(client, sessie, op="add_tafel", next=target)
    assert response.status_code == 302
    assert response["Location"] == sessie.get_absolute_url()
    assert sessie.tafels.count() == 1  # the control itself was carried out


def test_a_control_goes_back_to_the_page_it_came_from_on_this_site(client, sessie, facilitator):
    client.force_login(facilitator)
    plenair = reverse("sessions:plenair", args=[sessie.pk])
    assert control(client, sessie, op="add_tafel", next=plenair)["Location"] == plenair


@pytest.fixture
def room(sessie, partij):
    """A sessie with a tafel, a participant at it and a bijdrage on its kaart."""
    tafel = factories.TafelFactory(sessie=sessie, nummer=1)
    deelnemer = factories.DeelnemerFactory(tafel=tafel, partij=partij)
    bijdrage = factories.BijdrageFactory(tafel=tafel, partij=partij)
    return {"tafel": tafel.pk, "deelnemer": deelnemer.pk, "bijdrage": bijdrage.pk}


def room_state(sessie):
    """Everything the control room's controls can change."""
    sessie = Sessie.objects.get(pk=sessie.pk)
    return (
        sessie.stap,
        sessie.timer_seconds,
        sessie.timer_ends_at,
        sessie.join_token,
        sessie.join_expires_at,
        sessie.link_generation,
        sorted(sessie.tafels.values_list("pk", "nummer", "plenair")),
        sorted(sessie.deelnemers.values_list("pk", "tafel_id", "revoked")),
        Bijdrage.objects.filter(tafel__sessie=sessie).count(),
    )


def error_messages(response) -> list[str]:
    soup = BeautifulSoup(response.content, "html.parser")
    return [li.get_text(strip=True) for li in soup.select(".messages li.error")]


NUMERIC_CONTROLS = {
    # op and field: the other fields, with valid values
    ("new_link", "hours"): lambda room: {},
    ("timer_reset", "minutes"): lambda room: {},
    ("step", "value"): lambda room: {},
    ("move", "deelnemer"): lambda room: {"value": room["tafel"]},
    ("move", "value"): lambda room: {"deelnemer": room["deelnemer"]},
    ("remove_tafel", "value"): lambda room: {},
    ("revoke_deelnemer", "value"): lambda room: {},
    ("carry", "value"): lambda room: {"kind": "bijdrage"},
}
NOT_A_GOOD_NUMBER = ["999999999999", "9" * 30, "9" * 5000, "-1", "0", "abc", "1.5", "1e3"]


@pytest.mark.parametrize("bad", NOT_A_GOOD_NUMBER)
@pytest.mark.parametrize(("op", "field"), NUMERIC_CONTROLS)
def test_a_control_with_a_number_out_of_range_says_so_and_changes_nothing(
    client, sessie, facilitator, room, op, field, bad
):
    client.force_login(facilitator)
    before = room_state(sessie)
    data = {"op": op, field: bad, **NUMERIC_CONTROLS[op, field](room)}
    response = client.post(
        reverse("sessions:sessie_control", args=[sessie.pk]),
        data,
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain == [(sessie.get_absolute_url(), 302)]
    assert len(error_messages(response)) == 1
    assert room_state(sessie) == before


def test_a_new_link_for_too_many_hours_says_how_long_a_link_may_be_valid(
    client, sessie, facilitator
):
    client.force_login(facilitator)
    response = client.post(
        reverse("sessions:sessie_control", args=[sessie.pk]),
        {"op": "new_link", "hours": "999999999999"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert error_messages(response) == ["A new link is valid for 1 to 2160 hours."]


def test_a_timer_of_too_many_minutes_says_how_long_it_may_run(client, sessie, facilitator):
    client.force_login(facilitator)
    response = client.post(
        reverse("sessions:sessie_control", args=[sessie.pk]),
        {"op": "timer_reset", "minutes": "241"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert error_messages(response) == ["The timer runs between 1 and 240 minutes."]


def test_a_new_link_for_a_week_and_a_timer_of_20_minutes_are_set(client, sessie, facilitator):
    client.force_login(facilitator)
    token = sessie.join_token
    control(client, sessie, op="new_link", hours="168")
    control(client, sessie, op="timer_reset", minutes="20")
    sessie.refresh_from_db()
    assert sessie.join_token != token
    week = timezone.now() + datetime.timedelta(hours=168)
    assert abs(sessie.join_expires_at - week) < datetime.timedelta(minutes=1)
    assert sessie.timer_seconds == 20 * 60


@pytest.mark.parametrize("starts_at", ["0001-01-01T00:00", "9999-12-31T23:59", "1899-05-01T10:00"])
def test_a_sessie_starting_in_an_impossible_year_is_a_form_error(
    client, opgave, sessie, facilitator, starts_at
):
    client.force_login(facilitator)
    data = {"title": "Tweede ronde", "starts_at": starts_at, "timer_minutes": "15", "tafels": "1"}
    for url in (
        reverse("sessions:sessie_add", args=[opgave.pk]),
        reverse("sessions:sessie_edit", args=[opgave.pk, sessie.pk]),
    ):
        response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert "Choose a date from 2000 to 2100." in response.content.decode()
    assert not opgave.sessies.filter(title="Tweede ronde").exists()
