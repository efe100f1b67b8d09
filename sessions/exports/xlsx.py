"""XLSX: an "about this export" sheet, then a sheet per table (openpyxl, write-only for speed);
user text is never a formula.

Every table has its header frozen and an autofilter; dates are date cells, shares percent
cells, long texts wrap. openpyxl writes much faster when lxml is installed (it then uses
lxml's xmlfile).
"""

from __future__ import annotations

import copy
import datetime
import io
from typing import Any

from django.utils.formats import get_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sessions.exports import tables
from sessions.exports.safety import is_formula_like
from sessions.insight import Summary

# Columns at least this wide hold running text: it wraps instead of running on.
WRAP_FROM_WIDTH = 30
LINE_HEIGHT = 15  # points: a line of the default font
# A column's width counts characters of the widest kind; running text is about a sixth narrower.
CHARACTERS_PER_WIDTH = 1.15
MAX_LINES = 15  # a longer text scrolls in its cell
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True)  # at the bottom, as the row's other cells
TOP = Alignment(vertical="top")
TOP_WRAP = Alignment(wrap_text=True, vertical="top", horizontal="left")


class _Cells:
    """Cells of one workbook, their styles looked up once: setting a style on each of tens of
    thousands of cells (a hash of the style per cell) cost more than writing them."""

    def __init__(self, sheet) -> None:
        day_first = get_format("DECIMAL_SEPARATOR") == ","  # Dutch and the like
        self.styles = {
            "wrap": self._style(sheet, alignment=WRAP),
            "date": self._style(sheet, number_format="dd-mm-yyyy" if day_first else "yyyy-mm-dd"),
            "moment": self._style(
                sheet, number_format="dd-mm-yyyy hh:mm" if day_first else "yyyy-mm-dd hh:mm"
            ),
            "percent": self._style(sheet, number_format="0%"),
            "text": self._style(sheet, quotePrefix=True),
            "wrap text": self._style(sheet, alignment=WRAP, quotePrefix=True),
        }

    @staticmethod
    def _style(sheet, **attributes) -> Any:
        cell = WriteOnlyCell(sheet)
        for name, value in attributes.items():
            setattr(cell, name, value)
        return cell._style

    def __call__(self, sheet, value: Any, *, wrap: bool = False, percent: bool = False) -> Any:
        kind = type(value)
        if kind is int or kind is bool:
            return value
        if kind is str:
            if not value:
                return None  # no cell at all
            if ILLEGAL_CHARACTERS_RE.search(value):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters break the file
            if is_formula_like(value):
                # Stored as text, with Excel's quote prefix: shown as typed, never run.
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cell._style = copy.copy(self.styles["wrap text" if wrap else "text"])
                return cell
            if not wrap:
                return value  # a plain cell: much faster to write
            style = "wrap"
        elif value is None:
            return None
        elif isinstance(value, datetime.datetime):
            style = "moment"
        elif isinstance(value, datetime.date):
            style = "date"
        elif percent:
            style = "percent"
        else:
            return value
        cell = WriteOnlyCell(sheet, value=value)
        cell._style = copy.copy(self.styles[style])
        return cell


def _lines(row: list[Any], wrap: dict[int, int]) -> int:
    """About how many lines the row's texts take in the columns `wrap` (index -> characters a
    line holds)."""
    lines = 1
    for index, per_line in wrap.items():
        value = row[index] if index < len(row) else ""
        if isinstance(value, str) and len(value) > per_line:
            lines = max(lines, sum(-(-len(part) // per_line) or 1 for part in value.split("\n")))
    return min(lines, MAX_LINES)


def _printable(sheet, *, landscape: bool = True) -> None:
    """Printed as a page that fits the width, the header row on every page."""
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as it takes


def _about_sheet(workbook: Workbook, summary: Summary, built: list[tables.Table]) -> None:
    sheet = workbook.create_sheet(title=_("About this export")[:31])
    _cell = _Cells(sheet)
    _printable(sheet, landscape=False)
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 80
    for number, (label, value) in enumerate(tables.about(summary), start=1):
        lines = _lines([value], {0: int(80 * CHARACTERS_PER_WIDTH)})
        if lines > 1:
            sheet.row_dimensions[number].height = LINE_HEIGHT * lines
        head = WriteOnlyCell(sheet, value=label)
        head.font = BOLD
        head.alignment = TOP
        cell = _cell(sheet, value, wrap=True)
        if cell is not None:
            cell.alignment = TOP_WRAP
        sheet.append([head, cell])
    sheet.append([])
    head = WriteOnlyCell(sheet, value=_("Sheets"))
    head.font = BOLD
    head.alignment = TOP
    sheets = _cell(sheet, ", ".join(table.key for table in built), wrap=True)
    sheets.alignment = TOP_WRAP
    sheet.append([head, sheets])


def render(summary: Summary) -> bytes:
    workbook = Workbook(write_only=True)
    built = tables.build(summary)
    _about_sheet(workbook, summary, built)
    for table in built:
        sheet = workbook.create_sheet(title=table.key)
        _cell = _Cells(sheet)
        sheet.freeze_panes = "A2"
        _printable(sheet)
        sheet.print_title_rows = "1:1"
        last = get_column_letter(len(table.headers))
        sheet.auto_filter.ref = f"A1:{last}{len(table.rows) + 1}"
        # Text columns, by the characters a line of them holds: a longer text wraps.
        wrap = {}
        for index, width in enumerate(table.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
            if width >= WRAP_FROM_WIDTH:
                wrap[index - 1] = int(width * CHARACTERS_PER_WIDTH)
        header = []
        for text in table.headers:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = BOLD
            header.append(cell)
        sheet.append(header)
        percent = set(table.percent_columns)
        for number, row in enumerate(table.rows, start=2):
            lines = _lines(row, wrap)
            if lines > 1:
                # Set before the row is written: not every program sizes wrapped rows itself.
                sheet.row_dimensions[number].height = LINE_HEIGHT * lines
            sheet.append(
                [
                    _cell(
                        sheet,
                        value,
                        wrap=lines > 1 and index in wrap and len(value) > wrap[index],
                        percent=index in percent,
                    )
                    for index, value in enumerate(row)
                ]
            )
    properties = workbook.properties
    properties.creator = "Halen/Brengen"
    properties.lastModifiedBy = summary.exported_by or "Halen/Brengen"
    properties.title = summary.sessie.title if summary.sessie is not None else summary.opgave.title
    properties.subject = summary.opgave.title
    properties.language = get_language()
    properties.created = properties.modified = summary.generated_at.replace(tzinfo=None)
    if summary.complete:
        properties.keywords = _("confidential")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
