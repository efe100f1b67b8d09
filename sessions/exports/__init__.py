"""Exports of an opgave or a sessie: one module per format, all fed by one Summary.

`render(summary, fmt)` gives the file; sessions.insight.summary_for_opgave/_sessie give the
summary (and decide what the person may see). The format modules are imported when used:
WeasyPrint is heavy.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from django.utils.text import slugify

from sessions.insight import Summary

# format -> (module, content type, file extension)
FORMATS: dict[str, tuple[str, str, str]] = {
    "pdf": ("sessions.exports.pdf", "application/pdf", "pdf"),
    "md": ("sessions.exports.markdown", "text/markdown; charset=utf-8", "md"),
    "xlsx": (
        "sessions.exports.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    "csv": ("sessions.exports.csvzip", "application/zip", "zip"),
    "json": ("sessions.exports.jsondoc", "application/json", "json"),
}


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    filename: str


def filename(summary: Summary, extension: str) -> str:
    """opgave-title[-sessie-title]-YYYY-MM-DD.ext, ASCII only."""
    parts = [slugify(summary.opgave.title)[:60].strip("-") or "opgave"]
    if summary.sessie is not None:
        parts.append(slugify(summary.sessie.title)[:40].strip("-") or "sessie")
    parts.append(summary.generated_at.date().isoformat())
    return "-".join(parts) + "." + extension


def render(summary: Summary, fmt: str) -> Export:
    module_name, content_type, extension = FORMATS[fmt]
    module = importlib.import_module(module_name)
    return Export(module.render(summary), content_type, filename(summary, extension))
