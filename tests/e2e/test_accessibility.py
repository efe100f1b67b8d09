"""Accessibility in a real browser: axe-core finds no WCAG 2.1 A/AA violation on any page type,
in Dutch and in English, and the kaart has no horizontal scrolling on a phone or a desktop.

axe-core comes from the npm registry (tests/e2e/vendor/axe.min.js, `npm pack axe-core@4`,
licence in tests/e2e/vendor/axe.LICENSE) and is injected into each page by Playwright.
The demo data (opgave, facilitator, open sessie in step 2 with one tafel) comes from seed_demo;
`prepare()` adds what a page type needs beyond it (another step, a second tafel, a coordinator).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sessions import services
from sessions.models import Membership, Partij, Sessie
from tests.e2e.test_platform import OPGAVE_TITLE, seed_demo
from tests.factories import MembershipFactory

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips these tests then, or fails them when CI=true
    expect = None

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = (
    "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, "
    "resultTypes: ['violations']})"
)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
LANGUAGES = {"nl": "nl-NL", "en": "en-US"}
PAGE_TYPES = [
    "home",
    "accessibility_statement",
    "login",
    "dashboard",
    "opgave",
    "sessie_control",
    "join",
    "kaart",  # the demo sessie is in step 2
    "kaart_step_1",
    "kaart_step_3",
    "overview",  # the control room's live overview, with two tafels and a seated participant
    "plenary",
    "sessie_summary",
    "opgave_summary",
    "acties",  # the opgave's action list, one follow-up form open
    "waiting",  # joined, not yet seated at a tafel
    "werkgroepen",  # the control room in step 3, werkgroepen formed from the plenary kaart
    "werkgroep_choice",  # joined during werkgroepen, of a partij none names: choosing one
    "werkgroep_kaart",  # a werkgroep's kaart, leading with its vervolgstap
    "revoked_link",
    "no_access",  # a kaart opened without having joined
    "forbidden",  # a coordinator on a page only facilitators may use
    "csrf_failure",
    "not_found",
]
PARTICIPANT = ("Anna de Vries", "Politie")
PASSWORD = "correct-horse-battery"  # tests/factories.py


# Setting the scene ---------------------------------------------------------------------------


@pytest.fixture
def demo(transactional_db, live_url) -> dict:
    """The demo data, seeded before the first browser context: login, join link and pks."""
    username, password, join_link = seed_demo(live_url)
    sessie = Sessie.objects.select_related("opgave").get(opgave__title=OPGAVE_TITLE)
    return {
        "username": username,
        "password": password,
        "join_link": join_link,
        "opgave": sessie.opgave.pk,
        "sessie": sessie.pk,
        "tafel": sessie.tafels.get(nummer=1).pk,
    }


def prepare(page_type: str, demo: dict) -> None:
    """Add the data this page type needs to the demo (before the first browser context)."""
    sessie = Sessie.objects.get(pk=demo["sessie"])
    if page_type in ("kaart_step_1", "kaart_step_3"):
        services.sessie_set_step(sessie=sessie, stap=int(page_type[-1]))
    elif page_type == "overview":
        services.tafel_add(sessie=sessie)
        politie = Partij.objects.get(opgave=sessie.opgave, name="Politie")
        services.deelnemer_join(sessie=sessie, name="Bram Jansen", partij=politie)
    elif page_type == "plenary":
        first = sessie.tafels.get(nummer=1)
        services.plenair_carry(sessie=sessie, kind="bijdrage", item_id=first.bijdragen.first().pk)
        stap = first.vervolgstappen.first()
        services.plenair_carry(sessie=sessie, kind="vervolgstap", item_id=stap.pk)
    elif page_type == "waiting":
        # A sessie without tafels yet: who joins waits to be seated.
        waiting = services.sessie_create(
            opgave=sessie.opgave, title="Tweede ronde", state=Sessie.State.OPEN, tafels=0
        )
        demo["join_link"] = f"/j/{waiting.pk}/{waiting.join_token}/"
    elif page_type in ("werkgroepen", "werkgroep_choice", "werkgroep_kaart"):
        services.sessie_set_step(sessie=sessie, stap=3)
        first = sessie.tafels.get(nummer=1)
        stappen = [
            services.plenair_carry(sessie=sessie, kind="vervolgstap", item_id=stap.pk).pk
            for stap in first.vervolgstappen.order_by("position")
        ]
        (werkgroep, *_rest) = services.werkgroepen_form(sessie=sessie, stap_ids=stappen[:2])
        demo["werkgroep"] = werkgroep.pk
    elif page_type == "forbidden":
        coordinator = MembershipFactory(
            team=sessie.opgave.team, role=Membership.Role.COORDINATOR
        ).user
        demo["username"], demo["password"] = coordinator.username, PASSWORD


def speak(demo: dict, language: str) -> None:
    """Set the demo's sessies to this language: the one their participants start in."""
    Sessie.objects.filter(opgave_id=demo["opgave"]).update(language=language)


def log_in(page, demo: dict) -> None:
    """Log the facilitator (or whoever `demo` names) in through the login form."""
    page.goto("/login/")
    form = page.locator("form:has(input[name='password'])")
    form.locator("input[name='username']").fill(demo["username"])
    form.locator("input[name='password']").fill(demo["password"])
    form.locator("button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/opgaven/$"))


def open_join_form(page, demo: dict) -> None:
    page.goto(demo["join_link"])
    expect(page).to_have_url(re.compile(r"/sessies/\d+/deelnemen/$"))
    expect(page.locator("form:has(input[name='name'])")).to_be_visible()


def join(page, demo: dict) -> None:
    """Join the demo sessie by its link (in whichever language) and land on the kaart."""
    open_join_form(page, demo)
    name, partij = PARTICIPANT
    form = page.locator("form:has(input[name='name'])")
    form.locator("input[name='name']").fill(name)
    form.locator("select[name='partij']").select_option(label=partij)
    form.locator("button[type='submit']").click()
    expect(page).to_have_url(re.compile(rf"/tafels/{demo['tafel']}/$"))
    # Let the live connection settle, so that axe sees the page as a participant does.
    expect(page.locator("#kaart-status")).to_have_attribute(
        "data-state", re.compile(r"^(connected|http)$"), timeout=10_000
    )


def open_page(page, page_type: str, demo: dict) -> None:
    """Bring `page` to a page of this type, as the person who would see it."""
    if page_type == "home":
        page.goto("/")
    elif page_type == "accessibility_statement":
        page.goto("/toegankelijkheid/")
    elif page_type == "login":
        page.goto("/login/")
    elif page_type == "dashboard":
        log_in(page, demo)
    elif page_type == "opgave":
        log_in(page, demo)
        page.goto(f"/opgaven/{demo['opgave']}/")
    elif page_type == "sessie_control":
        log_in(page, demo)
        page.goto(f"/sessies/{demo['sessie']}/")
        expect(page).to_have_url(re.compile(rf"/sessies/{demo['sessie']}/$"))
    elif page_type == "join":
        open_join_form(page, demo)
    elif page_type in ("kaart", "kaart_step_1", "kaart_step_3"):
        join(page, demo)
        stap = {"kaart_step_1": 1, "kaart_step_3": 3}.get(page_type, 2)
        expect(page.locator("#kaart-stap")).to_have_class(re.compile(rf"\bstap-{stap}\b"))
    elif page_type == "overview":
        log_in(page, demo)
        page.goto(f"/sessies/{demo['sessie']}/")
        expect(page.locator(".tafel-overview")).to_have_count(2)
        expect(page.get_by_text("Bram Jansen").first).to_be_visible()
    elif page_type == "plenary":
        log_in(page, demo)
        response = page.goto(f"/sessies/{demo['sessie']}/plenair/")
        assert response.status == 200, response.status
        expect(page.locator(".plenair-kaart .compact-item").first).to_be_visible()
    elif page_type == "sessie_summary":
        log_in(page, demo)
        response = page.goto(f"/sessies/{demo['sessie']}/overzicht/")
        assert response.status == 200, response.status
    elif page_type == "opgave_summary":
        log_in(page, demo)
        response = page.goto(f"/opgaven/{demo['opgave']}/overzicht/")
        assert response.status == 200, response.status
    elif page_type == "acties":
        log_in(page, demo)
        response = page.goto(f"/opgaven/{demo['opgave']}/acties/")
        assert response.status == 200, response.status
        page.locator("details.actie-form").first.evaluate("(el) => { el.open = true; }")
    elif page_type == "waiting":
        open_join_form(page, demo)
        form = page.locator("form:has(input[name='name'])")
        form.locator("input[name='name']").fill(PARTICIPANT[0])
        form.locator("select[name='partij']").select_option(label=PARTICIPANT[1])
        form.locator("button[type='submit']").click()
        expect(page.locator("#wait-status")).to_be_visible()
    elif page_type == "werkgroepen":
        log_in(page, demo)
        page.goto(f"/sessies/{demo['sessie']}/")
        expect(page.locator("details.werkgroepen input[type=checkbox]")).to_have_count(3)
    elif page_type == "werkgroep_choice":
        open_join_form(page, demo)
        form = page.locator("form:has(input[name='name'])")
        form.locator("input[name='name']").fill("Sanne Visser")
        form.locator("select[name='partij']").select_option(label="Expertisecentrum Ondermijning")
        form.locator("button[type='submit']").click()
        expect(page.locator(".werkgroep-choices button")).to_have_count(2)
    elif page_type == "werkgroep_kaart":
        log_in(page, demo)
        page.goto(f"/tafels/{demo['werkgroep']}/")
        expect(page.locator("#kaart-stap .werkgroep-lead")).to_be_visible()
    elif page_type == "revoked_link":
        response = page.goto(f"/j/{demo['sessie']}/not-the-token/")
        assert response.status == 410, f"expected the refused page (410), got {response.status}"
    elif page_type == "no_access":
        response = page.goto(f"/tafels/{demo['tafel']}/")
        assert response.status == 403, f"expected the no-access page, got {response.status}"
    elif page_type == "forbidden":
        log_in(page, demo)
        response = page.goto("/opgaven/nieuw/")
        assert response.status == 403, f"expected the 403 page, got {response.status}"
    elif page_type == "csrf_failure":
        page.goto("/login/")
        page.context.clear_cookies()  # the CSRF cookie is gone: the form's token cannot match
        form = page.locator("form:has(input[name='password'])")
        form.locator("input[name='username']").fill(demo["username"])
        form.locator("input[name='password']").fill(demo["password"])
        with page.expect_response(re.compile(r"/login/$")) as answer:
            form.locator("button[type='submit']").click()
        assert answer.value.status == 403, f"expected the CSRF page, got {answer.value.status}"
    elif page_type == "not_found":
        response = page.goto("/dit-bestaat-niet/")
        assert response.status == 404, f"expected the 404 page, got {response.status}"
    else:  # pragma: no cover - a typo in PAGE_TYPES
        raise AssertionError(f"unknown page type {page_type!r}")
    page.wait_for_load_state("load")


# axe-core -----------------------------------------------------------------------------------


def run_axe(page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(RUN_AXE, WCAG_21_AA)
    assert result["passes"], "axe-core checked nothing: is the page empty?"
    return result["violations"]


def open_all_details(page) -> int:
    """Open every <details> (the kaart's add and edit forms) and every condensed region (the
    other steps' content), so that axe checks them too."""
    return page.evaluate(
        """() => {
          const closed = [...document.querySelectorAll("details:not([open])")];
          closed.forEach((details) => { details.open = true; });
          const condensed = [...document.querySelectorAll(".region-toggle[aria-expanded=false]")];
          condensed.forEach((toggle) => toggle.click());
          return closed.length + condensed.length;
        }"""
    )


def _selector(target) -> str:
    # A target is a list of selectors (one per frame / shadow root), each possibly a list.
    parts = [" >>> ".join(part) if isinstance(part, list) else str(part) for part in target]
    return " | ".join(parts)


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        nodes = violation.get("nodes", [])
        targets = [_selector(node.get("target", [])) for node in nodes[:3]]
        lines.append(
            f"- {violation['id']} [{violation.get('impact')}] {violation['help']} "
            f"({len(nodes)} element(s); {violation.get('helpUrl', '')})"
        )
        lines.extend(f"    target: {target}" for target in targets)
        if nodes:
            summary = " ".join((nodes[0].get("failureSummary") or "").split())
            lines.append(f"    first: {nodes[0].get('html', '')[:200]}")
            lines.append(f"    why: {summary[:300]}")
    return "\n".join(lines)


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_axe_finds_no_wcag21_aa_violation(demo, new_context, page_type, language):
    prepare(page_type, demo)
    speak(demo, language)
    # The app's Content-Security-Policy (script-src 'self') refuses the injected axe script.
    page = new_context(locale=LANGUAGES[language], bypass_csp=True).new_page()
    open_page(page, page_type, demo)
    assert page.evaluate("document.documentElement.lang") == language, (
        f"the {page_type} page is not served in {language}"
    )

    violations = run_axe(page)
    if page_type.startswith("kaart") and open_all_details(page):
        # The add and edit forms, folded away at first, must pass as well.
        seen = {violation["id"] for violation in violations}
        violations += [v for v in run_axe(page) if v["id"] not in seen]

    assert not violations, (
        f"axe-core: {len(violations)} WCAG 2.1 A/AA violation(s) on the {page_type} page "
        f"({language}, {page.url}):\n{describe(violations)}"
    )


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("page_type", ["sessie_summary", "opgave_summary"])
def test_the_summaries_tables_scroll_by_keyboard_on_a_phone(demo, new_context, page_type, language):
    """At 390 px the wide tables scroll sideways: each such region takes the keyboard's focus
    (axe-core's scrollable-region-focusable, with every other WCAG 2.1 A/AA rule)."""
    prepare(page_type, demo)
    speak(demo, language)
    page = new_context(
        locale=LANGUAGES[language], bypass_csp=True, viewport={"width": 390, "height": 844}
    ).new_page()
    open_page(page, page_type, demo)
    scrolling = page.locator(".table-scroll").evaluate_all(
        "(all) => all.filter((el) => el.scrollWidth > el.clientWidth).length"
    )
    assert scrolling, "no table scrolls sideways at 390 px: the test would check nothing"
    violations = run_axe(page)
    assert not violations, (
        f"axe-core at 390 px: {len(violations)} violation(s) on the {page_type} page "
        f"({language}):\n{describe(violations)}"
    )


# Phone and desktop --------------------------------------------------------------------------


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 800)])
def test_the_kaart_has_no_horizontal_overflow(demo, new_context, width, height, language):
    speak(demo, language)
    context = new_context(locale=LANGUAGES[language], viewport={"width": width, "height": height})
    page = context.new_page()
    join(page, demo)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOTS / f"kaart-{width}px-{language}.png"
    page.screenshot(path=str(screenshot), full_page=True)
    sizes = page.evaluate(
        """() => ({
          scrollWidth: document.documentElement.scrollWidth,
          innerWidth: window.innerWidth,
          wider: [...document.querySelectorAll("body *")]
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
            .slice(0, 5)
            .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
              + (el.classList.length ? "." + [...el.classList].join(".") : "")),
        })"""
    )

    assert sizes["innerWidth"] == width
    assert sizes["scrollWidth"] <= sizes["innerWidth"], (
        f"the kaart scrolls sideways at {width}px ({language}): scrollWidth "
        f"{sizes['scrollWidth']} > {sizes['innerWidth']}; sticking out: {sizes['wider']}; "
        f"see {screenshot}"
    )
