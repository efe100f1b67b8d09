"""XLSX (sessions/exports/xlsx.py): a sheet per table, formulas inert, what one may see."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from sessions import exports
from sessions.exports import tables
from tests.exports.documents import opgave_summary
from tests.insight_data import INJECTION


def test_xlsx_has_a_sheet_per_table_with_the_rows_one_may_see(story):
    content = exports.render(opgave_summary(story, complete=False), "xlsx").content
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == list(tables.TABLE_KEYS)
    halen = list(workbook["halen"].iter_rows(values_only=True))
    assert halen[0][:4] == ("Sessie", "Tafel", "Partij", "Haal")
    assert len(halen) - 1 == 5
    brengen = [row[3] for row in workbook["brengen"].iter_rows(min_row=2, values_only=True)]
    assert "Cameratoezicht in portieken" not in brengen
    balans = list(workbook["balans"].iter_rows(min_row=2, values_only=True))
    assert {row[0] for row in balans} == {"All sessies", "Eerste sessie", "Tweede sessie"}
    assert workbook["balans"].cell(row=2, column=7).number_format == "0%"


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
        row[3] for row in load_workbook(io.BytesIO(content))["halen"].iter_rows(values_only=True)
    ]
    assert "Belmij" in texts


def test_only_a_complete_export_has_a_confidential_column(story):
    shared = load_workbook(io.BytesIO(exports.render(opgave_summary(story, False), "xlsx").content))
    complete = load_workbook(
        io.BytesIO(exports.render(opgave_summary(story, True), "xlsx").content)
    )
    assert "Confidential" not in next(shared["brengen"].iter_rows(values_only=True))
    header = next(complete["brengen"].iter_rows(values_only=True))
    column = header.index("Confidential")
    rows = {r[3]: r[column] for r in complete["brengen"].iter_rows(min_row=2, values_only=True)}
    assert rows["Cameratoezicht in portieken"] == "yes" and rows["Buurtbudget"] == "no"
