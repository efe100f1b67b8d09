"""What the insight and action-list view tests share."""

from __future__ import annotations

import pytest

from tests.insight_data import build_story


@pytest.fixture
def english(client):
    """The client asks for English pages (the default is Dutch)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def story(opgave):
    """The insight story in the team of the conftest's facilitator and coordinator."""
    return build_story(opgave.team)
