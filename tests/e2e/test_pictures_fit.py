"""The balance chart in a real browser: every label, warnings included, stays inside the
picture, in both languages (a warning once ran past the chart's left edge)."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from sessions import analysis, pictures
from sessions.analysis import BijdrageInfo, PartijInfo

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
