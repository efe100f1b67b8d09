"""Markdown (sessions/exports/markdown.py)."""

from __future__ import annotations

import dataclasses
import datetime
import re

from django.utils import translation

from sessions import exports, insight
from sessions.exports.markdown import md
from tests.exports.documents import opgave_summary
from tests.insight_data import INJECTION


def test_markdown_escapes_user_text_and_respects_vertrouwelijk(story):
    text = exports.render(opgave_summary(story, complete=False), "md").content.decode()
    assert text.startswith("# Summary of Veilige wijk\n")
    assert "## Balance" in text and "| Gemeente |" in text
    assert md(INJECTION) in text
    assert "Cameratoezicht" not in text
    assert md("[x](javascript:alert(1)) <b>") == r"\[x\](javascript:alert(1)) \<b\>"


def headings(text: str) -> list[str]:
    return [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]


def test_dutch_markdown_has_dutch_headings_local_times_and_decimal_commas(story):
    summary = insight.summary_for_sessie(story.sessie_1.pk, complete=False)
    # 11:30 UTC on a winter's day is 12:30 in the Netherlands.
    summary = dataclasses.replace(
        summary, generated_at=datetime.datetime(2026, 12, 1, 11, 30, tzinfo=datetime.UTC)
    )
    english = exports.render(summary, "md").content.decode()
    with translation.override("nl"):
        dutch = exports.render(summary, "md").content.decode()
    # What we wrote differs by language; the same are only user text (titles) and the
    # method's Dutch terms that English keeps (docs/glossary: "Formulering").
    same_in_both = {"Eerste sessie", "Tafel 1", "Tafel 2", "Formulering"}
    untranslated = (set(headings(dutch)) & set(headings(english))) - same_in_both
    assert not untranslated
    assert "## De kaarten" in dutch
    assert "12:30" in dutch and "11:30" not in dutch
    assert re.search(r"mediaan 4,5\b", dutch) and "4.5" not in dutch
    assert "gewicht 3" in dutch


def test_markdown_says_what_kind_of_breng_and_whether_it_is_promised(story):
    text = exports.render(opgave_summary(story, complete=False), "md").content.decode()
    brengen = [line for line in text.splitlines() if line.startswith("- Breng: ")]
    assert brengen and all("· weight " in line for line in brengen)
    assert any("committed" in line or "possible" in line for line in brengen)


def test_one_partij_far_from_the_median_is_written_in_the_singular(story):
    summary = insight.summary_for_opgave(story.opgave.pk, complete=True)  # urgencies 5, 4, 1
    with translation.override("nl"):
        text = exports.render(summary, "md").content.decode()
    assert "(1) ligt 2 of meer van de mediaan af." in text
    assert "liggen 2 of meer" not in text
