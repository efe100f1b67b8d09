import pytest

from sessions import services


@pytest.fixture
def k(db):
    from tests.kaart_helpers import make_kaarten

    return make_kaarten()


@pytest.fixture
def anna(k):
    return services.Actor(deelnemer=k.tafel_a.deelnemers.get(name="Anna"))


@pytest.fixture
def bram(k):
    return services.Actor(deelnemer=k.tafel_a.deelnemers.get(name="Bram"))
