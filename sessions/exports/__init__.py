"""Exports of an opgave or a sessie: one module per format, all fed by one Summary.

`render(summary, fmt)` gives the file; sessions.insight.summary_for_opgave/_sessie give the
summary (and decide what the person may see). The format modules are imported when used:
WeasyPrint is heavy.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

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


def _cut(slug: str, limit: int) -> str:
    """A slug of at most `limit` characters, cut between words where it must be cut."""
    if len(slug) <= limit:
        return slug
    head = slug[: limit + 1]
    if "-" in head:
        head = head.rsplit("-", 1)[0]
    return head[:limit].strip("-")


def filename(summary: Summary, extension: str) -> str:
    """opgave-title[-sessie-title][-vertrouwelijk]-YYYY-MM-DD.ext, ASCII only: an export with
    the confidential items says so in its name, in the export's language."""
    parts = [_cut(slugify(summary.opgave.title), 60) or "opgave"]
    if summary.sessie is not None:
        parts.append(_cut(slugify(summary.sessie.title), 40) or "sessie")
    if summary.complete:
        parts.append(slugify(_("confidential")))
    parts.append(timezone.localdate(summary.generated_at).isoformat())
    return "-".join(parts) + "." + extension


def render(summary: Summary, fmt: str) -> Export:
    module_name, content_type, extension = FORMATS[fmt]
    module = importlib.import_module(module_name)
    return Export(module.render(summary), content_type, filename(summary, extension))
