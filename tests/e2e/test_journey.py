"""The whole facilitation journey in a real browser (issue 4, "must show").

The facilitator creates an opgave with its partijen and a sessie; six participants join by the
link, each in their own browser context; the facilitator forms two tafels and everyone lands at
their own tafel's kaart without reloading; a private perspectief stays hidden from the others
until the facilitator reveals it; step 2 and the running timer reach every screen live; closing
the sessie turns the kaart read-only live.
"""

from __future__ import annotations

import re

from sessions.models import Deelnemer, Membership
from tests.factories import MembershipFactory

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips these tests then, or fails them when CI=true
    expect = None

PASSWORD = "correct-horse-battery"  # tests/factories.py
OPGAVE_TITLE = "Bedrijventerrein De Haven: aantrekkelijk voor het goede"
VERBINDENDE_VRAAG = (
    "Wat maakt een bedrijventerrein aantrekkelijk voor het goede en onaantrekkelijk voor het "
    "ondermijnende?"
)
PARTIJEN = ("Gemeente", "Politie", "Omgevingsdienst")
SESSIE_TITLE = "Eerste ronde"
TIMER_MINUTES = 5
# Six participants, each partij twice.
PEOPLE = (
    ("Anna de Vries", "Gemeente"),
    ("Bram Jansen", "Politie"),
    ("Cem Yilmaz", "Omgevingsdienst"),
    ("Dewi Bakker", "Gemeente"),
    ("Eva Smit", "Politie"),
    ("Femke Visser", "Omgevingsdienst"),
)
PERSPECTIEF = "Voor ons is dit urgent: de leegstand trekt malafide huurders aan."
HIDDEN_NOTE = "Written privately; shown when the facilitator reveals it."
CLOSED_NOTE = "This sessie is closed; the kaart can be read but no longer changed."
READ_ONLY_NOTE = "The kaart is read-only for you at the moment."

# Generous: on a busy machine (seven browser contexts and the server on two cores) a push can
# take a few seconds; a working app is not slowed down by these, only a failing one.
LIVE = 10_000  # ms: a push over the websocket reaches the page
MOVED = 15_000  # ms: a participant moved to another tafel: socket closed, page reloaded, redirect
MARKER = "window.__marker"


def mark_document(page) -> None:
    """Mark this document, to tell later that no reload or navigation replaced it."""
    page.evaluate(f"{MARKER} = 1")


def assert_same_document(page) -> None:
    assert page.evaluate(f"{MARKER} === 1"), f"{page.url} was reloaded or navigated away"


def seconds(mmss: str) -> int:
    parts = [int(part) for part in mmss.strip().split(":")]
    total = 0
    for part in parts:
        total = total * 60 + part
    return total


def control(page, label: str) -> None:
    """Click one of the control room's buttons; the page comes back to the control room."""
    url = page.url
    with page.expect_navigation():
        page.get_by_role("button", name=label, exact=True).click()
    expect(page).to_have_url(url)
    expect(page.get_by_role("heading", name=SESSIE_TITLE, level=1)).to_be_visible()


def partij_block(page, partij: str):
    return page.get_by_role("article", name=partij, exact=True)


def perspectief_text(scope):
    """The written perspectief as shown on the kaart (not the text in its edit form)."""
    return scope.get_by_role("paragraph").filter(has_text=PERSPECTIEF)


def kaart_header(page):
    return page.locator(".kaart-header > p.meta")


def test_the_whole_facilitation_journey(transactional_db, live_url, new_context, django_sync):
    # 1. A facilitator in a team, before any browser starts.
    facilitator = MembershipFactory(role=Membership.Role.FACILITATOR).user

    # 2. The facilitator logs in, creates the opgave, its partijen and a sessie.
    fac = new_context().new_page()
    fac.goto("/login/")
    fac.get_by_label("Username").fill(facilitator.username)
    fac.get_by_label("Password").fill(PASSWORD)
    fac.get_by_role("button", name="Log in").click()
    expect(fac).to_have_url(f"{live_url}/opgaven/")

    fac.get_by_role("link", name="New opgave").click()
    fac.get_by_label("Title", exact=True).fill(OPGAVE_TITLE)
    fac.get_by_label("Verbindende vraag").fill(VERBINDENDE_VRAAG)
    fac.get_by_role("button", name="Create the opgave").click()
    expect(fac.get_by_role("heading", name=OPGAVE_TITLE, level=1)).to_be_visible()
    expect(fac).to_have_url(re.compile(r"/opgaven/\d+/$"))
    opgave_url = fac.url

    for name in PARTIJEN:
        fac.get_by_role("link", name="Add a partij").click()
        fac.get_by_label("Name", exact=True).fill(name)
        fac.get_by_label("World").select_option(label="public")
        fac.get_by_label("Status").select_option(label="at the table")
        fac.get_by_role("button", name="Save").click()
        expect(fac).to_have_url(opgave_url)
        partijen = fac.get_by_role("region", name="Partijen")
        expect(partijen.get_by_role("rowheader", name=name, exact=True)).to_be_visible()

    fac.get_by_role("link", name="New sessie").click()
    fac.get_by_label("Title", exact=True).fill(SESSIE_TITLE)
    fac.get_by_label("Minutes per step on the timer").fill(str(TIMER_MINUTES))
    fac.get_by_label("Number of tafels to start with").fill("1")
    # The participants (English-speaking browsers here) start in the sessie's language.
    expect(fac.get_by_label("Language of the sessie")).to_have_value("nl")
    fac.get_by_label("Language of the sessie").select_option(label="English")
    fac.get_by_role("button", name="Save").click()
    expect(fac).to_have_url(re.compile(r"/sessies/\d+/$"))
    sessie_url = fac.url
    sessie_id = int(sessie_url.rstrip("/").rsplit("/", 1)[-1])
    expect(fac.get_by_role("heading", name=SESSIE_TITLE, level=1)).to_be_visible()
    join_link = fac.get_by_label("Join link", exact=True).input_value()
    assert join_link.startswith(f"{live_url}/j/{sessie_id}/"), join_link

    # 3. Six participants join by the link, each in their own browser context.
    pages = {}
    for name, partij in PEOPLE:
        context = new_context()
        page = context.new_page()
        page.goto(join_link)
        expect(page).to_have_url(re.compile(r"/sessies/\d+/deelnemen/$"))
        page.get_by_label("Your name", exact=True).fill(name)
        page.get_by_label("The partij you represent").select_option(label=partij)
        page.get_by_role("button", name="Join the sessie").click()
        # One tafel so far: everyone is seated at it straight away.
        expect(page).to_have_url(re.compile(r"/tafels/\d+/$"))
        expect(kaart_header(page)).to_have_text(f"{SESSIE_TITLE} · Tafel 1")
        pages[name] = page
    for page in pages.values():
        expect(page.locator("#kaart-status")).to_have_attribute(
            "data-state", "connected", timeout=LIVE
        )
        mark_document(page)

    # 4. The facilitator forms two tafels; everyone lands at their own kaart without reloading.
    fac.reload()
    expect(fac.get_by_text("6 participants have joined.")).to_be_visible()
    control(fac, "Form tafels automatically (3 to 5, partijen mixed)")
    expect(fac.get_by_text("The participants are seated at 2 tafels.")).to_be_visible()

    with django_sync():
        seated = {
            d.name: (d.tafel.pk, d.tafel.nummer, d.partij.name)
            for d in Deelnemer.objects.filter(sessie_id=sessie_id).select_related("tafel", "partij")
        }
    assert len(seated) == 6 and all(seat[0] for seat in seated.values()), seated
    by_tafel: dict[int, list[str]] = {}
    for name, (_pk, nummer, _partij) in seated.items():
        by_tafel.setdefault(nummer, []).append(name)
    assert sorted(by_tafel) == [1, 2], seated
    for names in by_tafel.values():
        assert len(names) == 3, seated
        assert len({seated[name][2] for name in names}) == 3, f"partijen not mixed: {seated}"

    for name, page in pages.items():
        tafel_pk, nummer, _partij = seated[name]
        expect(page).to_have_url(f"{live_url}/tafels/{tafel_pk}/", timeout=MOVED)
        expect(kaart_header(page)).to_have_text(f"{SESSIE_TITLE} · Tafel {nummer}", timeout=MOVED)
        expect(page.locator("#kaart-status")).to_have_attribute(
            "data-state", "connected", timeout=LIVE
        )
        if nummer == 1:
            assert_same_document(page)  # stayed at Tafel 1: updated live, not reloaded
        mark_document(page)  # moved: the app reloaded the page itself; mark the new document

    # P1 and P2 at different tafels; P3 at P1's tafel, of another partij.
    p1_name = by_tafel[1][0]
    p2_name = by_tafel[2][0]
    p3_name = next(n for n in by_tafel[1] if seated[n][2] != seated[p1_name][2])
    p1, p2, p3 = pages[p1_name], pages[p2_name], pages[p3_name]
    p1_partij = seated[p1_name][2]
    p1_tafel_url = f"{live_url}/tafels/{seated[p1_name][0]}/"

    # Only their own tafel's kaart: P1 opening P2's tafel is sent back to their own.
    peek = p1.context.new_page()
    peek.goto(f"/tafels/{seated[p2_name][0]}/")
    expect(peek).to_have_url(p1_tafel_url)
    expect(kaart_header(peek)).to_have_text(f"{SESSIE_TITLE} · Tafel 1")
    peek.close()

    # 6. Private first: P1 writes their partij's perspectief; P3 (same tafel) does not see it.
    # In step 1 the kaart opens on what it asks of them: their own perspectief's form is open.
    block = partij_block(p1, p1_partij)
    writing = block.locator("details.edit", has_text="Write the perspectief")
    expect(writing).to_have_attribute("open", "")
    form = block.locator("form[id^='form-perspectief-']")
    form.get_by_label("How does your partij see the opgave?").fill(PERSPECTIEF)
    form.get_by_role("button", name="Save").click()
    # The author sees their own saved perspectief (their partij block is swapped once the
    # form is sent, even with its Cancel button: buttons are not unsent input).
    expect(perspectief_text(block)).to_be_visible(timeout=LIVE)

    expect(partij_block(p3, p1_partij).get_by_text(HIDDEN_NOTE)).to_be_visible(timeout=LIVE)
    expect(perspectief_text(p3)).to_have_count(0)
    expect(perspectief_text(p2)).to_have_count(0)  # the other tafel: not there at all

    control(fac, "Reveal all perspectieven")
    expect(perspectief_text(partij_block(p3, p1_partij))).to_be_visible(timeout=LIVE)
    expect(partij_block(p3, p1_partij).get_by_text(HIDDEN_NOTE)).to_have_count(0)
    expect(perspectief_text(p2)).to_have_count(0)
    assert_same_document(p3)

    # 5. Step 2 and the timer reach the participants' pages live.
    for page in (p1, p2):
        expect(page.get_by_role("heading", name=re.compile(r"^Step 1 of 3"))).to_be_visible()
    control(fac, "Next step →")
    control(fac, "Start the timer")
    for page in (p1, p2, p3):
        expect(page.get_by_role("heading", name=re.compile(r"^Step 2 of 3"))).to_be_visible(
            timeout=LIVE
        )
        timer = page.locator('#kaart-stap .timer[data-running="1"]')
        expect(timer).to_be_visible(timeout=LIVE)
        value = timer.locator(".timer-value")
        before = value.inner_text()
        assert 0 < seconds(before) <= TIMER_MINUTES * 60, before
        expect(value).not_to_have_text(before, timeout=LIVE)
        assert seconds(value.inner_text()) < seconds(before)
        assert_same_document(page)

    # 7. Locking the kaarten makes them read-only for the participants, live; unlocking gives
    # them back, with what someone had begun to type.
    controls = "#kaart :is(details.add, details.edit) > summary:visible"
    for page in (p1, p2):
        expect(page.locator("details.add > summary", has_text="Add a haal").first).to_be_visible()
        assert page.locator(controls).count() > 3
    own = partij_block(p1, p1_partij)
    own.locator("details.add > summary", has_text="Add a haal").click()
    draft = own.locator("form[id^='form-haal-add-'] textarea")
    draft.fill("Half getypt")
    control(fac, "Lock the kaarten (read-only)")
    for page in (p1, p2, p3):
        expect(page.get_by_text(READ_ONLY_NOTE)).to_be_visible(timeout=LIVE)
        expect(page.locator(controls)).to_have_count(0)
        expect(page.get_by_role("button", name="Undo my last change")).to_have_count(0)
    control(fac, "Unlock the kaarten")
    for page in (p1, p2, p3):
        expect(page.get_by_text(READ_ONLY_NOTE)).to_have_count(0, timeout=LIVE)
        expect(page.get_by_role("button", name="Undo my last change")).to_be_visible()
        assert page.locator(controls).count() > 3
        assert_same_document(page)
    expect(draft).to_be_visible()
    expect(draft).to_have_value("Half getypt")
    draft.fill("")
    own.locator("details.add > summary", has_text="Add a haal").click()  # closed again

    # 8. Closing the sessie turns the kaart read-only, live.
    control(fac, "Close the sessie")
    for page in (p1, p2, p3):
        expect(page.get_by_text(CLOSED_NOTE)).to_be_visible(timeout=LIVE)
        # Read-only everywhere, the participant's own partij block included: no control to
        # add, edit or delete anything is shown.
        expect(page.locator("details.add > summary:visible", has_text="Add a haal")).to_have_count(
            0
        )
        expect(
            page.locator("#kaart :is(details.add, details.edit) > summary:visible")
        ).to_have_count(0)
        assert_same_document(page)
