"""The loader (sessions/insight/loading.py): what is loaded, for whom, in how many queries."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions import analysis, insight, services
from sessions.models import Opgave, Sessie
from tests import factories


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
    assert count() == before <= 13  # kernboodschappen and follow-ups: one query each


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
