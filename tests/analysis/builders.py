"""Plain inputs for the analysis tests: partijen, bijdragen and perspectieven with fresh ids."""

from __future__ import annotations

from sessions.analysis import (
    BijdrageInfo,
    PartijInfo,
    PerspectiefInfo,
)


def partij(pk: int, name: str | None = None, *, ontbreekt: bool = False, note: str = ""):
    return PartijInfo(id=pk, name=name or f"P{pk}", ontbreekt=ontbreekt, toelichting=note)


_ids = iter(range(10_000, 10**9))


def bijdrage(partij_id: int, soort: str, gewicht: int = 1, tekst: str = "", pk: int | None = None):
    pk = pk if pk is not None else next(_ids)
    return BijdrageInfo(
        id=pk, partij_id=partij_id, soort=soort, tekst=tekst or f"b{pk}", gewicht=gewicht
    )


def perspectief(partij_id: int, urgentie: int | None, pk: int = 0):
    return PerspectiefInfo(id=pk or next(_ids), partij_id=partij_id, urgentie=urgentie)
