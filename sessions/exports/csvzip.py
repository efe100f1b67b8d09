"""CSV: a zip with one UTF-8 CSV file per table; user text is never a formula."""

from __future__ import annotations

import csv
import io
import zipfile

from sessions.exports import tables
from sessions.exports.safety import neutralise
from sessions.insight import Summary


def render(summary: Summary) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in tables.build(summary):
            text = io.StringIO()
            # The byte order mark lets spreadsheet programs recognise UTF-8.
            text.write("\ufeff")
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow([neutralise(h) for h in table.headers])
            writer.writerows([neutralise(v) for v in row] for row in table.rows)
            archive.writestr(f"{table.key}.csv", text.getvalue().encode("utf-8"))
    return buffer.getvalue()
