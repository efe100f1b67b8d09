"""What the export tests share: the published schema, an opgave's summary, a document with
more bijdragen."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from django.conf import settings as django_settings

from sessions import insight

SCHEMA = json.loads((Path(django_settings.BASE_DIR) / "docs" / "export.schema.json").read_text())


def opgave_summary(story, complete=True):
    return insight.summary_for_opgave(story.opgave.pk, complete=complete)


def validate(document: dict) -> None:
    jsonschema.validate(
        document, SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def with_bijdragen(document: dict, n: int) -> dict:
    """The document with `n` more bijdragen on its first kaart."""
    tafel = document["sessies"][0]["tafels"][0]
    partij = document["partijen"][0]["id"]
    first = 1 + max(
        b["id"] for s in document["sessies"] for t in s["tafels"] for b in t["bijdragen"]
    )
    tafel["bijdragen"] += [
        {"id": first + i, "partij": partij, "soort": "haal", "tekst": f"Wens {i}"} for i in range(n)
    ]
    return document
