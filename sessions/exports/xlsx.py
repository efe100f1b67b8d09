"""XLSX: a sheet per table (openpyxl, write-only for speed); user text is never a formula.

openpyxl writes much faster when lxml is installed (it then uses lxml's xmlfile).
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from sessions.exports import tables
from sessions.exports.safety import is_formula_like
from sessions.insight import Summary


def render(summary: Summary) -> bytes:
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in tables.build(summary):
        sheet = workbook.create_sheet(title=table.key)
        sheet.freeze_panes = "A2"
        for index, width in enumerate(table.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        header = []
        for text in table.headers:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        percent = set(table.percent_columns)
        for row in table.rows:
            values = []
            for index, value in enumerate(row):
                if value == "":
                    values.append(None)  # no cell at all
                    continue
                if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
                    # Control characters are not allowed in the file format.
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)
                if is_formula_like(value):
                    # Stored as text, with Excel's quote prefix: shown as typed, never run.
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type = "s"
                    cell.quotePrefix = True
                    values.append(cell)
                elif index in percent:
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = "0%"
                    values.append(cell)
                else:
                    values.append(value)
            sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
