"""One loader reads an opgave (or one sessie, or one tafel) in a constant number of queries
and turns the rows into a Summary; it does not grow with the number of sessies, tafels or
bijdragen.

Who sees what: sessions.access.in_summary (facilitators see everything, `complete=True`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import F, Q
from django.utils import timezone

from sessions import analysis
from sessions.access import in_summary_q
from sessions.analysis import (
    BijdrageInfo,
    KoppelingInfo,
    PartijInfo,
    PerspectiefInfo,
    UpdateInfo,
    VersieInfo,
    VervolgstapInfo,
)
from sessions.insight.summary import (
    KernboodschapInfo,
    OpgaveInfo,
    SessieInfo,
    Summary,
    TafelInfo,
    find,
)
from sessions.models import (
    Bijdrage,
    Deelnemer,
    Kernboodschap,
    Koppeling,
    Opgave,
    OpgaveVersie,
    Partij,
    Perspectief,
    Sessie,
    Tafel,
    Vervolgstap,
    VervolgstapUpdate,
)

# Loading -----------------------------------------------------------------------------------


@dataclass
class _Rows:
    partijen: list[PartijInfo]
    perspectieven: list[PerspectiefInfo]
    bijdragen: list[BijdrageInfo]
    koppelingen: list[KoppelingInfo]
    vervolgstappen: list[VervolgstapInfo]
    # What the summaries read besides one kaart's pictures.
    sessies: list[SessieInfo] = field(default_factory=list)
    versies: list[VersieInfo] = field(default_factory=list)
    seated: dict[int, set[int]] = field(default_factory=dict)
    seated_sessie: dict[int, set[int]] = field(default_factory=dict)


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
    for pk, sid, nummer, name, plenair, werkgroep in tafels_qs.order_by(
        "plenair", "nummer"
    ).values_list("id", "sessie_id", "nummer", "name", "plenair", "werkgroep_id"):
        tafels_by_sessie[sid].append(TafelInfo(pk, sid, nummer, name, plenair, werkgroep))
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
        perspectieven_qs = perspectieven_qs.filter(in_summary_q(perspectief=True))
        bijdragen_qs = bijdragen_qs.filter(in_summary_q())
    perspectieven = [
        PerspectiefInfo(*row)
        for row in perspectieven_qs.order_by("tafel_id", "partij__name", "id").values_list(
            "id",
            "partij_id",
            "tekst",
            "urgentie",
            "tafel_id",
            "revealed",
            "vertrouwelijk",
            "herkomst_id",
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
        "herkomst_id",
    ):
        pk, partij_id, soort, tekst, gewicht, tid, breng_soort, toezegging, secret, herkomst = row
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
                secret,
                rank[key],
                herkomst,
            )
        )
        rank[key] += 1
    visible = {b.id for b in bijdragen}
    koppelingen = [
        KoppelingInfo(pk, haal_id, breng_id, tid, herkomst)
        for pk, haal_id, breng_id, tid, herkomst in Koppeling.objects.filter(**on_kaart)
        .order_by("tafel_id", "created_at", "id")
        .values_list("id", "haal_id", "breng_id", "tafel_id", "herkomst_id")
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
    stap_updates: dict[int, list[UpdateInfo]] = defaultdict(list)
    for stap_id, *update in (
        VervolgstapUpdate.objects.filter(**{f"vervolgstap__{k}": v for k, v in on_kaart.items()})
        .order_by("created_at", "id")
        .values_list("vervolgstap_id", "status", "tekst", "author_name", "created_at")
    ):
        stap_updates[stap_id].append(UpdateInfo(*update))
    vervolgstappen = []
    counter: dict[int, int] = defaultdict(int)  # the position: its rank on its kaart
    for pk, title, eigenaar_id, datum, tid, status, herkomst, voorganger in (
        Vervolgstap.objects.filter(**on_kaart)
        .order_by("tafel_id", "position", "id")
        .values_list(
            "id",
            "title",
            "eigenaar_id",
            "datum",
            "tafel_id",
            "status",
            "herkomst_id",
            "voorganger_id",
        )
    ):
        vervolgstappen.append(
            VervolgstapInfo(
                pk,
                title,
                eigenaar_id,
                tuple(stap_partijen[pk]),
                datum,
                tid,
                counter[tid],
                status,
                tuple(stap_updates[pk]),
                herkomst,
                voorganger,
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
    kern_rows = Kernboodschap.objects.filter(opgave=opgave)
    if sessie_id is not None:
        kern_rows = kern_rows.filter(Q(sessie_id=sessie_id) | Q(sessie__isnull=True))
    kernboodschappen = [
        KernboodschapInfo(*row)
        for row in kern_rows.order_by(F("sessie_id").asc(nulls_first=True), "nummer").values_list(
            "tekst", "nummer", "author_name", "created_at", "sessie_id"
        )
    ]
    own = [k for k in kernboodschappen if k.sessie_id == sessie_id]
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
        kernboodschappen=kernboodschappen,
        kernboodschap=own[-1] if own else None,
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
