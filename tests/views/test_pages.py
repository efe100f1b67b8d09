"""The pages around the work answer who may see them, in the person's language."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

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


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_demo_shows_its_own_404_page_not_the_debug_page(client, db, settings, language):
    # `make run` serves the demo with DEBUG on and HB_TECHNICAL_404=0.
    settings.DEBUG, settings.HB_TECHNICAL_404 = True, False
    response = client.get("/bestaat-niet/", HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 404
    assert f'<html lang="{language}">' in html
    assert ("bestaat niet" if language == "nl" else "does not exist") in html
    assert "URLconf" not in html


def test_a_developer_still_gets_the_debug_404_page(client, db, settings):
    settings.DEBUG, settings.HB_TECHNICAL_404 = True, True
    response = client.get("/bestaat-niet/")
    assert response.status_code == 404
    assert "URLconf" in response.content.decode()


def test_a_404_page_of_a_view_of_its_own_is_kept_in_the_demo(client, db, settings):
    settings.DEBUG, settings.HB_TECHNICAL_404 = True, False
    response = client.get("/j/999999/not-a-token/")
    assert response.status_code == 404
    assert "URLconf" not in response.content.decode()
    assert "This page does not exist" not in response.content.decode()


@pytest.mark.parametrize(
    ("language", "title"),
    [("nl", "Toegankelijkheidsverklaring"), ("en", "Accessibility statement")],
)
def test_every_page_links_to_the_accessibility_statement(client, db, settings, language, title):
    settings.HB_ACCESSIBILITY_STATEMENT_URL = ""
    home = BeautifulSoup(client.get("/", HTTP_ACCEPT_LANGUAGE=language).content, "html.parser")
    link = home.select_one("footer a")
    assert link.get_text(strip=True) == title
    statement = client.get(link["href"], HTTP_ACCEPT_LANGUAGE=language)
    assert statement.status_code == 200
    page = BeautifulSoup(statement.content, "html.parser")
    assert page.h1.get_text(strip=True) == title
    assert "WCAG" in page.get_text()


def test_a_deploying_body_links_to_its_own_statement(client, db, settings):
    settings.HB_ACCESSIBILITY_STATEMENT_URL = (
        "https://www.toegankelijkheidsverklaring.nl/register/1"
    )
    response = client.get(reverse("accessibility"))
    assert response.status_code == 302
    assert response["Location"] == "https://www.toegankelijkheidsverklaring.nl/register/1"
