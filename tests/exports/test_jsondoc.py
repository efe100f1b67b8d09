"""The JSON document (sessions/exports/jsondoc.py): valid against the published schema,
without what one may not see."""

from __future__ import annotations

import json

import pytest

from sessions import exports, insight
from sessions.exports import importer, jsondoc
from tests.exports.documents import SCHEMA, opgave_summary, validate


def test_the_published_schema_is_the_one_the_importer_uses():
    assert importer.schema() == SCHEMA


@pytest.mark.parametrize("complete", [True, False])
def test_json_documents_validate_against_the_schema(story, complete):
    for summary in (
        opgave_summary(story, complete),
        insight.summary_for_sessie(story.sessie_1.pk, complete=complete),
    ):
        document = json.loads(exports.render(summary, "json").content)
        validate(document)
        assert document["format"] == "halenbrengen-export" and document["version"] == 2
        assert document["complete"] is complete


def test_json_leaves_out_confidential_items_and_unrevealed_perspectieven(story):
    document = jsondoc.build(opgave_summary(story, complete=False))
    tafel = document["sessies"][0]["tafels"][0]
    assert "Cameratoezicht in portieken" not in {b["tekst"] for b in tafel["bijdragen"]}
    assert all(p["revealed"] for p in tafel["perspectieven"])
    complete = jsondoc.build(opgave_summary(story, complete=True))
    tafel = complete["sessies"][0]["tafels"][0]
    assert any(b["vertrouwelijk"] for b in tafel["bijdragen"])
