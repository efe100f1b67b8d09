"""The platform journeys in a real browser: the facilitator reaches the demo opgave, a
participant joins by link."""

from __future__ import annotations

import io
import re

from django.core.management import call_command

from sessions.models import Deelnemer, Sessie

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips these tests then, or fails them when CI=true
    expect = None

OPGAVE_TITLE = (
    "Bedrijventerreinen: aantrekkelijk voor het goede, onaantrekkelijk voor het ondermijnende"
)
VERBINDENDE_VRAAG = (
    "Wat maakt een bedrijventerrein aantrekkelijk voor het goede en onaantrekkelijk voor het "
    "ondermijnende?"
)


def seed_demo(live_url: str, language: str = "en") -> tuple[str, str, str]:
    """Run seed_demo against the live server, its sessie in this language (the language its
    participants start in); return (username, password, join link)."""
    out = io.StringIO()
    call_command("seed_demo", base_url=live_url, stdout=out)
    Sessie.objects.filter(opgave__title=OPGAVE_TITLE).update(language=language)
    printed = out.getvalue()
    login = re.search(r"^Facilitator login: (\S+) / (\S+)$", printed, re.MULTILINE)
    join = re.search(r"^Join link: (\S+)$", printed, re.MULTILINE)
    assert login and join, printed
    return login[1], login[2], join[1]


def test_facilitator_logs_in_and_opens_the_demo_opgave(transactional_db, live_url, new_context):
    username, password, _join_link = seed_demo(live_url)
    page = new_context().new_page()

    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(f"{live_url}/opgaven/")
    expect(page.get_by_role("heading", name="My opgaven", level=1)).to_be_visible()
    page.get_by_role("link", name=OPGAVE_TITLE).click()

    expect(page.get_by_role("heading", name=OPGAVE_TITLE, level=1)).to_be_visible()
    partijen = page.get_by_role("region", name="Partijen")
    for name in ("Politie", "Gemeente", "Openbaar Ministerie"):
        expect(partijen.get_by_role("rowheader", name=name, exact=True)).to_be_visible()
    expect(page.get_by_text(VERBINDENDE_VRAAG, exact=True)).to_be_visible()


def test_participant_joins_by_link_and_reaches_the_kaart(
    transactional_db, live_url, new_context, django_sync
):
    _username, _password, join_link = seed_demo(live_url)
    token = join_link.rstrip("/").rsplit("/", 1)[-1]
    tafel = Sessie.objects.get(opgave__title=OPGAVE_TITLE).tafels.get(nummer=1)
    page = new_context().new_page()

    page.goto(join_link)

    # The token is exchanged for the session cookie and leaves the address bar at once.
    expect(page).to_have_url(re.compile(r"/sessies/\d+/deelnemen/$"))
    assert token not in page.url
    expect(page.get_by_role("heading", name=re.compile(r"^Join"), level=1)).to_be_visible()
    page.get_by_label("Your name", exact=True).fill("Anna de Vries")
    page.get_by_label("The partij you represent").select_option(label="Politie")
    page.get_by_role("button", name="Join the sessie").click()

    expect(page).to_have_url(f"{live_url}/tafels/{tafel.pk}/")
    expect(page.get_by_role("heading", name=OPGAVE_TITLE, level=1)).to_be_visible()
    assert token not in page.url
    with django_sync():
        deelnemer = Deelnemer.objects.select_related("partij").get(name="Anna de Vries")
    assert (deelnemer.tafel_id, deelnemer.partij.name) == (tafel.pk, "Politie")

    # A participant has no account: the facilitators' pages send them to the login.
    page.goto("/opgaven/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/opgaven/$"))
    expect(page.get_by_role("heading", name="Log in", level=1)).to_be_visible()
