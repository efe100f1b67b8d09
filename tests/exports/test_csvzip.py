"""CSV in a zip (sessions/exports/csvzip.py, safety.py): the same tables, no cell a formula."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.utils import translation

from sessions import exports, insight
from sessions.exports import tables
from sessions.exports.safety import neutralise
from tests.exports.documents import opgave_summary
from tests.insight_data import INJECTION


def read_zip(content: bytes, delimiter: str = ",") -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name.removesuffix(".csv"): list(
                csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")), delimiter=delimiter)
            )
            for name in archive.namelist()
            if name.endswith(".csv")
        }


def readme(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read("README.txt").decode("utf-8")


def test_csv_is_a_zip_of_the_same_tables_and_no_cell_can_start_a_formula(story):
    files = read_zip(exports.render(opgave_summary(story), "csv").content)
    assert sorted(files) == sorted(tables.TABLE_KEYS)  # an opgave's: balans_per_sessie too
    cells = [cell for rows in files.values() for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'" + INJECTION in cells
    assert "'+31 bewoners die meedoen" in cells
    assert "'@Sociale veiligheid in de flats" in cells
    assert "'-Regie op de aanpak" in cells
    assert files["bijdragen"][0][:5] == ["Sessie", "Tafel", "Partij", "Haal or breng", "Text"]


def test_dutch_csv_is_what_excel_with_dutch_settings_reads(story):
    """Semicolons between fields and decimal commas, said so in the README; a sessie's zip."""
    with translation.override("nl"):
        content = exports.render(
            insight.summary_for_sessie(story.sessie_1.pk, complete=False), "csv"
        ).content
    files = read_zip(content, delimiter=";")
    header, *rows = files["balans"]
    assert header[:2] == ["Partij", "Brengen (gewogen)"]
    assert all(len(row) == len(header) for row in rows)
    shares = [row[header.index("Aandeel in alle brengen")] for row in rows]
    assert any("," in share for share in shares)
    assert sum(float(share.replace(",", ".")) for share in shares) == pytest.approx(1, abs=1e-3)
    assert "balans_per_sessie" not in files  # a sessie's balance is its own
    dated = {row[2]: row[5] for row in files["vervolgstappen"][1:]}
    assert dated["Wijkschouw"] == "2025-03-01"
    text = readme(content)
    assert "Veilige wijk" in text and "Eerste sessie" in text
    assert "puntkomma (;)" in text and "decimale komma" in text


def test_english_csv_keeps_commas_and_decimal_points(story):
    content = exports.render(opgave_summary(story, complete=False), "csv").content
    header, *rows = read_zip(content)["balans"]
    assert all(len(row) == len(header) for row in rows)
    shares = [float(row[header.index("Share of all brengen")]) for row in rows]
    assert sum(shares) == pytest.approx(1, abs=1e-3)
    assert "a comma (,)" in readme(content)


def test_neutralise_leaves_ordinary_values_alone():
    assert neutralise("Gemeente") == "Gemeente"
    assert neutralise(3) == 3
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("") == ""
