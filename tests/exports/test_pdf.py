"""PDF (sessions/exports/pdf.py): the summary with its pictures; the demo's findings in it."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from sessions import exports, insight
from sessions.models import Opgave


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_sessie_pdf_holds_the_summary_and_its_pictures(story):
    content = exports.render(
        insight.summary_for_sessie(story.sessie_1.pk, complete=False), "pdf"
    ).content
    assert content.startswith(b"%PDF")
    text = " ".join(pdf_text(content).split())
    for expected in (
        "Summary of Eerste sessie",
        "Balance",
        "Missing partijen",
        "Openbaar Ministerie",
        "Minder overlast in de wijk",
        "Wijkschouw",
    ):
        assert expected in text
    assert "Cameratoezicht" not in text
    # The pictures are vector graphics in the PDF, with their labels as text.
    assert "Halen (weighted)" in text and "brings what the other needs" in text


def test_the_demo_summary_shows_the_missing_partijen_and_the_balance_of_the_five(db):
    call_command("seed_demo", stdout=io.StringIO())
    summary = insight.summary_for_opgave(Opgave.objects.get().pk, complete=False)
    five = [
        "Belastingdienst",
        "Expertisecentrum Ondermijning",
        "Gemeente",
        "Omgevingsdienst",
        "Politie",
    ]
    missing = ["Ondernemers op de bedrijventerreinen", "Openbaar Ministerie"]

    text = " ".join(pdf_text(exports.render(summary, "pdf").content).split())
    for name in five + missing:
        assert name in text
    assert "noted as missing" in text

    markdown = exports.render(summary, "md").content.decode()
    balance = markdown.split("## Balance")[1].split("## Missing partijen")[0]
    assert [
        line.split(" | ")[0].lstrip("| ")
        for line in balance.splitlines()
        if line.startswith("| ") and "---" not in line
    ][1:] == five
    missing_section = markdown.split("## Missing partijen")[1].split("##")[0]
    assert all(f"**{name}** (noted as missing)" in missing_section for name in missing)

    workbook = load_workbook(io.BytesIO(exports.render(summary, "xlsx").content))
    rows = list(workbook["balans"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("Belastingdienst", 2, 1),
        ("Expertisecentrum Ondermijning", 2, 1),
        ("Gemeente", 5, 2),
        ("Omgevingsdienst", 2, 1),
        ("Politie", 5, 2),
    ]
    partijen = {r[0]: r[5] for r in workbook["partijen"].iter_rows(min_row=2, values_only=True)}
    assert partijen["Openbaar Ministerie"] == "noted as missing: gebiedsofficier"


def test_a_complete_pdf_says_it_is_confidential_on_every_page(story):
    complete = PdfReader(
        io.BytesIO(
            exports.render(
                insight.summary_for_opgave(story.opgave.pk, complete=True), "pdf"
            ).content
        )
    )
    shared = exports.render(
        insight.summary_for_opgave(story.opgave.pk, complete=False), "pdf"
    ).content
    assert len(complete.pages) > 1
    for page in complete.pages:
        assert "Confidential: with confidential items" in " ".join(page.extract_text().split())
    assert "Confidential:" not in pdf_text(shared)


def test_the_pdf_says_what_kind_of_breng_whether_it_is_promised_and_its_weight_in_words(story):
    summary = insight.summary_for_sessie(story.sessie_1.pk, complete=False)
    with translation.override("nl"):
        text = " ".join(pdf_text(exports.render(summary, "pdf").content).split())
    assert "toegezegd" in text or "mogelijk" in text
    assert "gewicht 3" in text


def test_the_opgave_pdf_lists_the_koppelingen_with_the_brengen_in_use(story):
    summary = insight.summary_for_opgave(story.opgave.pk, complete=False)
    with translation.override("nl"):
        text = " ".join(pdf_text(exports.render(summary, "pdf").content).split())
    koppelingen = text.split("Koppelingen: de brengen die gebruikt worden")[1]
    assert "2 koppelingen" in koppelingen
    assert "Politie brengt “Extra surveillance”" in koppelingen
    assert "(mensen en tijd · toegezegd · gewicht 2)" in koppelingen
