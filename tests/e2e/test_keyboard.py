"""The participant's whole journey with the keyboard alone (issue 7, "must show").

The participant joins the demo sessie by its link, adds a haal and a breng to their partij's
block, edits one, and follows the facilitator's step change while typing, all with Tab,
Shift+Tab, Enter, Space, arrow keys and typed text: no click() or fill() on their page. The
facilitator (a second browser context) may use the mouse.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from sessions.models import Sessie
from tests.e2e.test_platform import OPGAVE_TITLE, seed_demo

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips these tests then, or fails them when CI=true
    expect = None

LIVE = 10_000  # ms: a change sent over the websocket shows on the page
MAX_TABS = 80  # a person would give up long before; a missing control fails here
NAME, PARTIJ = "Anna de Vries", "Politie"
HAAL = "Minder malafide bedrijven op het terrein"
HAAL_EDITED = "Geen malafide bedrijven meer op de twee terreinen"
BRENG = "Extra surveillance in de avonden"
UNSENT = "Een vaste wijkagent"
MARKER = "window.__sameDocument"
PARTIJEN_AT_THE_TABLE = 5  # in the demo (seed_demo)
LOCALES = {"en": "en-US", "nl": "nl-NL"}

# What a person perceives of the focused element: its role-ish tag, name and state.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {tag: "body", name: "", id: ""};
  const label = el.labels && el.labels.length ? el.labels[0].textContent : "";
  // What is said of it: its text without the parts hidden from assistive technology (icons).
  const spoken = el.cloneNode(true);
  spoken.querySelectorAll("[aria-hidden='true']").forEach((hidden) => hidden.remove());
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id || "",
    type: el.type || "",
    name: (label || el.getAttribute("aria-label") || spoken.textContent || "").replace(/\\s+/g, " ")
      .trim(),
    value: "value" in el ? String(el.value) : "",
    selected: el.tagName === "SELECT" && el.selectedIndex >= 0
      ? el.options[el.selectedIndex].text.trim() : "",
    open: el.tagName === "SUMMARY" ? el.parentElement.open : null,
    opacity: getComputedStyle(el).opacity,
  };
}"""

# The focus indicator a sighted keyboard user sees on the focused element.
FOCUS_RING = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    focusVisible: el.matches(":focus-visible"),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    shadow: style.boxShadow !== "none",
  };
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page, tag: str, name: str | re.Pattern, *, back: bool = False) -> dict:
    """Press Tab (Shift+Tab with back=True) until the focus is on the element of this tag whose
    accessible text matches `name` (exactly, or by a regular expression)."""
    visited = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        now = focused(page)
        visited.append(f"{now['tag']}: {now['name'][:50]}")
        text_ok = name.search(now["name"]) if isinstance(name, re.Pattern) else now["name"] == name
        if now["tag"] == tag and text_ok:
            return {**now, "presses": len(visited)}
    raise AssertionError(
        f"{tag} {name!r} cannot be reached with {'Shift+Tab' if back else 'Tab'}; the focus "
        f"went to:\n" + "\n".join(visited)
    )


def choose(page, option: str) -> None:
    """In the focused <select>, move with the arrow keys to this option."""
    seen = []
    for _ in range(30):
        now = focused(page)
        assert now["tag"] == "select", now
        if now["selected"] == option:
            return
        seen.append(now["selected"])
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{option!r} not reached with the arrow keys; went past {seen}")


def expect_focus_on(page, name: str) -> None:
    """The focus is (or, once a swapped region settles, comes back) on the element with this
    text."""
    expect(page.locator(":focus"), f"the focus is on {focused(page)}").to_have_accessible_name(
        name, timeout=2_000
    )


def partij_block(page, name: str):
    return page.get_by_role("article", name=name, exact=True)


def assert_focus_is_visible(page) -> None:
    ring = page.evaluate(FOCUS_RING)
    assert ring["focusVisible"], f"{focused(page)} has keyboard focus but not :focus-visible"
    assert ring["outline"] and ring["shadow"], f"no visible focus indicator on {focused(page)}"


def log_in_facilitator(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My opgaven", level=1)).to_be_visible()


@pytest.mark.parametrize("language", list(LOCALES))
def test_a_participant_takes_part_with_the_keyboard_alone(
    transactional_db, live_url, new_context, language
):
    username, password, join_link = seed_demo(live_url, language)
    sessie_pk = Sessie.objects.get(opgave__title=OPGAVE_TITLE).pk
    page = new_context(locale=LOCALES[language]).new_page()

    def t(text: str, **values) -> str:
        """What the page says for `text` in the participant's language (the app's own
        catalogue), with its placeholders filled in."""
        with translation.override(language):
            said = translation.gettext(text)
        return said % values if values else said

    add_haal, add_breng = f"{t('Add a haal')} ({PARTIJ})", f"{t('Add a breng')} ({PARTIJ})"
    haal_text = t("What does %(p)s want to get out of it?", p=PARTIJ)
    actions = t("Actions")

    # Join: name, partij (arrow keys in the list), and the button, from the top of the page.
    page.goto(join_link)
    expect(page).to_have_url(re.compile(r"/sessies/\d+/deelnemen/$"))
    tab_to(page, "input", t("Your name"))
    assert_focus_is_visible(page)
    page.keyboard.type(NAME)
    tab_to(page, "select", t("The partij you represent"))
    choose(page, PARTIJ)
    tab_to(page, "button", t("Join the sessie"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/tafels/\d+/$"))
    expect(page.locator("#kaart-status")).to_have_attribute("data-state", "connected", timeout=LIVE)
    page.evaluate(f"{MARKER} = 1")
    block = partij_block(page, PARTIJ)

    # A haal: open "Add a haal" with Enter, type, and send with the Add button.
    summary = tab_to(page, "summary", add_haal)
    assert summary["open"] is False
    # Their own partij comes first, and no other partij's controls stand in the way.
    assert summary["presses"] <= 10, f"{summary['presses']} Tab presses to their own Add a haal"
    page.keyboard.press("Enter")
    assert focused(page)["open"] is True, "Enter did not open the form"
    tab_to(page, "textarea", haal_text)
    page.keyboard.type(HAAL)
    tab_to(page, "button", t("Add"))
    page.keyboard.press("Enter")
    expect(block.locator(".bijdrage.haal", has_text=HAAL)).to_be_visible(timeout=LIVE)
    # The form closes once the haal is saved; the focus comes back to where it was opened,
    # not to the top of the page.
    expect(block.locator(f"#form-haal-add-{block_pk(block)}")).to_be_hidden()
    expect_focus_on(page, add_haal)
    assert_focus_is_visible(page)

    # A breng: open with Space, weight 2 and a kind chosen with the arrow keys, Add with Space.
    tab_to(page, "summary", add_breng)
    page.keyboard.press("Space")
    tab_to(page, "textarea", t("What can %(p)s bring?", p=PARTIJ))
    page.keyboard.type(BRENG)
    tab_to(page, "select", t("Weight"))
    choose(page, "2")
    tab_to(page, "select", t("Kind"))
    page.keyboard.press("ArrowDown")
    kind = focused(page)["selected"]
    tab_to(page, "button", t("Add"))
    page.keyboard.press("Space")
    breng = block.locator(".bijdrage.breng", has_text=BRENG)
    expect(breng).to_be_visible(timeout=LIVE)
    expect(breng.locator(".meta")).to_contain_text(kind)
    expect(breng.locator(".weight")).to_have_text(t("weight %(w)s", w=2))
    expect_focus_on(page, add_breng)

    # Edit the haal: back up to its one (quiet) menu control, replace the text, save.
    menu = tab_to(page, "summary", f"{actions}: {HAAL}", back=True)
    assert menu["opacity"] == "1", "the item's menu control does not show when it has the focus"
    page.keyboard.press("Enter")
    textarea = tab_to(page, "textarea", t("Text"))
    assert textarea["value"] == HAAL
    page.keyboard.press("Control+A")
    page.keyboard.type(HAAL_EDITED)
    tab_to(page, "button", t("Save"))
    page.keyboard.press("Enter")
    expect(block.locator(".bijdrage.haal", has_text=HAAL_EDITED)).to_be_visible(timeout=LIVE)
    expect(block.locator(".bijdrage.haal", has_text=HAAL)).to_have_count(0)
    # Back on the (new) menu control of the same haal.
    expect_focus_on(page, f"{actions}: {HAAL_EDITED}")

    # While the participant types a new haal, the facilitator moves the sessie to step 3.
    tab_to(page, "summary", add_haal, back=True)
    page.keyboard.press("Enter")
    typing = tab_to(page, "textarea", haal_text)
    page.keyboard.type(UNSENT)

    facilitator = new_context().new_page()
    log_in_facilitator(facilitator, username, password)
    facilitator.goto(f"/sessies/{sessie_pk}/")
    facilitator.get_by_role("button", name="Next step →", exact=True).click()
    expect(facilitator.locator(".step-track li.current")).to_contain_text("3")

    step_3 = t("Step 3 of 3: Next steps")
    expect(page.get_by_role("heading", name=step_3)).to_be_visible(timeout=LIVE)
    # Announced politely to a screen reader, on the same page, and the typing goes on.
    expect(page.locator("#kaart-live")).to_contain_text(step_3)
    assert page.evaluate(f"{MARKER} === 1"), "the kaart was reloaded for the step change"
    now = focused(page)
    assert (now["id"], now["value"]) == (typing["id"], UNSENT), (
        f"the focus or the text moved during the step change: {now}"
    )
    page.keyboard.type(" voor beide terreinen")
    tab_to(page, "button", t("Add"))
    page.keyboard.press("Enter")
    expect(
        block.locator(".bijdrage.haal", has_text=f"{UNSENT} voor beide terreinen")
    ).to_be_visible(timeout=LIVE)
    # The partijen region held back while the participant typed is now the step-3 one, with
    # every partij's block still in it.
    partijen = page.locator("#kaart-partijen")
    expect(partijen).not_to_have_class(re.compile(r"\bis-current\b"))
    expect(partijen.get_by_role("article")).to_have_count(PARTIJEN_AT_THE_TABLE)

    # Delete the breng: its menu control, then Delete, all with the keyboard.
    tab_to(page, "summary", f"{actions}: {BRENG}")
    page.keyboard.press("Enter")
    tab_to(page, "button", re.compile(f"^{t('Delete')}"))
    page.keyboard.press("Enter")
    expect(block.locator(".bijdrage.breng", has_text=BRENG)).to_have_count(0, timeout=LIVE)
    # The focus goes to a neighbour in the list, not to the top of the page.
    expect(block.locator(".bijdrage.breng summary.item-menu:focus")).to_have_count(1)


def block_pk(block) -> str:
    return block.get_attribute("id").removeprefix("partij-")
