"""The constraints of opgaven, their text versions and partijen (sessions/models/opgaven.py)."""

import pytest

from sessions.models import (
    OpgaveVersie,
    Partij,
)
from tests import factories
from tests.models.constraints import refused


def test_opgave_versions_are_numbered_once_per_field(opgave):
    OpgaveVersie.objects.create(opgave=opgave, veld="ambitie", nummer=1, tekst="a")
    OpgaveVersie.objects.create(opgave=opgave, veld="formulering", nummer=1, tekst="f")
    refused(lambda: OpgaveVersie.objects.create(opgave=opgave, veld="ambitie", nummer=1))


def test_opgave_version_number_starts_at_one(opgave):
    refused(lambda: OpgaveVersie.objects.create(opgave=opgave, veld="ambitie", nummer=0))


def test_opgave_version_field_must_be_known(opgave):
    refused(lambda: OpgaveVersie.objects.create(opgave=opgave, veld="titel", nummer=1))


def test_partij_name_is_unique_per_opgave_ignoring_case(partij, opgave):
    refused(lambda: Partij.objects.create(opgave=opgave, name="POLITIE"))
    other_opgave = factories.OpgaveFactory()
    assert Partij.objects.create(opgave=other_opgave, name="Politie").pk


@pytest.mark.parametrize(
    ("field", "value"), [("wereld", "overheid"), ("status", "weg"), ("name", "")]
)
def test_partij_refuses_unknown_world_status_and_empty_name(opgave, field, value):
    values = {"opgave": opgave, "name": "Omgevingsdienst", field: value}
    refused(lambda: Partij.objects.create(**values))
