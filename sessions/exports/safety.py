"""Spreadsheet safety: user text must never become a formula (CSV/formula injection)."""

from __future__ import annotations

from typing import Any

# A cell starting with one of these is read as a formula by Excel, LibreOffice or Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralise(value: Any) -> Any:
    """Text that could start a formula gets a leading apostrophe (for CSV); the rest as is."""
    if is_formula_like(value):
        return "'" + value
    return value
