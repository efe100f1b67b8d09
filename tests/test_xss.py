"""User text is escaped everywhere it is shown: pages, pushed fragments, exports."""

import re

import pytest
from django.test import Client

from sessions import fragments, selectors, services
from sessions.access import Access
from sessions.models import Membership
from tests import factories
from tests.kaart_helpers import participant_session

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def hostile(db):
    """An opgave where every text a person can type holds a script."""
    team = factories.TeamFactory(name=f"Team {PAYLOAD}")
    facilitator = factories.MembershipFactory(team=team, role=Membership.Role.FACILITATOR).user
    opgave = services.opgave_create(
        team=team, title=PAYLOAD, formulering=PAYLOAD, ambitie=PAYLOAD, verbindende_vraag=PAYLOAD
    )
    partij = services.partij_add(opgave=opgave, name=PAYLOAD, toelichting=PAYLOAD)
    other = services.partij_add(opgave=opgave, name=f"Ander {PAYLOAD}", status="ontbreekt")
    sessie = services.sessie_create(opgave=opgave, title=PAYLOAD, state="open")
    tafel = sessie.tafels.get()
    deelnemer = services.deelnemer_join(sessie=sessie, name=PAYLOAD, partij=partij)
    actor = services.Actor(deelnemer=deelnemer)
    haal = services.bijdrage_add(
        tafel=tafel, partij=partij, soort="haal", tekst=PAYLOAD, actor=actor
    )
    breng = services.bijdrage_add(
        tafel=tafel, partij=other, soort="breng", tekst=PAYLOAD, actor=actor
    )
    services.koppeling_add(tafel=tafel, haal_id=haal.pk, breng_id=breng.pk, actor=actor)
    services.perspectief_set(tafel=tafel, partij=partij, tekst=PAYLOAD, urgentie=3, actor=actor)
    services.perspectieven_reveal(tafel=tafel)
    services.vervolgstap_add(tafel=tafel, title=PAYLOAD, eigenaar=partij, partijen=[other])
    return {
        "facilitator": facilitator,
        "opgave": opgave,
        "sessie": sessie,
        "tafel": tafel,
        "deelnemer": deelnemer,
    }


def assert_escaped(html: str):
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert" in html  # the text is there, as text


def test_pages_escape_user_text(hostile):
    client = Client()
    client.force_login(hostile["facilitator"])
    urls = [
        "/opgaven/",
        hostile["opgave"].get_absolute_url(),
        hostile["sessie"].get_absolute_url(),
        f"/sessies/{hostile['sessie'].pk}/plenair/",
        hostile["tafel"].get_absolute_url(),
        f"/opgaven/{hostile['opgave'].pk}/overzicht/",
        f"/sessies/{hostile['sessie'].pk}/overzicht/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.content.decode())


def test_the_participants_kaart_and_join_page_escape_user_text(hostile):
    client = Client()
    client.cookies["sessionid"] = participant_session(hostile["deelnemer"])
    assert_escaped(client.get(hostile["tafel"].get_absolute_url()).content.decode())
    stranger = Client()
    stranger.get(hostile["sessie"].get_join_path())
    assert_escaped(stranger.get(f"/sessies/{hostile['sessie'].pk}/deelnemen/").content.decode())


def test_pushed_fragments_escape_user_text(hostile):
    access = Access(can_view=True, can_edit=True, role="facilitator")
    kaart = selectors.kaart_for(hostile["tafel"].pk, access)
    assert_escaped(fragments.render_full(kaart, access))
    assert_escaped(fragments.render_announcement(PAYLOAD, "bijdrage_added"))
    assert_escaped(
        fragments.render_error(PAYLOAD, form_id="f", conflict={"text": PAYLOAD, "version": 2})
    )


def test_markdown_export_escapes_user_text(hostile):
    client = Client()
    client.force_login(hostile["facilitator"])
    response = client.get(f"/opgaven/{hostile['opgave'].pk}/export/md/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode()
    # Markdown shows a backslash-escaped "<" as text: no raw tag may remain.
    assert not re.search(r"(?<!\\)<(script|img)", text)
    assert "\\<script\\>" in text
