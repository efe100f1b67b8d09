"""The pictures (sessions/pictures.py): accessible SVG, numbers not localised, the map."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.template.loader import render_to_string

from sessions import insight, pictures
from sessions.analysis import Edge, PartijInfo
from tests import factories
from tests.insight.viewers import SVG


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.strip())


def test_the_balance_chart_is_accessible_svg_with_bars_in_proportion(story, settings):
    summary = insight.summary_for_sessie(story.sessie_1.pk, complete=False)
    chart = summary.balans_chart(chart_id="c1")
    root = _parse(render_to_string("sessions/insight/balans.svg.html", {"chart": chart}))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text
    desc = root.find(f"{SVG}desc").text
    assert "Gemeente: halen 3, brengen 1." in desc
    widths = {row["name"]: (row["haal_w"], row["breng_w"]) for row in chart["rows"]}
    assert widths["Gemeente"][0] == pictures.BAR_MAX  # the largest value fills the bar
    assert widths["Politie"][0] == pytest.approx(pictures.BAR_MAX * 2 / 3, abs=0.1)
    # The CSP forbids inline styles: presentation attributes only.
    assert all(element.get("style") is None for element in root.iter())


def test_svg_numbers_are_not_localised(story):
    from django.utils import translation

    summary = insight.summary_for_opgave(story.opgave.pk, complete=False)
    with translation.override("nl"):
        svgs = [
            render_to_string(
                "sessions/insight/kaart_map.svg.html", {"kaartmap": summary.kaart_map()}
            ),
            render_to_string("sessions/insight/balans.svg.html", {"chart": summary.balans_chart()}),
        ]
    for svg in svgs:
        for element in _parse(svg).iter():
            for name in ("x", "y", "width", "height", "cx", "cy", "x1", "y2", "stroke-width"):
                if element.get(name) is not None:
                    float(element.get(name))  # "12,5" would raise


def test_the_map_draws_missing_partijen_dashed_and_an_arrow_per_pair(story):
    summary = insight.summary_for_opgave(story.opgave.pk, complete=False)
    kaartmap = summary.kaart_map(map_id="m1")
    root = _parse(render_to_string("sessions/insight/kaart_map.svg.html", {"kaartmap": kaartmap}))
    dashed = [
        rect
        for rect in root.iter(f"{SVG}rect")
        if rect.get("stroke-dasharray") and rect.get("width") == str(pictures.NODE_WIDTH)
    ]
    assert len(dashed) == 1  # the Openbaar Ministerie
    arrows = [p for p in root.iter(f"{SVG}path") if p.get("marker-end") == "url(#m1-arrow)"]
    assert len(arrows) == 2  # Politie -> Gemeente, Gemeente -> Woningcorporatie
    assert "Politie brings what Gemeente needs" in root.find(f"{SVG}desc").text


def test_an_empty_opgave_draws_empty_pictures(db):
    opgave = factories.OpgaveFactory()
    summary = insight.summary_for_opgave(opgave.pk, complete=False)
    assert summary.balans_chart()["empty"] and summary.kaart_map()["empty"]
    svg = render_to_string("sessions/insight/balans.svg.html", {"chart": summary.balans_chart()})
    assert "No halen or brengen yet." in svg
    _parse(svg)


def test_wrap_cuts_long_names_with_an_ellipsis():
    assert pictures.wrap("Ondernemers op de bedrijventerreinen", 19, 3) == [
        "Ondernemers op de",
        "bedrijventerreinen",
    ]
    lines = pictures.wrap("a " * 100, 10, 2)
    assert len(lines) == 2 and lines[-1].endswith("…")


def _on_curve(d: str, t: float) -> tuple[float, float]:
    """The point at `t` of a path "M x1,y1 C ax,ay bx,by x2,y2"."""
    x1, y1, ax, ay, bx, by, x2, y2 = (float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d))
    u = 1 - t
    return (
        u**3 * x1 + 3 * u * u * t * ax + 3 * u * t * t * bx + t**3 * x2,
        u**3 * y1 + 3 * u * u * t * ay + 3 * u * t * t * by + t**3 * y2,
    )


@pytest.mark.parametrize("n", [3, 5, 6, 7, 8, 10, 12])
def test_no_arrow_of_the_map_runs_over_another_partijs_box_or_the_opgave(n):
    """Every pair of partijen linked both ways: no arrow, nor its count, crosses the box of a
    partij it does not link, nor the opgave in the middle."""
    partijen = [PartijInfo(i, f"Partij met een lange naam {i}") for i in range(1, n + 1)]
    edges = [Edge(a.id, b.id, 2, ("x",)) for a in partijen for b in partijen if a.id != b.id]
    kaartmap = pictures.kaart_map(title="Een opgave", partijen=partijen, edges=edges)
    boxes = {node["name"]: node for node in kaartmap["nodes"]}
    centre = (
        kaartmap["centre_x"],
        kaartmap["centre_y"],
        kaartmap["centre_w"],
        kaartmap["centre_h"],
    )

    def inside(x, y, box, margin=2):
        bx, by, bw, bh = box
        return bx - margin < x < bx + bw + margin and by - margin < y < by + bh + margin

    crossings = []
    for arrow in kaartmap["arrows"]:
        others = [
            (node["x"], node["y"], node["width"], node["height"])
            for name, node in boxes.items()
            if name not in (arrow["from_name"], arrow["to_name"])
        ]
        points = [_on_curve(arrow["d"], t / 40) for t in range(1, 40)]
        points.append((arrow["label_x"], arrow["label_y"]))
        for x, y in points:
            if inside(x, y, centre) or any(inside(x, y, box) for box in others):
                crossings.append((arrow["from_name"], arrow["to_name"], round(x), round(y)))
                break
    assert crossings == []
