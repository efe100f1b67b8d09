from __future__ import annotations

import pytest

from tests import factories
from tests.insight_data import build_story


@pytest.fixture
def story(db):
    return build_story(factories.TeamFactory())
