"""What an opgave, a sessie or a tafel holds, as plain data with what the analysis found in it:
the Summary that the summary pages and every export format are fed by."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext

from sessions import analysis, pictures
from sessions.analysis import (
    BijdrageInfo,
    KoppelingInfo,
    PartijInfo,
    PerspectiefInfo,
    VersieInfo,
    VervolgstapInfo,
)
from sessions.insight.labels import VELD_LABELS
from sessions.models import (
    Sessie,
)

# Plain data of the frame: opgave, sessies, tafels --------------------------------------------


@dataclass(frozen=True)
class KernboodschapInfo:
    """A version of the kernboodschap of the opgave (sessie_id None) or of one sessie."""

    tekst: str
    nummer: int
    author_name: str
    created_at: datetime.datetime
    sessie_id: int | None = None


@dataclass(frozen=True)
class OpgaveInfo:
    id: int
    title: str
    team: str
    created_at: datetime.datetime | None = None


@dataclass(frozen=True)
class TafelInfo:
    id: int
    sessie_id: int
    nummer: int
    name: str = ""
    plenair: bool = False
    werkgroep_id: int | None = None  # the vervolgstap a werkgroep works out (step 3)

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if self.plenair:
            return gettext("Plenary kaart")
        return gettext("Tafel %(nummer)s") % {"nummer": self.nummer}


@dataclass(frozen=True)
class SessieInfo:
    id: int
    title: str
    state: str
    stap: int
    starts_at: datetime.datetime | None
    created_at: datetime.datetime | None
    tafels: tuple[TafelInfo, ...] = ()

    @property
    def state_label(self) -> str:
        return str(dict(Sessie.State.choices).get(self.state, self.state))

    @property
    def date(self) -> datetime.datetime | None:
        return self.starts_at or self.created_at


# What the analysis found in one scope ------------------------------------------------------


@dataclass
class Findings:
    """The analysis of a set of kaarten read as one (duplicates merged)."""

    balans: analysis.Balans
    needs: list[BijdrageInfo]
    offers: list[BijdrageInfo]
    missing: list[analysis.MissingPartij]
    urgency: analysis.Urgency
    edges: list[analysis.Edge]
    present_ids: frozenset[int]
    halen: int
    brengen: int
    koppelingen: int
    vervolgstappen: int
    perspectieven: int

    @property
    def missing_ids(self) -> set[int]:
        return {m.partij_id for m in self.missing}

    @property
    def is_empty(self) -> bool:
        return not (self.halen or self.brengen or self.vervolgstappen or self.perspectieven)


def find(
    partijen: list[PartijInfo],
    *,
    bijdragen: list[BijdrageInfo],
    koppelingen: list[KoppelingInfo],
    vervolgstappen: list[VervolgstapInfo],
    perspectieven: list[PerspectiefInfo],
    seated: set[int],
    threshold: float = analysis.DEFAULT_THRESHOLD,
) -> Findings:
    """Analyse a set of kaarten: balance, needs, offers, missing partijen, urgency, links."""
    merged, merged_links = analysis.merge_duplicates(bijdragen, koppelingen)
    present = set(seated) | {b.partij_id for b in bijdragen} | {p.partij_id for p in perspectieven}
    # The balance is between the partijen at these kaarten, not every partij of the opgave.
    at_table = [p for p in partijen if p.id in present]
    return Findings(
        balans=analysis.balans(at_table, merged, threshold=threshold),
        needs=analysis.needs(merged, merged_links),
        offers=analysis.offers(merged, merged_links),
        missing=analysis.missing_parties(
            partijen,
            present_ids=present,
            bijdragen=merged,
            koppelingen=merged_links,
            vervolgstappen=vervolgstappen,
        ),
        urgency=analysis.urgency(partijen, perspectieven),
        edges=analysis.edges(merged, merged_links),
        present_ids=frozenset(present),
        halen=sum(1 for b in merged if b.soort == analysis.HAAL),
        brengen=sum(1 for b in merged if b.soort == analysis.BRENG),
        koppelingen=len(merged_links),
        vervolgstappen=len(vervolgstappen),
        perspectieven=len(perspectieven),
    )


# Views of one kaart, for the templates and the exports ----------------------------------------


@dataclass
class BlockView:
    partij: PartijInfo
    perspectief: PerspectiefInfo | None = None
    halen: list[BijdrageInfo] = field(default_factory=list)
    brengen: list[BijdrageInfo] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.perspectief is None and not self.halen and not self.brengen


@dataclass(frozen=True)
class KoppelingView:
    koppeling: KoppelingInfo
    haal: BijdrageInfo
    breng: BijdrageInfo
    haal_partij: PartijInfo
    breng_partij: PartijInfo


@dataclass(frozen=True)
class VervolgstapView:
    stap: VervolgstapInfo
    eigenaar: PartijInfo
    partijen: tuple[PartijInfo, ...]


@dataclass
class TafelView:
    tafel: TafelInfo
    blocks: list[BlockView]
    koppelingen: list[KoppelingView]
    vervolgstappen: list[VervolgstapView]

    @property
    def is_empty(self) -> bool:
        return (
            all(block.is_empty for block in self.blocks)
            and not self.koppelingen
            and not self.vervolgstappen
        )


@dataclass
class SessieView:
    sessie: SessieInfo
    findings: Findings
    tafels: list[TafelView]
    history: list[analysis.VersionChange]


# The summary -------------------------------------------------------------------------------


@dataclass
class Summary:
    """Everything one person may see of an opgave or one of its sessies, with the analysis.

    The one source of the summary pages and of every export format.
    """

    scope: str  # "opgave" or "sessie"
    complete: bool  # vertrouwelijk items and unrevealed perspectieven included
    generated_at: datetime.datetime
    opgave: OpgaveInfo
    partijen: list[PartijInfo]
    sessies: list[SessieInfo]
    versies: list[VersieInfo]
    perspectieven: list[PerspectiefInfo]
    bijdragen: list[BijdrageInfo]
    koppelingen: list[KoppelingInfo]
    vervolgstappen: list[VervolgstapInfo]
    seated: dict[int, set[int]]  # tafel id -> partij ids of the participants seated there
    findings: Findings
    per_sessie: dict[int, Findings]
    history: dict[str, list[analysis.VersionChange]]
    threshold: float = analysis.DEFAULT_THRESHOLD
    exported_by: str = ""  # who asked for the export, named in it
    # Every version of the kernboodschappen in scope (the opgave's and its sessies'), and the
    # current one of the summary's own opgave or sessie.
    kernboodschappen: list[KernboodschapInfo] = field(default_factory=list)
    kernboodschap: KernboodschapInfo | None = None

    # Lookups

    @property
    def partij_by_id(self) -> dict[int, PartijInfo]:
        return {p.id: p for p in self.partijen}

    @property
    def tafel_by_id(self) -> dict[int, TafelInfo]:
        return {t.id: t for s in self.sessies for t in s.tafels}

    @property
    def sessie_by_tafel(self) -> dict[int, SessieInfo]:
        return {t.id: s for s in self.sessies for t in s.tafels}

    @property
    def sessie(self) -> SessieInfo | None:
        """The sessie of a sessie summary."""
        return self.sessies[0] if self.scope == "sessie" and self.sessies else None

    @property
    def texts(self) -> dict[str, str]:
        """The current text of each of the opgave's three texts ('' where never written)."""
        current = {veld: "" for veld in analysis.VELDEN}
        for versie in sorted(self.versies, key=lambda v: v.nummer):
            current[versie.veld] = versie.tekst
        return current

    @property
    def text_items(self) -> list[dict]:
        return [
            {"veld": veld, "label": VELD_LABELS[veld], "tekst": self.texts[veld]}
            for veld in ("verbindende_vraag", "ambitie", "formulering")
        ]

    @property
    def has_history(self) -> bool:
        return any(len(changes) > 1 for changes in self.history.values())

    @property
    def history_items(self) -> list[dict]:
        sessies = {s.id: s for s in self.sessies}
        return [
            {
                "veld": veld,
                "label": VELD_LABELS[veld],
                "changes": [
                    {"change": change, "sessie": sessies.get(change.versie.sessie_id)}
                    for change in self.history.get(veld, [])
                ],
            }
            for veld in ("verbindende_vraag", "ambitie", "formulering")
        ]

    # Per sessie and per tafel

    def sessie_views(self) -> list[SessieView]:
        partijen = self.partij_by_id
        by_tafel: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for b in self.bijdragen:
            by_tafel[b.tafel_id]["bijdragen"].append(b)
        for k in self.koppelingen:
            by_tafel[k.tafel_id]["koppelingen"].append(k)
        for v in self.vervolgstappen:
            by_tafel[v.tafel_id]["vervolgstappen"].append(v)
        for p in self.perspectieven:
            by_tafel[p.tafel_id]["perspectieven"].append(p)
        bijdrage_by_id = {b.id: b for b in self.bijdragen}
        history = [c for changes in self.history.values() for c in changes]
        views = []
        for sessie in self.sessies:
            tafels = []
            for tafel in sessie.tafels:
                items = by_tafel.get(tafel.id, {})
                blocks = {p.id: BlockView(partij=p) for p in self.partijen}
                for perspectief in items.get("perspectieven", []):
                    blocks[perspectief.partij_id].perspectief = perspectief
                for b in items.get("bijdragen", []):
                    (
                        blocks[b.partij_id].brengen if b.is_breng else blocks[b.partij_id].halen
                    ).append(b)
                links = []
                for k in items.get("koppelingen", []):
                    haal, breng = bijdrage_by_id[k.haal_id], bijdrage_by_id[k.breng_id]
                    links.append(
                        KoppelingView(
                            k, haal, breng, partijen[haal.partij_id], partijen[breng.partij_id]
                        )
                    )
                stappen = [
                    VervolgstapView(
                        v,
                        partijen[v.eigenaar_id],
                        tuple(partijen[pk] for pk in v.partij_ids if pk in partijen),
                    )
                    for v in items.get("vervolgstappen", [])
                ]
                tafels.append(
                    TafelView(
                        tafel=tafel,
                        blocks=[b for b in blocks.values() if not b.is_empty],
                        koppelingen=links,
                        vervolgstappen=stappen,
                    )
                )
            views.append(
                SessieView(
                    sessie=sessie,
                    findings=self.per_sessie[sessie.id],
                    tafels=tafels,
                    history=sorted(
                        (c for c in history if c.versie.sessie_id == sessie.id),
                        key=lambda c: (c.versie.veld, c.versie.nummer),
                    ),
                )
            )
        return views

    def partijen_over_time(self) -> list[dict]:
        """Per partij, per sessie: at the table, missing, or not there."""
        rows = []
        for partij in self.partijen:
            cells = []
            for sessie in self.sessies:
                found = self.per_sessie[sessie.id]
                if partij.id in found.missing_ids:
                    cells.append("missing")
                elif partij.id in found.present_ids:
                    cells.append("present")
                else:
                    cells.append("absent")
            rows.append({"partij": partij, "cells": cells})
        return rows

    def balans_over_time(self) -> list[dict]:
        """Per partij, per sessie: its balance row (or None), for the opgave summary."""
        rows = []
        for partij in self.partijen:
            cells = [self.per_sessie[s.id].balans.row_for(partij.id) for s in self.sessies]
            if any(cells):
                rows.append({"partij": partij, "cells": cells})
        return rows

    # Pictures

    def balans_chart(self, findings: Findings | None = None, *, chart_id: str = "balans") -> dict:
        return pictures.balans_chart((findings or self.findings).balans, chart_id=chart_id)

    def kaart_map(self, findings: Findings | None = None, *, map_id: str = "kaartmap") -> dict:
        findings = findings or self.findings
        shown = [
            p for p in self.partijen if p.id in findings.present_ids or p.id in findings.missing_ids
        ]
        return pictures.kaart_map(
            title=self.opgave.title,
            partijen=shown,
            edges=findings.edges,
            missing_ids=findings.missing_ids,
            map_id=map_id,
        )
