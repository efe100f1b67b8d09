"""The kaart as a workspace, in a real browser: the step leads, the partijen stand around the
opgave, the items are quiet, and on a phone the task is on the first screen.

On the demo kaart (seed_demo: five partijen at the table, twelve bijdragen, four koppelingen,
three vervolgstappen), joined as Anna de Vries of Politie, in Dutch and in English. Each test
saves what it saw in test-results/ (kaart-step<N>-<width>px-<language>.png), to look at.
"""

from __future__ import annotations

import re

import pytest

from sessions import services
from sessions.models import Sessie
from tests.e2e.test_accessibility import (
    LANGUAGES,
    PARTICIPANT,
    SCREENSHOTS,
    demo,
    join,
    open_page,
    speak,
)
from tests.e2e.test_kaart import LIVE, add_haal, haal
from tests.e2e.test_keyboard import log_in_facilitator

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips these tests then, or fails them when CI=true
    expect = None

__all__ = ["demo"]  # the fixture, shared with the accessibility tests

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
MAX_DESKTOP_HEIGHT = 2_200  # px, the whole kaart in step 2 at 1280 px
FIRST_SCREEN = 900  # px, what a phone shows before scrolling (with a little slack)
OWN = PARTICIPANT[1]
# What each step puts first, and what it shows condensed (sessions/selectors.py FLOWS).
LEADS = {
    1: ("kaart-board", {"kaart-ontbrekend", "kaart-koppelingen", "kaart-vervolgstappen"}),
    2: ("kaart-board", {"kaart-vervolgstappen", "kaart-inzicht"}),
    3: ("kaart-vervolgstappen", {"kaart-koppelingen", "kaart-ontbrekend"}),
}
# Every element a person could take for an edit, move or delete control of an item.
ITEM_CONTROLS = re.compile(r"edit|delete|remove|move|bewerk|verwijder|omhoog|omlaag", re.I)
SHOWN_ITEM_CONTROLS = """(pattern) => {
  const re = new RegExp(pattern, "i");
  const items = document.querySelectorAll(
    "#kaart li.bijdrage, #kaart li.koppeling, #kaart li[id^='vervolgstap-'], #kaart .opgave-text");
  const shown = [];
  for (const item of items) {
    for (const el of item.querySelectorAll("button, summary, a, input[type=submit]")) {
      // Rendered (not in a closed menu), not invisible, not transparent.
      const seen = el.checkVisibility({visibilityProperty: true, opacityProperty: true});
      if (seen && re.test(el.textContent + " " + (el.title || ""))) {
        shown.push(item.id + ": " + el.textContent.trim().slice(0, 60));
      }
    }
  }
  return shown;
}"""


def at_step(demo: dict, stap: int) -> None:
    services.sessie_set_step(sessie=Sessie.objects.get(pk=demo["sessie"]), stap=stap)


# Counts the whole cards the socket has put on the page (the first frame holds the opgave, the
# last the sequence number). The first comes a moment after "connected" and replaces the
# regions: a click before it lands on an element that is about to go.
COUNT_WHOLE_CARDS = """window.wholeCards = 0;
let inCard = false;
document.addEventListener("htmx:wsAfterMessage", (evt) => {
  const message = String(evt.detail.message);
  if (message.includes('id="kaart-opgave"')) inCard = true;
  if (inCard && message.includes('id="kaart-seq"')) {
    inCard = false;
    window.wholeCards += 1;
  }
});"""


def open_kaart(new_context, demo: dict, language: str, viewport: dict):
    """The participant's kaart as they see it once it is live: joined, connected, and the
    socket's first whole card on the page."""
    speak(demo, language)
    page = new_context(locale=LANGUAGES[language], viewport=viewport).new_page()
    page.add_init_script(COUNT_WHOLE_CARDS)
    join(page, demo)
    page.wait_for_function("() => window.wholeCards > 0")
    return page


def save(page, name: str) -> str:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return str(path)


def flow_ids(page) -> list[str]:
    return page.locator("#kaart-flow > [id]").evaluate_all("(all) => all.map((el) => el.id)")


# How each element the step changes shows: its classes, and whether it is seen.
STEP_SHOWN = """() => [...document.querySelectorAll(
    "#kaart [data-step], #kaart [data-menu-unless], #kaart .region-toggle, #kaart .region-body,"
    + " #kaart details[data-open-in]")].map((el) => [(el.closest("[id]") || {}).id,
  el.tagName, el.className, el.open === true, el.checkVisibility()])"""


def step_shown(page) -> list:
    return page.evaluate(STEP_SHOWN)


def own_block(page):
    return page.locator("#kaart-partijen .partij-block.is-own")


# The step leads --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
@pytest.mark.parametrize("stap", [1, 2, 3])
def test_each_step_leads_with_its_task_and_keeps_the_rest_condensed(
    demo, new_context, stap, viewport, language
):
    at_step(demo, stap)
    page = open_kaart(new_context, demo, language, viewport)
    shot = save(page, f"kaart-step{stap}-{viewport['width']}px-{language}")

    lead, condensed = LEADS[stap]
    assert flow_ids(page)[0] == lead, f"step {stap} does not lead with {lead}; see {shot}"
    for region in condensed:
        section = page.locator(f"#{region}")
        # Condensed, never hidden: the heading stays, the content is one click away.
        expect(section.get_by_role("heading", level=2)).to_be_visible()
        expect(section.locator(".region-toggle")).to_have_attribute("aria-expanded", "false")
        expect(section.locator(".region-body")).to_be_hidden()
    # The viewer's own partij comes first on the board, marked as theirs.
    expect(page.locator("#kaart-partijen .partij-block").first).to_have_class(re.compile("is-own"))
    expect(own_block(page).locator(".partij-name")).to_have_text(OWN)
    if stap == 1:
        # Their own perspectief is what step 1 asks first: here written already, so its
        # form is one click away and the opgave's texts can be edited in plain sight.
        expect(own_block(page).locator(".perspectief")).to_have_class(re.compile("is-current"))
        expect(page.locator("#kaart-opgave summary").first).to_be_visible()
    if stap == 3:
        expect(page.locator("#kaart-vervolgstappen .region-body")).to_be_visible()
        expect(page.locator("#kaart-inzicht .region-body")).to_be_visible()


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_kaart_in_step_2_fits_in_2200_px_on_a_desktop(demo, new_context, language):
    page = open_kaart(new_context, demo, language, DESKTOP)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= MAX_DESKTOP_HEIGHT, (
        f"the kaart is {height}px high at 1280px ({language}); see "
        f"{save(page, f'kaart-too-high-{language}')}"
    )
    # The partijen stand around the opgave: three abreast, the opgave in the middle column.
    boxes = page.evaluate(
        """() => {
          const box = (el) => {
            const b = el.getBoundingClientRect();
            return {x: b.x, y: b.y, height: b.height};
          };
          return {opgave: box(document.getElementById("kaart-opgave")),
                  blocks: [...document.querySelectorAll(".partij-block")].map(box)};
        }"""
    )
    opgave, blocks = boxes["opgave"], boxes["blocks"]
    columns = sorted({round(b["x"]) for b in blocks})
    assert len(columns) == 3, f"the partijen stand in {len(columns)} columns: {columns}"
    assert columns[0] < opgave["x"] < columns[2]
    assert any(b["y"] < opgave["y"] for b in blocks) and any(
        abs(b["y"] - opgave["y"]) < opgave["height"] for b in blocks if b["x"] != opgave["x"]
    ), "the opgave does not stand amid the partijen"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_on_a_phone_the_task_and_the_own_add_control_are_on_the_first_screen(
    demo, new_context, language
):
    page = open_kaart(new_context, demo, language, PHONE)
    add = "Haal toevoegen" if language == "nl" else "Add a haal"
    for what, locator in [
        ("the step's question", page.locator("#kaart-stap .stap-question")),
        ("the own partij's add control", own_block(page).locator("summary", has_text=add)),
    ]:
        expect(locator).to_be_visible()
        # Read in one go (a push may replace the element between two calls).
        bottom = locator.evaluate("(el) => el.getBoundingClientRect().bottom + window.scrollY")
        assert bottom <= FIRST_SCREEN, (
            f"{what} ends at {bottom:.0f}px on a phone ({language}); see "
            f"{save(page, f'kaart-first-screen-{language}')}"
        )


def test_on_a_phone_each_partij_is_one_tap_away(demo, new_context):
    page = open_kaart(new_context, demo, "en", PHONE)
    blocks = page.locator("#kaart-partijen .partij-block")
    expect(blocks.filter(visible=True)).to_have_count(1)
    expect(own_block(page)).to_be_visible()
    switcher = page.get_by_role("navigation", name="Show one partij")
    expect(switcher.get_by_role("button").first).to_have_accessible_name(f"{OWN} (yours)")
    expect(switcher.get_by_role("button").first).to_have_attribute("aria-pressed", "true")

    for name in ["Gemeente", "Omgevingsdienst", "Belastingdienst"]:
        button = switcher.get_by_role("button", name=name, exact=True)
        button.click()  # one tap
        expect(button).to_have_attribute("aria-pressed", "true")
        expect(blocks.filter(visible=True)).to_have_count(1)
        expect(page.get_by_role("article", name=name, exact=True)).to_be_visible()
    expect(own_block(page)).to_be_hidden()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_the_koppelingen_stand_on_the_board_and_lead_to_the_other_item(demo, new_context, viewport):
    page = open_kaart(new_context, demo, "en", viewport)
    # Politie's haal is answered by a breng of Gemeente (the demo's first koppeling).
    haal = own_block(page).locator("li.bijdrage.haal").first
    chip = haal.get_by_role("link", name="answered by Gemeente")
    expect(chip).to_be_visible()
    target = chip.get_attribute("href")
    # ... which says in turn that Politie needs it (on a phone, Gemeente is not shown yet).
    expect(page.locator(f".partij-block:has({target}) .partij-name")).to_have_text("Gemeente")
    expect(page.locator(f"{target} .link-chip")).to_contain_text("needed by Politie")
    chip.click()
    # On a phone as on a desktop, the breng that answers it is in sight.
    expect(page.locator(target)).to_be_in_viewport()
    expect(page.get_by_role("article", name="Gemeente", exact=True)).to_be_visible()


# Quiet items -----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_items_show_no_edit_or_delete_control_until_focused_or_opened(demo, new_context, language):
    page = open_kaart(new_context, demo, language, DESKTOP)
    page.locator("#kaart-vervolgstappen .region-toggle").click()  # step 3's list too
    page.mouse.move(0, 0)
    shown = page.evaluate(SHOWN_ITEM_CONTROLS, ITEM_CONTROLS.pattern)
    assert not shown, f"item controls shown before anyone asked for them: {shown}"

    # The one menu control of an item shows on hover, and opens its actions in place.
    item = own_block(page).locator("li.bijdrage.haal").first
    menu = item.locator("summary.item-menu")
    expect(menu).to_have_css("opacity", "0")
    item.hover()
    expect(menu).to_have_css("opacity", "1")
    menu.click()
    delete = "Verwijderen" if language == "nl" else "Delete"
    expect(item.get_by_role("button", name=re.compile(f"^{delete}"))).to_be_visible()
    expect(item.locator("textarea[name='tekst']")).to_be_visible()


# Pictures --------------------------------------------------------------------------------------

PICTURE_TEXT = """(where) => [...document.querySelectorAll(where + " svg")]
  .filter((svg) => svg.getBoundingClientRect().width > 0)
  .flatMap((svg) => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll("text")].map((text) => ({
      text: text.textContent.trim().slice(0, 30),
      px: parseFloat(getComputedStyle(text).fontSize) * scale,
    }));
  })"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_the_balance_and_the_map_are_read_at_12_px_or_as_a_list(demo, new_context, viewport):
    at_step(demo, 3)
    page = open_kaart(new_context, demo, "en", viewport)
    texts = page.evaluate(PICTURE_TEXT, "#kaart-inzicht")
    small = [t for t in texts if t["px"] < 12]
    assert not small, f"picture text under 12px at {viewport['width']}px: {small[:5]}"
    lists = page.locator("#kaart-inzicht .picture-list")
    if viewport is PHONE:
        assert texts == [], "a phone gets the pictures' data as lists, not shrunken pictures"
        expect(lists.first).to_contain_text("Politie: halen 2, brengen 5.")
        expect(lists.nth(1)).to_contain_text("brings what")
    else:
        assert len(texts) > 20, "the desktop shows the pictures"
        expect(lists.first).to_be_hidden()


# Live ------------------------------------------------------------------------------------------


def test_when_the_step_changes_the_kaart_puts_the_new_task_first_without_reloading(
    demo, new_context
):
    username, password = demo["username"], demo["password"]
    page = open_kaart(new_context, demo, "en", DESKTOP)
    page.evaluate("window.__same = 1")
    page.locator("#kaart-vervolgstappen .region-toggle").click()
    assert flow_ids(page)[0] == "kaart-board"

    facilitator = new_context().new_page()
    log_in_facilitator(facilitator, username, password)
    facilitator.goto(f"/sessies/{demo['sessie']}/")
    facilitator.get_by_role("button", name="Next step →", exact=True).click()

    expect(page.locator("#kaart-stap")).to_have_attribute("data-stap", "3", timeout=5_000)
    expect(page.locator("#kaart-flow > [id]").first).to_have_id("kaart-vervolgstappen")
    assert flow_ids(page)[:3] == ["kaart-vervolgstappen", "kaart-inzicht", "kaart-board"]
    expect(page.locator("#kaart-koppelingen .region-body")).to_be_hidden()
    expect(page.locator("#kaart-vervolgstappen .region-toggle")).to_be_hidden()
    assert page.evaluate("window.__same === 1"), "the kaart was reloaded for the step change"
    # Only the step region came: the rest of the page shows the new step as a fresh page does.
    fresh = new_context(locale=LANGUAGES["en"], viewport=DESKTOP).new_page()
    join(fresh, demo)
    expect(fresh.locator("#kaart-stap")).to_have_attribute("data-stap", "3")
    assert step_shown(page) == step_shown(fresh)

    # And back to step 1, where the opgave's texts are edited in plain sight again.
    for _ in range(2):
        facilitator.get_by_role("button", name="← Previous step", exact=True).click()
    expect(page.locator("#kaart-stap")).to_have_attribute("data-stap", "1", timeout=5_000)
    summary = page.locator("#kaart-opgave summary").first
    expect(summary.locator(".menu-dots")).to_be_hidden()
    assert summary.locator(".menu-label").bounding_box()["width"] > 50, "the label is shown"
    fresh.reload()
    expect(fresh.locator("#kaart-stap")).to_have_attribute("data-stap", "1")
    assert step_shown(page) == step_shown(fresh)


def test_hidden_pictures_come_when_the_region_opens_and_before_a_print(demo, new_context):
    """In step 2 the balance region is condensed: the page's own changes do not redraw its
    pictures; opening the region brings them as they are, and so does printing while it is
    condensed (fetched before the print is laid out)."""
    at_step(demo, 2)
    page = open_kaart(new_context, demo, "en", DESKTOP)
    body = page.locator("#kaart-inzicht-body")
    expect(body).to_be_hidden()

    def halen() -> int:
        found = re.search(rf"{OWN}: halen (\d+)", body.text_content())
        return int(found.group(1))

    before = halen()
    add_haal(page, OWN, "Een vast aanspreekpunt per terrein")
    expect(haal(page, OWN, "Een vast aanspreekpunt per terrein")).to_be_visible(timeout=LIVE)
    page.wait_for_timeout(500)  # pictures would have come with the change (no delay here)
    assert halen() == before, "hidden pictures were drawn"

    page.locator("#kaart-inzicht .region-toggle").click()
    expect(body).to_contain_text(f"{OWN}: halen {before + 1},", timeout=LIVE)

    page.locator("#kaart-inzicht .region-toggle").click()  # condensed again
    add_haal(page, OWN, "Camerabeelden delen")
    expect(haal(page, OWN, "Camerabeelden delen")).to_be_visible(timeout=LIVE)
    page.wait_for_timeout(500)
    assert halen() == before + 1
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert halen() == before + 2, "the print would show old pictures"


def test_the_plenary_view_follows_the_tafels_live(demo, new_context):
    username, password = demo["username"], demo["password"]
    page = open_kaart(new_context, demo, "en", DESKTOP)
    facilitator = new_context().new_page()
    log_in_facilitator(facilitator, username, password)
    facilitator.goto(f"/sessies/{demo['sessie']}/plenair/")
    tafel = facilitator.locator(f"#compact-kaart-{demo['tafel']}")
    expect(tafel).to_be_visible()

    add_haal(page, OWN, "Een vast aanspreekpunt per terrein")
    item = tafel.locator(".compact-item", has_text="Een vast aanspreekpunt per terrein")
    expect(item).to_be_visible(timeout=5_000)
    # Haal or breng is told by its label, not by colour alone.
    expect(item.locator(".badge.soort")).to_have_text("haal")
    expect(tafel.get_by_role("heading", name="Koppelingen")).to_be_visible()


@pytest.mark.parametrize("summary", ["sessie_summary", "opgave_summary"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_the_summaries_draw_their_pictures_at_12_px_or_list_their_data(
    demo, new_context, viewport, summary
):
    page = new_context(viewport=viewport).new_page()
    open_page(page, summary, demo)
    texts = page.evaluate(PICTURE_TEXT, ".summary")
    small = [t for t in texts if t["px"] < 12]
    assert not small, f"picture text under 12px at {viewport['width']}px: {small[:5]}"
    pictures = page.locator(".summary figure.picture")
    expect(pictures).to_have_count(2)
    if viewport is DESKTOP:
        # A coordinator at a desktop sees both pictures, drawn.
        assert len(texts) > 20
        expect(pictures.locator("svg")).to_have_count(2)
        for svg in pictures.locator("svg").all():
            expect(svg).to_be_visible()
    else:
        assert texts == []
        for listed in pictures.locator(".picture-list").all():
            expect(listed).to_be_visible()
