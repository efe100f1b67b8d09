"""XLSX (sessions/exports/xlsx.py): a sheet per table, formulas inert, what one may see."""

from __future__ import annotations

import datetime
import io

from django.utils import timezone, translation
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from sessions import exports, insight
from sessions.exports import tables
from tests.exports.documents import opgave_summary
from tests.insight_data import INJECTION


def test_xlsx_has_a_sheet_per_table_with_the_rows_one_may_see(story):
    content = exports.render(opgave_summary(story, complete=False), "xlsx").content
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["About this export", *tables.TABLE_KEYS]
    bijdragen = list(workbook["bijdragen"].iter_rows(values_only=True))
    assert bijdragen[0][:5] == ("Sessie", "Tafel", "Partij", "Haal or breng", "Text")
    assert sum(row[3] == "haal" for row in bijdragen[1:]) == 5
    brengen = [row[4] for row in bijdragen[1:] if row[3] == "breng"]
    assert brengen and "Cameratoezicht in portieken" not in brengen
    assert workbook["balans"].cell(row=2, column=6).number_format == "0%"


def test_every_table_filters_and_keeps_its_header_in_sight(story):
    workbook = load_workbook(io.BytesIO(exports.render(opgave_summary(story), "xlsx").content))
    for name in tables.TABLE_KEYS:
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2", name
        columns = len(next(sheet.iter_rows(values_only=True)))
        assert sheet.auto_filter.ref == f"A1:{get_column_letter(columns)}{sheet.max_row}", name


def test_dates_are_date_cells_and_long_texts_wrap(story):
    from sessions import services

    long = "Een gezamenlijke aanpak van de overlast, " * 4
    services.bijdrage_add(
        tafel=story.tafel_b, partij=story.partijen["Politie"], soort="haal", tekst=long
    )
    workbook = load_workbook(io.BytesIO(exports.render(opgave_summary(story), "xlsx").content))
    header, *rows = workbook["vervolgstappen"].iter_rows()
    dated = {row[2].value: row[5] for row in rows}
    assert dated["Wijkschouw"].is_date
    assert dated["Wijkschouw"].value.date() == datetime.date(2025, 3, 1)
    sheet = workbook["bijdragen"]
    (text,) = [row[4] for row in sheet.iter_rows(min_row=2) if row[4].value == long.strip()]
    assert text.alignment.wrap_text
    assert sheet.row_dimensions[text.row].height >= 45  # three lines or more, in sight


def test_the_balance_tables_never_mix_totals_with_their_parts(story):
    """The opgave's balance, and each sessie's in a table of its own: a sum counts once."""
    workbook = load_workbook(io.BytesIO(exports.render(opgave_summary(story), "xlsx").content))
    totals = list(workbook["balans"].iter_rows(min_row=2, values_only=True))
    per_sessie = list(workbook["balans_per_sessie"].iter_rows(min_row=2, values_only=True))
    assert len({row[0] for row in totals}) == len(totals)  # one row per partij
    assert {row[0] for row in per_sessie} <= {"Eerste sessie", "Tweede sessie"}
    # Weighted brengen: the sessies' rows add up to the totals, partij by partij.
    for partij, brengen, *_rest in totals:
        assert brengen == sum(row[2] for row in per_sessie if row[1] == partij)


def test_the_about_sheet_and_the_properties_say_what_the_export_is(story):
    summary = insight.summary_for_sessie(story.sessie_1.pk, complete=True)
    summary.exported_by = "Fenna Facilitator"
    with translation.override("nl"):
        workbook = load_workbook(io.BytesIO(exports.render(summary, "xlsx").content))
    assert workbook.sheetnames[0] == "Over deze export"
    about = {row[0]: row[1] for row in workbook["Over deze export"].iter_rows(values_only=True)}
    assert about["Opgave"] == "Veilige wijk" and about["Sessie"] == "Eerste sessie"
    assert about["Geëxporteerd door"] == "Fenna Facilitator"
    exported = about["Geëxporteerd op"]
    assert isinstance(exported, datetime.datetime)
    assert exported == timezone.localtime(summary.generated_at).replace(
        tzinfo=None, microsecond=exported.microsecond
    )
    assert "vertrouwelijk" in about["Inhoud"]
    assert workbook.properties.creator == "Halen/Brengen"
    assert workbook.properties.title == "Eerste sessie"
    assert workbook.properties.lastModifiedBy == "Fenna Facilitator"


def test_a_formula_in_user_text_stays_inert_text_in_xlsx(story):
    content = exports.render(opgave_summary(story), "xlsx").content
    workbook = load_workbook(io.BytesIO(content))
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    (payload,) = [c for c in cells if c.value == INJECTION]
    assert payload.data_type == "s" and payload.quotePrefix
    plus = next(c for c in cells if c.value == "+31 bewoners die meedoen")
    assert plus.data_type == "s"


def test_control_characters_in_user_text_do_not_break_the_xlsx(story):
    from sessions import services

    services.bijdrage_add(
        tafel=story.tafel_b, partij=story.partijen["Politie"], soort="haal", tekst="Bel\x0bmij\x07"
    )
    content = exports.render(opgave_summary(story), "xlsx").content
    texts = [
        row[4]
        for row in load_workbook(io.BytesIO(content))["bijdragen"].iter_rows(values_only=True)
    ]
    assert "Belmij" in texts


def test_only_a_complete_export_has_a_confidential_column(story):
    shared = load_workbook(io.BytesIO(exports.render(opgave_summary(story, False), "xlsx").content))
    complete = load_workbook(
        io.BytesIO(exports.render(opgave_summary(story, True), "xlsx").content)
    )
    assert "Confidential" not in next(shared["bijdragen"].iter_rows(values_only=True))
    header = next(complete["bijdragen"].iter_rows(values_only=True))
    column = header.index("Confidential")
    rows = {r[4]: r[column] for r in complete["bijdragen"].iter_rows(min_row=2, values_only=True)}
    assert rows["Cameratoezicht in portieken"] == "yes" and rows["Buurtbudget"] == "no"
