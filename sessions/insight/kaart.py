"""The pictures on the live kaart: the balance and the map of one tafel."""

from __future__ import annotations

from sessions import pictures
from sessions.access import Access, in_summary, sees_everything
from sessions.analysis import (
    BijdrageInfo,
    KoppelingInfo,
    PartijInfo,
    PerspectiefInfo,
    VervolgstapInfo,
)
from sessions.insight.labels import FLAG_LABELS, REASON_LABELS
from sessions.insight.loading import _load, _Rows
from sessions.insight.summary import find
from sessions.models import (
    Tafel,
)


def kaart_insight(tafel_id: int, access: Access, tafel: Tafel | None = None) -> dict:
    """The pictures and findings of one tafel's kaart, as this person may see them (`tafel`:
    that tafel with its sessie and opgave, when loaded already).

    Returns {"findings": Findings, "chart": <balans.svg.html context>,
    "kaartmap": <kaart_map.svg.html context>, "flag_labels", "reason_labels"}.
    """
    if tafel is None:
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
        if p is not None
        and in_summary(vertrouwelijk=p.vertrouwelijk, revealed=p.revealed, complete=complete)
    ]
    bijdragen = []
    for block in by_name:
        for soort, items in (("breng", block.brengen), ("haal", block.halen)):
            shown = [
                b for b in items if in_summary(vertrouwelijk=b.vertrouwelijk, complete=complete)
            ]
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
