"""The demo opgave of the practice story, created once however often seed_demo runs."""

import io
import re

import pytest
from django.core.management import call_command

from sessions.models import Bijdrage, Koppeling, Opgave, Partij, Sessie, Vervolgstap


def seed(**kwargs):
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **kwargs)
    return out.getvalue().splitlines()


@pytest.mark.django_db
def test_seed_prints_login_and_join_link_and_is_idempotent(client):
    first = seed(base_url="http://testserver")
    assert len(first) == 2
    login = re.fullmatch(r"Facilitator login: (\S+) / (\S+)", first[0])
    link = re.fullmatch(r"Join link: (http://testserver/\S+)", first[1])
    assert login and link
    counts = [m.objects.count() for m in (Opgave, Partij, Sessie, Bijdrage, Koppeling, Vervolgstap)]
    assert seed(base_url="http://testserver") == first
    assert counts == [
        m.objects.count() for m in (Opgave, Partij, Sessie, Bijdrage, Koppeling, Vervolgstap)
    ]

    assert client.login(username=login[1], password=login[2])
    client.logout()
    join = client.get(link[1].removeprefix("http://testserver"), follow=True)
    assert join.status_code == 200
    assert b'name="name"' in join.content


@pytest.mark.django_db
def test_demo_tells_the_practice_story():
    seed()
    opgave = Opgave.objects.get()
    assert opgave.title == (
        "Bedrijventerreinen: aantrekkelijk voor het goede, onaantrekkelijk voor het ondermijnende"
    )
    at_table = set(opgave.partijen.filter(status="aan_tafel").values_list("name", flat=True))
    assert at_table == {
        "Gemeente",
        "Politie",
        "Omgevingsdienst",
        "Belastingdienst",
        "Expertisecentrum Ondermijning",
    }
    missing = set(opgave.partijen.filter(status="ontbreekt").values_list("name", flat=True))
    assert missing == {"Openbaar Ministerie", "Ondernemers op de bedrijventerreinen"}
    vraag = opgave.versies.filter(veld="verbindende_vraag").last().tekst
    assert vraag.startswith("Wat maakt een bedrijventerrein aantrekkelijk voor het goede")
    assert opgave.versies.filter(veld="formulering").count() == 2
    sessie = opgave.sessies.get()
    assert sessie.state == "open"
    politie_brengt = Bijdrage.objects.filter(partij__name="Politie", soort="breng")
    assert any("opsporing" in b.tekst for b in politie_brengt)
    assert any("Coördinatie" in b.tekst for b in Bijdrage.objects.filter(partij__name="Gemeente"))
