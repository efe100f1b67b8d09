"""CSV in a zip (sessions/exports/csvzip.py, safety.py): the same tables, no cell a formula."""

from __future__ import annotations

import csv
import io
import zipfile

from sessions import exports
from sessions.exports import tables
from sessions.exports.safety import neutralise
from tests.exports.documents import opgave_summary
from tests.insight_data import INJECTION


def read_zip(content: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name.removesuffix(".csv"): list(
                csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")))
            )
            for name in archive.namelist()
        }


def test_csv_is_a_zip_of_the_same_tables_and_no_cell_can_start_a_formula(story):
    files = read_zip(exports.render(opgave_summary(story), "csv").content)
    assert sorted(files) == sorted(tables.TABLE_KEYS)
    cells = [cell for rows in files.values() for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'" + INJECTION in cells
    assert "'+31 bewoners die meedoen" in cells
    assert "'@Sociale veiligheid in de flats" in cells
    assert "'-Regie op de aanpak" in cells
    assert files["halen"][0][:4] == ["Sessie", "Tafel", "Partij", "Haal"]


def test_neutralise_leaves_ordinary_values_alone():
    assert neutralise("Gemeente") == "Gemeente"
    assert neutralise(3) == 3
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("") == ""
