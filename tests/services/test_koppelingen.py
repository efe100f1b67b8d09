"""Koppelingen (sessions/services/koppelingen.py)."""

import pytest
from django.core.exceptions import ValidationError

from sessions import services
from sessions.models import Koppeling


def test_koppeling_needs_a_haal_and_a_breng_of_different_partijen(k):
    haal = services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="h")
    own_breng = services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="breng", tekst="b")
    other_breng = services.bijdrage_add(
        tafel=k.tafel_a, partij=k.gemeente, soort="breng", tekst="c"
    )
    with pytest.raises(ValidationError):
        services.koppeling_add(tafel=k.tafel_a, haal_id=haal.pk, breng_id=own_breng.pk)
    with pytest.raises(ValidationError):
        services.koppeling_add(tafel=k.tafel_a, haal_id=other_breng.pk, breng_id=haal.pk)
    services.koppeling_add(tafel=k.tafel_a, haal_id=haal.pk, breng_id=other_breng.pk)
    with pytest.raises(ValidationError):
        services.koppeling_add(tafel=k.tafel_a, haal_id=haal.pk, breng_id=other_breng.pk)
    assert Koppeling.objects.count() == 1
