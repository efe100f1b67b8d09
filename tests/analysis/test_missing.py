"""Missing partijen (sessions/analysis/missing.py)."""

from __future__ import annotations

from sessions import analysis
from sessions.analysis import (
    BRENG,
    HAAL,
    KoppelingInfo,
    VervolgstapInfo,
)
from tests.analysis.builders import bijdrage, partij


def test_declared_missing_come_first_with_their_note_then_suggested_ones_with_reasons():
    partijen = [
        partij(1, "Gemeente"),
        partij(2, "Politie"),
        partij(3, "Openbaar Ministerie", ontbreekt=True, note="gebiedsofficier"),
        partij(4, "Ondernemers", ontbreekt=True),
        partij(5, "Woningcorporatie"),
    ]
    stap = VervolgstapInfo(id=1, title="Huurders spreken", eigenaar_id=1, partij_ids=(5, 3))
    result = analysis.missing_parties(partijen, present_ids={1, 2}, vervolgstappen=[stap])
    assert [m.name for m in result] == ["Ondernemers", "Openbaar Ministerie", "Woningcorporatie"]
    om = result[1]
    assert om.declared
    assert om.reasons == (
        analysis.MissingReason(analysis.REASON_DECLARED, "gebiedsofficier"),
        analysis.MissingReason(analysis.REASON_DEELNEMER, "Huurders spreken"),
    )
    corporatie = result[2]
    assert corporatie.suggested
    assert corporatie.reasons == (
        analysis.MissingReason(analysis.REASON_DEELNEMER, "Huurders spreken"),
    )


def test_owner_and_koppeling_make_a_partij_missing_only_when_it_is_not_there():
    partijen = [partij(1), partij(2), partij(3)]
    haal = bijdrage(1, HAAL, pk=10, tekst="Zicht op vastgoed")
    breng = bijdrage(3, BRENG, pk=11)
    result = analysis.missing_parties(
        partijen,
        present_ids={1, 2},
        bijdragen=[haal, breng],
        koppelingen=[KoppelingInfo(id=1, haal_id=10, breng_id=11)],
        vervolgstappen=[VervolgstapInfo(id=1, title="Plan", eigenaar_id=3)],
    )
    assert len(result) == 1
    assert result[0].partij_id == 3
    assert [r.kind for r in result[0].reasons] == [
        analysis.REASON_EIGENAAR,
        analysis.REASON_KOPPELING,
    ]
    assert result[0].reasons[1].detail == "Zicht op vastgoed"


def test_without_a_present_set_every_partij_not_declared_missing_is_there():
    partijen = [partij(1), partij(2, ontbreekt=True)]
    stap = VervolgstapInfo(id=1, title="Plan", eigenaar_id=1, partij_ids=(1,))
    result = analysis.missing_parties(partijen, vervolgstappen=[stap])
    assert [m.partij_id for m in result] == [2]
    assert analysis.missing_parties([]) == []
