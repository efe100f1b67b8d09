"""The insight selectors (what is loaded, for whom, in how many queries) and the pictures."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from sessions import analysis, insight, pictures, services
from sessions.access import Access
from sessions.models import Opgave, Sessie
from tests import factories
from tests.insight_data import build_story

SVG = "{http://www.w3.org/2000/svg}"
FACILITATOR = Access(can_view=True, can_edit=True, can_manage=True, role="facilitator")
COORDINATOR = Access(can_view=True, role="coordinator")


@pytest.fixture
def story(db):
    return build_story(factories.TeamFactory())


def test_a_coordinator_never_sees_confidential_items_nor_unrevealed_perspectieven(story):
    summary = insight.summary_for_opgave(story.opgave.pk, complete=False)
    texts = {b.tekst for b in summary.bijdragen}
    assert "Cameratoezicht in portieken" not in texts
    assert {p.tekst for p in summary.perspectieven} == {"Overlast neemt toe.", "Meer meldingen."}
    assert not summary.complete


def test_a_facilitator_sees_everything(story):
    summary = insight.summary_for_opgave(story.opgave.pk, complete=True)
    assert "Cameratoezicht in portieken" in {b.tekst for b in summary.bijdragen}
    unrevealed = [p for p in summary.perspectieven if not p.revealed]
    assert [p.tekst for p in unrevealed] == ["Nog niet gedeeld."]
    # Only revealed or not, the facilitator's urgency includes it.
    assert summary.findings.urgency.minimum == 1


def test_opgave_findings_merge_the_kaarten_and_keep_each_sessie_apart(story):
    summary = insight.summary_for_opgave(story.opgave.pk, complete=False)
    found = summary.findings
    gemeente = found.balans.row_for(story.partijen["Gemeente"].pk)
    # "Minder overlast in de wijk" on two tafels counts once, with its highest weight (3).
    assert gemeente.haal == 3
    assert gemeente.breng == 1 + 3
    assert [m.name for m in found.missing] == ["Openbaar Ministerie"]
    first = summary.per_sessie[story.sessie_1.pk]
    second = summary.per_sessie[story.sessie_2.pk]
    assert first.koppelingen == 1 and second.koppelingen == 1
    assert {b.tekst for b in second.needs} == set()
    # In the second sessie only the Woningcorporatie and the Gemeente wrote; the Politie is
    # not named there, so it is not missing either.
    assert second.present_ids == {
        story.partijen["Woningcorporatie"].pk,
        story.partijen["Gemeente"].pk,
    }
    assert [m.name for m in second.missing] == ["Openbaar Ministerie"]


def test_a_partij_named_in_a_vervolgstap_but_not_at_the_table_is_suggested_missing(story):
    services.vervolgstap_add(
        tafel=story.tafel_c,
        title="Bewoners betrekken",
        eigenaar=story.partijen["Gemeente"],
        partijen=[story.partijen["Bewonersgroep"]],
    )
    summary = insight.summary_for_sessie(story.sessie_2.pk, complete=False)
    suggested = [m for m in summary.findings.missing if m.suggested]
    assert [(m.name, m.reasons[0].kind, m.reasons[0].detail) for m in suggested] == [
        ("Bewonersgroep", analysis.REASON_DEELNEMER, "Bewoners betrekken")
    ]


def test_a_sessie_summary_holds_only_that_sessie_and_its_own_text_changes(story):
    summary = insight.summary_for_sessie(story.sessie_2.pk, complete=False)
    assert [s.id for s in summary.sessies] == [story.sessie_2.pk]
    assert {b.tafel_id for b in summary.bijdragen} == {story.tafel_c.pk}
    view = insight.page_context(summary)["view"]
    assert [(c.versie.veld, c.versie.nummer) for c in view.history] == [("ambitie", 1)]
    # Versions made in other sessies refer to no sessie in this document.
    assert {v.sessie_id for v in summary.versies} <= {None, story.sessie_2.pk}


def test_the_number_of_queries_does_not_grow_with_the_opgave(story):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            summary = insight.summary_for_opgave(story.opgave.pk, complete=True)
            insight.page_context(summary)
        return len(queries)

    before = count()
    sessie = services.sessie_create(opgave=story.opgave, title="Derde", tafels=3)
    for tafel in sessie.tafels.all():
        for i in range(5):
            services.bijdrage_add(
                tafel=tafel, partij=story.partijen["Politie"], soort="haal", tekst=f"Extra {i}"
            )
        services.vervolgstap_add(
            tafel=tafel,
            title="Stap",
            eigenaar=story.partijen["Politie"],
            partijen=[story.partijen["Gemeente"]],
        )
    factories.DeelnemerFactory(tafel=sessie.tafels.first(), partij=story.partijen["Gemeente"])
    assert count() == before <= 12


def test_kaart_insight_gives_the_pictures_of_one_tafel_as_the_person_may_see_them(story):
    for_coordinator = insight.kaart_insight(story.tafel_a.pk, COORDINATOR)
    for_facilitator = insight.kaart_insight(story.tafel_a.pk, FACILITATOR)
    corporatie = story.partijen["Woningcorporatie"].pk
    assert for_coordinator["findings"].balans.row_for(corporatie) is None
    assert for_facilitator["findings"].balans.row_for(corporatie).breng == 1
    assert for_coordinator["chart"]["id"] == f"balans-t{story.tafel_a.pk}"
    assert {"chart", "kaartmap", "findings", "flag_labels", "reason_labels"} <= set(for_facilitator)
    svg = render_to_string("sessions/insight/kaart_map.svg.html", for_facilitator)
    assert "Openbaar Ministerie" in svg


def test_the_kaart_shows_the_same_insight_as_the_loader_for_every_viewer(story):
    """The live kaart takes its pictures from the rows it has loaded (no queries of its own):
    for every viewer they equal what the insight loader reads, confidential items and
    unrevealed perspectieven included or left out alike."""
    from sessions import selectors
    from sessions.models import Bijdrage

    tafel = story.tafel_a
    corporatie, bewoners = story.partijen["Woningcorporatie"], story.partijen["Bewonersgroep"]
    deelnemer = factories.DeelnemerFactory(tafel=tafel, partij=corporatie)
    own = services.bijdrage_add(
        tafel=tafel,
        partij=corporatie,
        soort="breng",
        tekst="Sleutels van de leegstaande panden",
        gewicht=3,
        vertrouwelijk=True,
        actor=services.Actor(deelnemer=deelnemer),
    )
    haal = Bijdrage.objects.get(tafel=tafel, partij=bewoners, soort="haal")
    services.koppeling_add(tafel=tafel, haal_id=haal.pk, breng_id=own.pk)
    services.bijdrage_move(tafel=tafel, bijdrage_id=own.pk, direction="up")
    viewers = {
        "facilitator": FACILITATOR,
        "coordinator": COORDINATOR,
        "its author": Access(can_view=True, can_edit=True, role="deelnemer", deelnemer=deelnemer),
        "another participant": Access(
            can_view=True,
            can_edit=True,
            role="deelnemer",
            deelnemer=factories.DeelnemerFactory(tafel=tafel, partij=bewoners),
        ),
    }
    seen = set()
    for name, viewer in viewers.items():
        kaart = selectors.kaart_for(tafel.pk, viewer)
        with CaptureQueriesContext(connection) as queries:
            of_kaart = kaart.insight
        assert len(queries) == 0, name
        loaded = insight.kaart_insight(tafel.pk, viewer)
        assert of_kaart == loaded, name
        seen.add((of_kaart["findings"].brengen, of_kaart["findings"].koppelingen))
    assert len(seen) == 2  # the sensitive ones are in some views and not in others


def test_kaart_insight_takes_a_constant_number_of_queries(story):
    with CaptureQueriesContext(connection) as queries:
        insight.kaart_insight(story.tafel_a.pk, FACILITATOR)
    assert len(queries) <= 10


# The pictures ------------------------------------------------------------------------------


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


# The demo opgave ---------------------------------------------------------------------------


def test_the_demo_opgave_shows_the_story_findings(db):
    call_command("seed_demo", stdout=io.StringIO())
    opgave = Opgave.objects.get()
    summary = insight.summary_for_opgave(opgave.pk, complete=False)
    found = summary.findings
    assert [(m.name, m.declared) for m in found.missing] == [
        ("Ondernemers op de bedrijventerreinen", True),
        ("Openbaar Ministerie", True),
    ]
    assert {row.name: (row.breng, row.haal) for row in found.balans.rows} == {
        "Belastingdienst": (2, 1),
        "Expertisecentrum Ondermijning": (2, 1),
        "Gemeente": (5, 2),
        "Omgevingsdienst": (2, 1),
        "Politie": (5, 2),
    }
    # As in the story: the balance check finds enough balance between the partijen.
    assert all(not row.flags for row in found.balans.rows)
    assert [b.tekst for b in found.needs] == ["Lessen uit deze aanpak voor andere gemeenten"]
    assert found.urgency.outliers == []
    assert len(summary.history["formulering"]) == 2
    sessie = Sessie.objects.get()
    assert insight.summary_for_sessie(sessie.pk, complete=False).findings.balans == found.balans
