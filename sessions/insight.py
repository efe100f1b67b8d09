"""Insight selectors: what an opgave, a sessie or a tafel holds, as plain data, analysed.

One loader reads everything in a constant number of queries (it does not grow with the number
of sessies, tafels or bijdragen) and turns the rows into the plain dataclasses of
sessions.analysis. `summary_for_opgave` and `summary_for_sessie` feed the summary pages and
every export format; `kaart_insight` feeds the pictures on the live kaart.

Who sees what: facilitators see everything (`complete=True`); everyone else never sees a
vertrouwelijk bijdrage or perspectief, nor a perspectief that is not revealed yet.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from sessions import analysis, pictures
from sessions.access import Access
from sessions.analysis import (
    BijdrageInfo,
    KoppelingInfo,
    PartijInfo,
    PerspectiefInfo,
    VersieInfo,
    VervolgstapInfo,
)
from sessions.models import (
    Bijdrage,
    Deelnemer,
    Koppeling,
    Membership,
    Opgave,
    OpgaveVersie,
    Partij,
    Perspectief,
    Sessie,
    Tafel,
    Vervolgstap,
)

FLAG_LABELS = {
    analysis.BRENGT_VEEL_MEER: gettext_lazy("brings far more than the others"),
    analysis.HAALT_VEEL_MEER: gettext_lazy("takes far more than the others"),
    analysis.ALLEEN_HALEN: gettext_lazy("only takes"),
    analysis.ALLEEN_BRENGEN: gettext_lazy("only brings"),
}
REASON_LABELS = {
    analysis.REASON_DECLARED: gettext_lazy("noted as missing"),
    analysis.REASON_EIGENAAR: gettext_lazy("owner of a vervolgstap"),
    analysis.REASON_DEELNEMER: gettext_lazy("takes part in a vervolgstap"),
    analysis.REASON_KOPPELING: gettext_lazy("named in a koppeling"),
}
VELD_LABELS = {
    "formulering": pgettext_lazy("opgave text", "Formulering"),
    "ambitie": pgettext_lazy("opgave text", "Ambitie"),
    "verbindende_vraag": pgettext_lazy("opgave text", "Verbindende vraag"),
}
# Long lists on the opgave summary are cut here; the exports always hold everything.
LIST_LIMIT = 100


def sees_everything(access: Access) -> bool:
    """Facilitators see vertrouwelijk items and perspectieven before they are revealed."""
    return access.role == Membership.Role.FACILITATOR


# Plain data of the frame: opgave, sessies, tafels --------------------------------------------


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


# Loading -----------------------------------------------------------------------------------


@dataclass
class _Rows:
    partijen: list[PartijInfo]
    sessies: list[SessieInfo]
    versies: list[VersieInfo]
    perspectieven: list[PerspectiefInfo]
    bijdragen: list[BijdrageInfo]
    koppelingen: list[KoppelingInfo]
    vervolgstappen: list[VervolgstapInfo]
    seated: dict[int, set[int]]
    seated_sessie: dict[int, set[int]]


def _load(
    opgave: Opgave,
    *,
    sessie_id: int | None = None,
    tafel_id: int | None = None,
    complete: bool,
    with_versies: bool = True,
) -> _Rows:
    """Every row of the scope in ten queries, as plain data, filtered for the audience."""
    if tafel_id is not None:
        on_kaart: dict = {"tafel_id": tafel_id}
    elif sessie_id is not None:
        on_kaart = {"tafel__sessie_id": sessie_id}
    else:
        on_kaart = {"tafel__sessie__opgave_id": opgave.pk}

    partijen = [
        PartijInfo(id=pk, name=name, wereld=wereld, ontbreekt=status == "ontbreekt", toelichting=t)
        for pk, name, wereld, status, t in Partij.objects.filter(opgave=opgave)
        .order_by("status", "name", "id")
        .values_list("id", "name", "wereld", "status", "toelichting")
    ]

    sessies_qs = Sessie.objects.filter(opgave=opgave)
    tafels_qs = Tafel.objects.filter(sessie__opgave=opgave)
    if sessie_id is not None:
        sessies_qs = sessies_qs.filter(pk=sessie_id)
        tafels_qs = tafels_qs.filter(sessie_id=sessie_id)
    if tafel_id is not None:
        tafels_qs = tafels_qs.filter(pk=tafel_id)
    tafels_by_sessie: dict[int, list[TafelInfo]] = defaultdict(list)
    for pk, sid, nummer, name, plenair in tafels_qs.order_by("plenair", "nummer").values_list(
        "id", "sessie_id", "nummer", "name", "plenair"
    ):
        tafels_by_sessie[sid].append(TafelInfo(pk, sid, nummer, name, plenair))
    sessies = [
        SessieInfo(pk, title, state, stap, starts_at, created_at, tuple(tafels_by_sessie[pk]))
        for pk, title, state, stap, starts_at, created_at in sessies_qs.order_by(
            "created_at", "id"
        ).values_list("id", "title", "state", "stap", "starts_at", "created_at")
    ]
    if tafel_id is not None:
        sessies = [s for s in sessies if s.tafels]

    versies = []
    if with_versies:
        versies = [
            VersieInfo(veld, nummer, tekst, sid, author, created_at)
            for veld, nummer, tekst, sid, author, created_at in OpgaveVersie.objects.filter(
                opgave=opgave
            )
            .order_by("veld", "nummer")
            .values_list("veld", "nummer", "tekst", "sessie_id", "author_name", "created_at")
        ]
        if sessie_id is not None:
            # A sessie's document refers to no other sessie.
            versies = [
                v
                if v.sessie_id in (None, sessie_id)
                else VersieInfo(v.veld, v.nummer, v.tekst, None, v.author, v.created_at)
                for v in versies
            ]

    perspectieven_qs = Perspectief.objects.filter(**on_kaart)
    bijdragen_qs = Bijdrage.objects.filter(**on_kaart)
    if not complete:
        perspectieven_qs = perspectieven_qs.filter(revealed=True, vertrouwelijk=False)
        bijdragen_qs = bijdragen_qs.filter(vertrouwelijk=False)
    perspectieven = [
        PerspectiefInfo(*row)
        for row in perspectieven_qs.order_by("tafel_id", "partij__name", "id").values_list(
            "id", "partij_id", "tekst", "urgentie", "tafel_id", "revealed", "vertrouwelijk"
        )
    ]
    bijdragen = []
    rank: dict[tuple[int, int, str], int] = defaultdict(int)
    for row in bijdragen_qs.order_by(
        "tafel_id", "partij__name", "partij_id", "soort", "position", "id"
    ).values_list(
        "id",
        "partij_id",
        "soort",
        "tekst",
        "gewicht",
        "tafel_id",
        "breng_soort",
        "toezegging",
        "vertrouwelijk",
    ):
        pk, partij_id, soort, tekst, gewicht, tid, breng_soort, toezegging, vertrouwelijk = row
        # The position is the rank among the partij's halen (or brengen) on the kaart.
        key = (tid, partij_id, soort)
        bijdragen.append(
            BijdrageInfo(
                pk,
                partij_id,
                soort,
                tekst,
                gewicht,
                tid,
                breng_soort,
                toezegging,
                vertrouwelijk,
                rank[key],
            )
        )
        rank[key] += 1
    visible = {b.id for b in bijdragen}
    koppelingen = [
        KoppelingInfo(pk, haal_id, breng_id, tid)
        for pk, haal_id, breng_id, tid in Koppeling.objects.filter(**on_kaart)
        .order_by("tafel_id", "created_at", "id")
        .values_list("id", "haal_id", "breng_id", "tafel_id")
        if haal_id in visible and breng_id in visible
    ]
    stap_partijen: dict[int, list[int]] = defaultdict(list)
    through = Vervolgstap.partijen.through
    for stap_id, partij_id in (
        through.objects.filter(**{f"vervolgstap__{k}": v for k, v in on_kaart.items()})
        .order_by("partij__name", "partij_id")
        .values_list("vervolgstap_id", "partij_id")
    ):
        stap_partijen[stap_id].append(partij_id)
    vervolgstappen = []
    counter: dict[int, int] = defaultdict(int)  # the position: its rank on its kaart
    for pk, title, eigenaar_id, datum, tid in (
        Vervolgstap.objects.filter(**on_kaart)
        .order_by("tafel_id", "position", "id")
        .values_list("id", "title", "eigenaar_id", "datum", "tafel_id")
    ):
        vervolgstappen.append(
            VervolgstapInfo(
                pk, title, eigenaar_id, tuple(stap_partijen[pk]), datum, tid, counter[tid]
            )
        )
        counter[tid] += 1

    seated: dict[int, set[int]] = defaultdict(set)
    seated_sessie: dict[int, set[int]] = defaultdict(set)
    deelnemers = Deelnemer.objects.filter(sessie__opgave=opgave, revoked=False)
    if sessie_id is not None:
        deelnemers = deelnemers.filter(sessie_id=sessie_id)
    if tafel_id is not None:
        deelnemers = deelnemers.filter(tafel_id=tafel_id)
    for tid, sid, partij_id in deelnemers.values_list("tafel_id", "sessie_id", "partij_id"):
        seated_sessie[sid].add(partij_id)
        if tid is not None:
            seated[tid].add(partij_id)
    return _Rows(
        partijen=partijen,
        sessies=sessies,
        versies=versies,
        perspectieven=perspectieven,
        bijdragen=bijdragen,
        koppelingen=koppelingen,
        vervolgstappen=vervolgstappen,
        seated=dict(seated),
        seated_sessie=dict(seated_sessie),
    )


def _summary(
    opgave: Opgave,
    *,
    scope: str,
    sessie_id: int | None,
    complete: bool,
    threshold: float,
) -> Summary:
    rows = _load(opgave, sessie_id=sessie_id, complete=complete)
    sessie_of_tafel = {t.id: s.id for s in rows.sessies for t in s.tafels}
    per_sessie_items: dict[int, dict[str, list]] = {s.id: defaultdict(list) for s in rows.sessies}
    for name in ("bijdragen", "koppelingen", "vervolgstappen", "perspectieven"):
        for item in getattr(rows, name):
            per_sessie_items[sessie_of_tafel[item.tafel_id]][name].append(item)
    per_sessie = {
        s.id: find(
            rows.partijen,
            seated=rows.seated_sessie.get(s.id, set()),
            threshold=threshold,
            **{
                name: per_sessie_items[s.id][name]
                for name in ("bijdragen", "koppelingen", "vervolgstappen", "perspectieven")
            },
        )
        for s in rows.sessies
    }
    seated_all = set().union(*rows.seated_sessie.values()) if rows.seated_sessie else set()
    findings = find(
        rows.partijen,
        bijdragen=rows.bijdragen,
        koppelingen=rows.koppelingen,
        vervolgstappen=rows.vervolgstappen,
        perspectieven=rows.perspectieven,
        seated=seated_all,
        threshold=threshold,
    )
    return Summary(
        scope=scope,
        complete=complete,
        generated_at=timezone.now(),
        opgave=OpgaveInfo(opgave.pk, opgave.title, opgave.team.name, opgave.created_at),
        partijen=rows.partijen,
        sessies=rows.sessies,
        versies=rows.versies,
        perspectieven=rows.perspectieven,
        bijdragen=rows.bijdragen,
        koppelingen=rows.koppelingen,
        vervolgstappen=rows.vervolgstappen,
        seated=rows.seated,
        findings=findings,
        per_sessie=per_sessie,
        history=analysis.formulation_history(rows.versies),
        threshold=threshold,
    )


def summary_for_opgave(
    opgave_id: int, *, complete: bool, threshold: float = analysis.DEFAULT_THRESHOLD
) -> Summary:
    """An opgave across all its sessies."""
    opgave = Opgave.objects.select_related("team").get(pk=opgave_id)
    return _summary(opgave, scope="opgave", sessie_id=None, complete=complete, threshold=threshold)


def summary_for_sessie(
    sessie_id: int, *, complete: bool, threshold: float = analysis.DEFAULT_THRESHOLD
) -> Summary:
    """One sessie of an opgave: all its kaarten, and the opgave's texts and partijen."""
    sessie = Sessie.objects.select_related("opgave__team").get(pk=sessie_id)
    return _summary(
        sessie.opgave, scope="sessie", sessie_id=sessie.pk, complete=complete, threshold=threshold
    )


def kaart_insight(tafel_id: int, access: Access) -> dict:
    """The pictures and findings of one tafel's kaart, as this person may see them.

    Returns {"findings": Findings, "chart": <balans.svg.html context>,
    "kaartmap": <kaart_map.svg.html context>, "flag_labels", "reason_labels"}.
    """
    tafel = Tafel.objects.select_related("sessie__opgave").get(pk=tafel_id)
    rows = _load(
        tafel.sessie.opgave, tafel_id=tafel.pk, complete=sees_everything(access), with_versies=False
    )
    return _kaart_pictures(tafel.pk, tafel.sessie.opgave.title, rows, rows.seated.get(tafel.pk))


def kaart_insight_of(kaart) -> dict:
    """kaart_insight for a kaart already loaded (sessions.selectors.kaart_for), without a
    query: the same rows, taken from what the kaart holds for its viewer."""
    complete = kaart.access is not None and sees_everything(kaart.access)
    tafel_id = kaart.tafel.pk
    blocks = sorted(kaart.blocks, key=lambda b: (b.partij.status, b.partij.name, b.partij.pk))
    partijen = [
        PartijInfo(
            id=b.partij.pk,
            name=b.partij.name,
            wereld=b.partij.wereld,
            ontbreekt=b.partij.status == "ontbreekt",
            toelichting=b.partij.toelichting,
        )
        for b in blocks
    ]
    by_name = sorted(blocks, key=lambda b: (b.partij.name, b.partij.pk))
    perspectieven = [
        PerspectiefInfo(
            p.pk, p.partij_id, p.tekst, p.urgentie, tafel_id, p.revealed, p.vertrouwelijk
        )
        for p in (b.perspectief for b in by_name)
        if p is not None and (complete or (p.revealed and not p.vertrouwelijk))
    ]
    bijdragen = []
    for block in by_name:
        for soort, items in (("breng", block.brengen), ("haal", block.halen)):
            shown = [b for b in items if complete or not b.vertrouwelijk]
            for position, b in enumerate(sorted(shown, key=lambda b: (b.position, b.pk))):
                bijdragen.append(
                    BijdrageInfo(
                        b.pk,
                        b.partij_id,
                        soort,
                        b.tekst,
                        b.gewicht,
                        tafel_id,
                        b.breng_soort,
                        b.toezegging,
                        b.vertrouwelijk,
                        position,
                    )
                )
    visible = {b.id for b in bijdragen}
    koppelingen = [
        KoppelingInfo(k.pk, k.haal_id, k.breng_id, tafel_id)
        for k in sorted(kaart.koppelingen, key=lambda k: (k.created_at, k.pk))
        if k.haal_id in visible and k.breng_id in visible
    ]
    vervolgstappen = [
        VervolgstapInfo(
            v.pk,
            v.title,
            v.eigenaar_id,
            tuple(p.pk for p in sorted(v.partijen.all(), key=lambda p: (p.name, p.pk))),
            v.datum,
            tafel_id,
            position,
        )
        for position, v in enumerate(sorted(kaart.vervolgstappen, key=lambda v: (v.position, v.pk)))
    ]
    rows = _Rows(
        partijen=partijen,
        sessies=[],
        versies=[],
        perspectieven=perspectieven,
        bijdragen=bijdragen,
        koppelingen=koppelingen,
        vervolgstappen=vervolgstappen,
        seated={},
        seated_sessie={},
    )
    seated = {d.partij_id for d in kaart.deelnemers if d.partij_id is not None}
    return _kaart_pictures(tafel_id, kaart.opgave.title, rows, seated)


def _kaart_pictures(tafel_id: int, title: str, rows: _Rows, seated: set[int] | None) -> dict:
    findings = find(
        rows.partijen,
        bijdragen=rows.bijdragen,
        koppelingen=rows.koppelingen,
        vervolgstappen=rows.vervolgstappen,
        perspectieven=rows.perspectieven,
        seated=seated or set(),
    )
    shown = [
        p for p in rows.partijen if p.id in findings.present_ids or p.id in findings.missing_ids
    ]
    return {
        "findings": findings,
        "chart": pictures.balans_chart(findings.balans, chart_id=f"balans-t{tafel_id}"),
        "kaartmap": pictures.kaart_map(
            title=title,
            partijen=shown,
            edges=findings.edges,
            missing_ids=findings.missing_ids,
            map_id=f"kaartmap-t{tafel_id}",
        ),
        "flag_labels": FLAG_LABELS,
        "reason_labels": REASON_LABELS,
    }


def sessie_matrix(summary: Summary) -> dict:
    """Per sessie (rows) and partij (columns): at the table, missing or absent, and its balance.

    Sessies grow in number, partijen hardly: rows per sessie keep the table printable.
    """
    involved = set()
    for found in summary.per_sessie.values():
        involved |= found.present_ids | found.missing_ids
    partijen = [p for p in summary.partijen if p.id in involved]
    rows = []
    for sessie in summary.sessies:
        found = summary.per_sessie[sessie.id]
        cells = []
        for partij in partijen:
            if partij.id in found.missing_ids:
                state = "missing"
            elif partij.id in found.present_ids:
                state = "present"
            else:
                state = "absent"
            cells.append(
                {"partij": partij, "state": state, "balans": found.balans.row_for(partij.id)}
            )
        rows.append({"sessie": sessie, "findings": found, "cells": cells})
    return {"partijen": partijen, "rows": rows}


def described(
    summary: Summary, bijdragen: list[BijdrageInfo], limit: int | None = None
) -> list[dict]:
    """Bijdragen with their partij and where they were written, for lists on the pages."""
    partijen = summary.partij_by_id
    tafels = summary.tafel_by_id
    sessies = summary.sessie_by_tafel
    several_tafels = sum(len(s.tafels) for s in summary.sessies) > 1
    items = []
    for b in bijdragen[:limit]:
        where = []
        if len(summary.sessies) > 1:
            where.append(sessies[b.tafel_id].title)
        if several_tafels:
            where.append(tafels[b.tafel_id].label)
        items.append({"b": b, "partij": partijen[b.partij_id], "where": " · ".join(where)})
    return items


def page_context(summary: Summary) -> dict:
    """What the summary page (and the PDF, which prints the same page) shows."""
    limit = LIST_LIMIT if summary.scope == "opgave" else None
    prefix = f"{summary.scope}-{summary.sessie.id if summary.sessie else summary.opgave.id}"
    context = {
        "summary": summary,
        "findings": summary.findings,
        "chart": summary.balans_chart(chart_id=f"balans-{prefix}"),
        "kaartmap": summary.kaart_map(map_id=f"kaartmap-{prefix}"),
        "text_items": summary.text_items,
        "list_limit": LIST_LIMIT,
        "needs": described(summary, summary.findings.needs, limit),
        "offers": described(summary, summary.findings.offers, limit),
    }
    views = summary.sessie_views()
    if summary.scope == "sessie":
        context["view"] = views[0]
        context["history"] = views[0].history
    else:
        context["sessie_views"] = views
        context["matrix"] = sessie_matrix(summary)
        context["history_items"] = summary.history_items
        context["vervolgstappen"] = [
            (view.sessie, stap)
            for view in views
            for tafel in view.tafels
            for stap in tafel.vervolgstappen
        ]
    return context
