"""The plain data every analysis takes, and the stable keys of what it finds (the pages and
exports translate them)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

HAAL = "haal"
BRENG = "breng"

DEFAULT_THRESHOLD = 2.0
URGENCY_DISTANCE = 2

# Balance flags: stable keys (the pages and exports translate them).
BRENGT_VEEL_MEER = "brengt_veel_meer"
HAALT_VEEL_MEER = "haalt_veel_meer"
ALLEEN_HALEN = "alleen_halen"
ALLEEN_BRENGEN = "alleen_brengen"

# Why a partij is listed as missing.
REASON_DECLARED = "declared"
REASON_EIGENAAR = "vervolgstap_eigenaar"
REASON_DEELNEMER = "vervolgstap_deelnemer"
REASON_KOPPELING = "koppeling"

VELDEN = ("formulering", "ambitie", "verbindende_vraag")


@dataclass(frozen=True)
class PartijInfo:
    id: int
    name: str
    wereld: str = "publiek"
    ontbreekt: bool = False
    toelichting: str = ""


@dataclass(frozen=True)
class BijdrageInfo:
    id: int
    partij_id: int
    soort: str  # HAAL or BRENG
    tekst: str
    gewicht: int = 1
    tafel_id: int = 0
    breng_soort: str = ""
    toezegging: str = ""
    vertrouwelijk: bool = False
    position: int = 0
    herkomst_id: int | None = None  # the earlier sessie it was carried from (services.carry)

    @property
    def is_breng(self) -> bool:
        return self.soort == BRENG


@dataclass(frozen=True)
class KoppelingInfo:
    """A haal answered by a breng (of another partij, on the same kaart)."""

    id: int
    haal_id: int
    breng_id: int
    tafel_id: int = 0
    herkomst_id: int | None = None


@dataclass(frozen=True)
class UpdateInfo:
    """One entry of a vervolgstap's follow-up."""

    status: str
    tekst: str
    author: str
    created_at: datetime.datetime | None = None


@dataclass(frozen=True)
class VervolgstapInfo:
    id: int
    title: str
    eigenaar_id: int
    partij_ids: tuple[int, ...] = ()
    datum: datetime.date | None = None
    tafel_id: int = 0
    position: int = 0
    status: str = "open"  # open, bezig, klaar or gestopt (models.Vervolgstap.Status)
    updates: tuple[UpdateInfo, ...] = ()  # its follow-up, oldest first
    herkomst_id: int | None = None
    voorganger_id: int | None = None  # the vervolgstap of an earlier sessie it continues


@dataclass(frozen=True)
class PerspectiefInfo:
    id: int
    partij_id: int
    tekst: str = ""
    urgentie: int | None = None
    tafel_id: int = 0
    revealed: bool = True
    vertrouwelijk: bool = False
    herkomst_id: int | None = None


@dataclass(frozen=True)
class VersieInfo:
    """One version of one of the opgave's three texts."""

    veld: str
    nummer: int
    tekst: str
    sessie_id: int | None = None
    author: str = ""
    created_at: datetime.datetime | None = None
