"""CSV: a zip with one UTF-8 CSV file per table and a README.txt; user text is never a formula.

The files are written as a spreadsheet program in the export's language reads them: where
the decimal separator is a comma (Dutch), fields are separated by semicolons, as Excel with
Dutch settings expects; in English by commas with a decimal point.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from typing import Any

from django.utils.formats import get_format
from django.utils.translation import gettext as _

from sessions.exports import tables
from sessions.exports.safety import neutralise
from sessions.insight import Summary


def _dialect() -> tuple[str, str]:
    """(field separator, decimal separator) for the active language."""
    decimal = get_format("DECIMAL_SEPARATOR")
    return (";" if decimal == "," else ","), decimal


def _value(value: Any, decimal: str) -> Any:
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".").replace(".", decimal)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return neutralise(value)


def _readme(summary: Summary, names: list[str], separator: str, decimal: str) -> str:
    lines = [f"{label}: {_value(value, decimal)}" for label, value in tables.about(summary)]
    lines += [
        "",
        _(
            "Each CSV file is one table; the first row names the columns. Fields are "
            "separated by %(separator)s, decimals written with %(decimal)s, dates as "
            "YYYY-MM-DD, text in UTF-8."
        )
        % {
            "separator": _("a semicolon (;)") if separator == ";" else _("a comma (,)"),
            "decimal": _("a decimal comma") if decimal == "," else _("a decimal point"),
        },
        "",
        *names,
    ]
    return "\r\n".join(lines) + "\r\n"


def render(summary: Summary) -> bytes:
    separator, decimal = _dialect()
    built = tables.build(summary)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        names = [f"{table.key}.csv" for table in built]
        archive.writestr("README.txt", _readme(summary, names, separator, decimal).encode())
        for name, table in zip(names, built, strict=True):
            text = io.StringIO()
            # The byte order mark lets spreadsheet programs recognise UTF-8.
            text.write("\ufeff")
            writer = csv.writer(text, delimiter=separator, lineterminator="\r\n")
            writer.writerow([neutralise(h) for h in table.headers])
            writer.writerows([_value(v, decimal) for v in row] for row in table.rows)
            archive.writestr(name, text.getvalue().encode("utf-8"))
    return buffer.getvalue()
