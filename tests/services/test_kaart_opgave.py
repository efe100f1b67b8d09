"""The opgave written on a kaart: versioned texts, missing partijen
(sessions/services/kaart_opgave.py)."""

import pytest
from django.core.exceptions import ValidationError

from sessions import services
from sessions.models import OpgaveVersie


def test_opgave_texts_are_kept_as_versions_with_author(k, anna, bram):
    services.kaart_opgave_text_set(
        tafel=k.tafel_a, veld="formulering", tekst="Eerste", expected_version=0, actor=anna
    )
    services.kaart_opgave_text_set(
        tafel=k.tafel_a, veld="formulering", tekst="Tweede", expected_version=1, actor=bram
    )
    with pytest.raises(services.StaleEdit):
        services.kaart_opgave_text_set(
            tafel=k.tafel_a, veld="formulering", tekst="Derde", expected_version=1, actor=anna
        )
    versions = OpgaveVersie.objects.filter(opgave=k.sessie.opgave, veld="formulering")
    assert [(v.nummer, v.tekst, v.author_name, v.sessie_id) for v in versions] == [
        (1, "Eerste", "Anna", k.sessie.pk),
        (2, "Tweede", "Bram", k.sessie.pk),
    ]


def test_a_missing_partij_can_be_added_from_the_kaart(k, anna):
    partij = services.kaart_partij_add_missing(
        tafel=k.tafel_a, name="Openbaar Ministerie", actor=anna
    )
    assert partij.status == "ontbreekt"
    with pytest.raises(ValidationError):
        services.kaart_partij_add_missing(tafel=k.tafel_a, name="openbaar ministerie", actor=anna)
