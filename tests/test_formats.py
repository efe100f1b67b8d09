"""Dates and numbers in the chosen language, and a participant switching it without an account.

Django's own formats per language (DATE_FORMAT, DATETIME_FORMAT, the decimal separator): in
Dutch "24 november 2026" and "4,5", in English "Nov. 24, 2026" and "4.5".
"""

from __future__ import annotations

import datetime
import re
import zoneinfo

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from sessions import services
from sessions.models import OpgaveVersie

DATUM = datetime.date(2026, 11, 24)
CHANGED_AT = datetime.datetime(2026, 11, 24, 14, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam"))
VERVOLGSTAP = "Schouw op het terrein"
EXPECTED = {
    "nl": {
        "datum": "24 november 2026",
        "changed": "24 november 2026 14:30",
        "median": "mediaan 4,5",
        "step": "Stap 1 van 3",
    },
    "en": {
        "datum": "Nov. 24, 2026",
        "changed": "Nov. 24, 2026, 2:30 p.m.",
        "median": "median 4.5",
        "step": "Step 1 of 3",
    },
}


@pytest.fixture
def kaart(opgave, facilitator):
    """An open sessie whose one tafel has two urgencies (median 4.5), a vervolgstap with a date,
    and a new wording of the opgave made in it."""
    sessie = services.sessie_create(opgave=opgave, title="Eerste ronde", state="open", tafels=1)
    tafel = sessie.tafels.get()
    gemeente = services.partij_add(opgave=opgave, name="Gemeente")
    politie = services.partij_add(opgave=opgave, name="Politie")
    services.perspectief_set(tafel=tafel, partij=gemeente, tekst="Zeer urgent.", urgentie=5)
    services.perspectief_set(tafel=tafel, partij=politie, tekst="Urgent.", urgentie=4)
    services.perspectieven_reveal(tafel=tafel)
    services.vervolgstap_add(
        tafel=tafel, title=VERVOLGSTAP, eigenaar=gemeente, partijen=[politie], datum=DATUM
    )
    services.kaart_opgave_text_set(
        tafel=tafel, veld="ambitie", tekst="Een veilig terrein.", expected_version=0
    )
    OpgaveVersie.objects.filter(opgave=opgave, sessie=sessie).update(created_at=CHANGED_AT)
    return tafel


def text_of(response) -> str:
    assert response.status_code == 200
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_summary_shows_dates_and_numbers_in_the_language(client, kaart, facilitator, language):
    client.force_login(facilitator)
    expected = EXPECTED[language]
    url = reverse("insight:sessie", args=[kaart.sessie_id])
    text = text_of(client.get(url, HTTP_ACCEPT_LANGUAGE=language))

    # owner: Gemeente · with Politie · <date>
    assert re.search(rf"{VERVOLGSTAP} [^·]+ · [^·]+ · {re.escape(expected['datum'])}", text), text
    assert expected["changed"] in text  # the time of the new wording, in the history
    assert expected["median"] in text
    other = EXPECTED["en" if language == "nl" else "nl"]
    assert other["datum"] not in text and other["median"] not in text


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_kaart_shows_the_vervolgstap_date_in_the_language(client, kaart, facilitator, language):
    client.force_login(facilitator)
    text = text_of(client.get(kaart.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language))
    # The item's follow-up control follows its owner, partijen and date.
    follow = "Status bijwerken" if language == "nl" else "Update the status"
    item = re.search(rf"{VERVOLGSTAP} (.*?)(?= {follow})", text)
    assert item and item[1].endswith(EXPECTED[language]["datum"]), item and item[1]


def test_a_participant_without_account_switches_the_kaart_to_english_and_back(client, kaart):
    client.get(kaart.sessie.get_join_path())
    politie = kaart.sessie.opgave.partijen.get(name="Politie")
    client.post(
        reverse("sessions:sessie_join", args=[kaart.sessie_id]),
        {"name": "Anna", "partij": politie.pk},
    )
    page = kaart.get_absolute_url()
    assert EXPECTED["nl"]["step"] in text_of(client.get(page))

    for language in ("en", "nl"):
        response = client.post(reverse("set_language"), {"language": language, "next": page})
        assert response.status_code == 302 and response["Location"] == page
        html = client.get(page)
        assert f'<html lang="{language}">' in html.content.decode()
        assert EXPECTED[language]["step"] in text_of(html)
        assert EXPECTED[language]["datum"] in text_of(html)
