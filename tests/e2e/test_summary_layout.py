"""The summaries' layout in a real browser: every label of the balance chart, warnings
included, stays inside the picture (a warning once ran past its left edge), and on a desktop
no table of the opgave's summary scrolls sideways (eight partijen once did)."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from sessions import analysis, pictures
from sessions.analysis import BijdrageInfo, PartijInfo
from tests.e2e import test_accessibility as a11y
from tests.e2e.test_accessibility import LANGUAGES, open_page, prepare, speak

demo = a11y.demo  # the seeded demo opgave, as the accessibility tests have it

# Every text's box against the picture's own (its viewBox), in the picture's units.
OUTSIDE = """() => {
  const svg = document.querySelector("svg");
  const box = svg.viewBox.baseVal;
  return [...svg.querySelectorAll("text")].map((t) => [t.textContent, t.getBBox()])
    .filter(([, b]) => b.x < box.x || b.x + b.width > box.x + box.width)
    .map(([text, b]) => `${text}: ${Math.round(b.x)}..${Math.round(b.x + b.width)}`);
}"""


def flagged_chart() -> dict:
    """Partijen with long names, one that only takes far more, one that only brings."""
    partijen = [
        PartijInfo(1, "Expertisecentrum Ondermijning Zuid-Holland"),
        PartijInfo(2, "Omgevingsdienst Haaglanden"),
        PartijInfo(3, "Gemeente"),
    ]
    bijdragen = [BijdrageInfo(i, 1, "haal", f"Wens {i}", 3) for i in range(1, 6)]
    bijdragen += [BijdrageInfo(10, 2, "breng", "Kennis", 1), BijdrageInfo(11, 3, "haal", "x", 1)]
    bijdragen += [BijdrageInfo(12, 3, "breng", "y", 1)]
    balans = analysis.balans(partijen, bijdragen)
    assert any(len(row.flags) > 1 for row in balans.rows)  # a partij with two warnings
    return pictures.balans_chart(balans)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_label_of_the_balance_chart_stays_inside_it(new_context, language):
    with translation.override(language):
        svg = render_to_string("sessions/insight/balans.svg.html", {"chart": flagged_chart()})
    page = new_context().new_page()
    page.set_content(f"<!DOCTYPE html><html><body>{svg}</body></html>")
    assert page.locator("svg text").count() > 6
    assert page.evaluate(OUTSIDE) == []


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_on_a_desktop_no_table_of_the_opgave_summary_scrolls_sideways(demo, new_context, language):
    from sessions import services
    from sessions.models import Opgave, Partij

    # An eighth partij, noted as missing: eight columns did not fit at 1280 px.
    services.partij_add(
        opgave=Opgave.objects.get(pk=demo["opgave"]),
        name="Woningcorporatie Haaglanden",
        status=Partij.Status.ONTBREEKT,
    )
    prepare("opgave_summary", demo)
    speak(demo, language)
    page = new_context(locale=LANGUAGES[language], viewport={"width": 1280, "height": 900})
    page = page.new_page()
    open_page(page, "opgave_summary", demo)
    tables = page.locator(".table-scroll")
    assert tables.count() >= 2
    sideways = tables.evaluate_all(
        "(all) => all.filter((el) => el.scrollWidth > el.clientWidth + 1)"
        ".map((el) => el.getAttribute('aria-label'))"
    )
    assert sideways == []
    # More partijen than sessies: a row per partij.
    heads = page.locator(".matrix tbody th").all_inner_texts()
    assert "Gemeente" in heads and "Politie" in heads
