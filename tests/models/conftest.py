import pytest

from tests import factories


@pytest.fixture
def partij(opgave):
    return factories.PartijFactory(opgave=opgave, name="Politie")


@pytest.fixture
def other_partij(opgave):
    return factories.PartijFactory(opgave=opgave, name="Gemeente")
