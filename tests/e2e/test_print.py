"""Printing the kaart and the summary: the card's content on white paper, without the controls.

With print media emulated, the kaart shows the opgave, every partij with its perspectief, halen
and brengen, the koppelingen, vervolgstappen and missing partijen, in black on white; the site's
navigation, the forms, buttons, connection state and who is present are gone. The same for the
sessie summary. Each test also saves what the printer would get (test-results/print-*.png and
.pdf), to look at.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from sessions.models import Sessie
from tests.e2e.test_platform import OPGAVE_TITLE, VERBINDENDE_VRAAG, seed_demo

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips these tests then, or fails them when CI=true
    expect = None

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
DATUM = datetime.date(2026, 11, 24)
A4_AT_96_DPI = {"width": 794, "height": 1123}
# From the demo (seed_demo): a haal, a breng, a perspectief, a vervolgstap, a missing partij.
HAAL = "De terreinen onaantrekkelijk maken voor malafide bedrijven"
BRENG = "Optreden bij de opsporing"
VERVOLGSTAP = "Integrale controles op de bedrijventerreinen"
MISSING = "Openbaar Ministerie"

# Every element that is rendered (display) and not visually hidden, whose own text is shown.
CONTROLS_SHOWN = """() => {
  const shown = (el) => el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== "hidden";
  return [...document.querySelectorAll(
    "form, button, summary, input, select, textarea, nav, .skip-link, .language-switch,"
    + " #kaart-status, #kaart-presence, #kaart-unsent, .timer, .downloads, .breadcrumb"
  )].filter(shown).map((el) => el.outerHTML.slice(0, 120));
}"""

# The colours of every text on the page that is shown: [color, background] pairs, deduplicated.
COLOURS = """() => {
  const seen = new Set();
  for (const el of document.querySelectorAll("body *")) {
    if (!el.getClientRects().length) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    let bg = "rgba(0, 0, 0, 0)";
    for (let p = el; p && bg === "rgba(0, 0, 0, 0)"; p = p.parentElement) {
      bg = getComputedStyle(p).backgroundColor;
    }
    seen.add(getComputedStyle(el).color + " on " + bg);
  }
  return [...seen];
}"""


def print_page(page, name: str) -> None:
    """Print media on, and keep what the printer would get: a PNG and an A4 PDF."""
    page.emulate_media(media="print")
    page.set_viewport_size(A4_AT_96_DPI)
    RESULTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(RESULTS / f"print-{name}.png"), full_page=True)
    page.pdf(path=str(RESULTS / f"print-{name}.pdf"), format="A4", print_background=True)


def assert_black_on_white(page) -> None:
    colours = page.evaluate(COLOURS)
    black = re.compile(r"^rgb\((\d+), (\d+), (\d+)\) on (rgb\(255, 255, 255\)|rgba\(0, 0, 0, 0\))$")
    wrong = []
    for pair in colours:
        match = black.match(pair)
        # Near-black text (up to #444, grey meta lines) on white paper.
        if not match or max(int(match[i]) for i in (1, 2, 3)) > 0x44:
            wrong.append(pair)
    assert not wrong, f"text that is not dark on white when printed: {wrong}"


def assert_no_controls(page) -> None:
    shown = page.evaluate(CONTROLS_SHOWN)
    assert not shown, "controls that would be printed:\n" + "\n".join(shown)


def test_the_kaart_prints_its_content_without_controls(
    transactional_db, live_url, new_context, django_sync
):
    _username, _password, join_link = seed_demo(live_url)
    sessie = Sessie.objects.get(opgave__title=OPGAVE_TITLE)
    sessie.tafels.get().vervolgstappen.filter(title=VERVOLGSTAP).update(datum=DATUM)
    page = new_context().new_page()
    page.goto(join_link)
    page.get_by_label("Your name", exact=True).fill("Anna de Vries")
    page.get_by_label("The partij you represent").select_option(label="Politie")
    page.get_by_role("button", name="Join the sessie").click()
    expect(page.locator("#kaart-status")).to_have_attribute("data-state", "connected")
    # Open an edit form and the "add" forms, as someone might have them when they print.
    page.locator("details").evaluate_all("(all) => all.forEach((d) => { d.open = true; })")

    print_page(page, "kaart")

    expect(page.get_by_role("heading", name=OPGAVE_TITLE, level=1)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Step 2 of 3"))).to_be_visible()
    opgave = page.locator("#kaart-opgave")
    expect(opgave.get_by_role("paragraph").filter(has_text=VERBINDENDE_VRAAG)).to_be_visible()
    politie = page.get_by_role("article", name="Politie", exact=True)
    expect(politie.locator(".perspectief > p").first).to_be_visible()
    expect(politie.locator(".bijdrage.breng", has_text=BRENG)).to_be_visible()
    expect(page.locator(".bijdrage.haal", has_text=HAAL).first).to_be_visible()
    expect(page.locator("#kaart-koppelingen li.koppeling").first).to_be_visible()
    stap = page.locator("#kaart-vervolgstappen li", has_text=VERVOLGSTAP)
    expect(stap).to_be_visible()
    expect(stap).to_contain_text("Nov. 24, 2026")
    expect(page.locator("#kaart-ontbrekend").get_by_text(MISSING)).to_be_visible()
    assert_no_controls(page)
    assert_black_on_white(page)
    # One column on paper, as wide as the page.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_sessie_summary_prints_its_content_without_controls(
    transactional_db, live_url, new_context
):
    username, password, _join_link = seed_demo(live_url)
    sessie = Sessie.objects.get(opgave__title=OPGAVE_TITLE)
    page = new_context().new_page()
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/opgaven/$"))
    page.goto(f"/sessies/{sessie.pk}/overzicht/")

    print_page(page, "summary")

    expect(page.get_by_role("heading", level=1)).to_contain_text(sessie.title)
    expect(page.get_by_text(VERBINDENDE_VRAAG).first).to_be_visible()
    expect(page.locator(".summary-kaart .bijdrage.breng", has_text=BRENG)).to_be_visible()
    expect(page.locator(".summary-kaart .vervolgstappen li", has_text=VERVOLGSTAP)).to_be_visible()
    expect(page.locator(".balans-table")).to_be_visible()
    assert_no_controls(page)
    assert_black_on_white(page)
