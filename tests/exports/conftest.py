from __future__ import annotations

import contextlib

import pytest

from sessions.exports import importer
from tests import factories
from tests.insight_data import build_story


@pytest.fixture
def story(db):
    return build_story(factories.TeamFactory())


@pytest.fixture
def no_work(monkeypatch, django_assert_num_queries):
    """A block that fails the test if the importer checks the schema or touches the database."""

    def schema_validator(*args, **kwargs):
        raise AssertionError("the schema was checked")

    @contextlib.contextmanager
    def block():
        monkeypatch.setattr(importer.jsonschema, "Draft202012Validator", schema_validator)
        with django_assert_num_queries(0):
            yield

    return block
