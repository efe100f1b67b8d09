"""The pictures on the live kaart: the balance and the map of one tafel."""

from __future__ import annotations

import datetime
from collections import defaultdict

from sessions import pictures, sql
from sessions.access import Access, in_summary, sees_everything
from sessions.analysis import (
    BijdrageInfo,
    KoppelingInfo,
    PartijInfo,
    PerspectiefInfo,
    VervolgstapInfo,
)
from sessions.insight.labels import FLAG_LABELS, REASON_LABELS
from sessions.insight.loading import _Rows
from sessions.insight.summary import find
from sessions.models import (
    Bijdrage,
    Deelnemer,
    Koppeling,
    Partij,
    Perspectief,
    Tafel,
    Vervolgstap,
)


def kaart_insight(tafel_id: int, access: Access, tafel: Tafel | None = None) -> dict:
    """The pictures and findings of one tafel's kaart, as this person may see them (`tafel`:
    that tafel with its sessie and opgave, when loaded already).

    Returns {"findings": Findings, "chart": <balans.svg.html context>,
    "kaartmap": <kaart_map.svg.html context>, "flag_labels", "reason_labels"}.
    """
    if tafel is None:
        tafel = Tafel.objects.select_related("sessie__opgave").get(pk=tafel_id)
    rows, seated = _kaart_rows(tafel, complete=sees_everything(access))
    return _kaart_pictures(tafel.pk, tafel.sessie.opgave.title, rows, seated)


def _kaart_rows(tafel: Tafel, *, complete: bool) -> tuple[_Rows, set[int]]:
    """What the insight's loader (_load) reads for one tafel, in the same order: the rows the
    pictures need and the partijen seated there, in seven written-out queries. The pictures
    follow every few seconds on every busy kaart; through the ORM the building of these
    queries cost most of their time."""
    table = {model: model._meta.db_table for model in (Partij, Perspectief, Bijdrage)}
    partijen = [
        PartijInfo(id=pk, name=name, wereld=wereld, ontbreekt=status == "ontbreekt", toelichting=t)
        for pk, name, wereld, status, t in sql.rows(
            f"SELECT id, name, wereld, status, toelichting FROM {table[Partij]}"
            " WHERE opgave_id = %s ORDER BY status, name, id",
            [tafel.sessie.opgave_id],
        )
    ]
    perspectieven = [
        PerspectiefInfo(pk, partij_id, tekst, urgentie, tid, bool(revealed), bool(secret))
        for pk, partij_id, tekst, urgentie, tid, revealed, secret in sql.rows(
            "SELECT p.id, p.partij_id, p.tekst, p.urgentie, p.tafel_id, p.revealed,"
            f" p.vertrouwelijk FROM {table[Perspectief]} p"
            f" JOIN {table[Partij]} pa ON pa.id = p.partij_id"
            " WHERE p.tafel_id = %s ORDER BY pa.name, p.id",
            [tafel.pk],
        )
        if in_summary(vertrouwelijk=bool(secret), revealed=bool(revealed), complete=complete)
    ]
    bijdragen = []
    rank: dict[tuple[int, str], int] = defaultdict(int)
    for row in sql.rows(
        "SELECT b.id, b.partij_id, b.soort, b.tekst, b.gewicht, b.tafel_id, b.breng_soort,"
        f" b.toezegging, b.vertrouwelijk FROM {table[Bijdrage]} b"
        f" JOIN {table[Partij]} pa ON pa.id = b.partij_id WHERE b.tafel_id = %s"
        " ORDER BY pa.name, b.partij_id, b.soort, b.position, b.id",
        [tafel.pk],
    ):
        *fields, secret = row  # as BijdrageInfo's fields, up to the position
        partij_id, soort = fields[1], fields[2]
        if not in_summary(vertrouwelijk=bool(secret), complete=complete):
            continue
        position = rank[partij_id, soort]  # the rank among the partij's halen (or brengen)
        rank[partij_id, soort] += 1
        bijdragen.append(BijdrageInfo(*fields, bool(secret), position))
    visible = {b.id for b in bijdragen}
    koppelingen = [
        KoppelingInfo(pk, haal_id, breng_id, tid)
        for pk, haal_id, breng_id, tid in sql.rows(
            f"SELECT id, haal_id, breng_id, tafel_id FROM {Koppeling._meta.db_table}"
            " WHERE tafel_id = %s ORDER BY created_at, id",
            [tafel.pk],
        )
        if haal_id in visible and breng_id in visible
    ]
    stappen, through = Vervolgstap._meta.db_table, Vervolgstap.partijen.through._meta.db_table
    stap_partijen: dict[int, list[int]] = defaultdict(list)
    for stap_id, partij_id in sql.rows(
        f"SELECT t.vervolgstap_id, t.partij_id FROM {through} t"
        f" JOIN {stappen} v ON v.id = t.vervolgstap_id"
        f" JOIN {table[Partij]} pa ON pa.id = t.partij_id"
        " WHERE v.tafel_id = %s ORDER BY pa.name, t.partij_id",
        [tafel.pk],
    ):
        stap_partijen[stap_id].append(partij_id)
    vervolgstappen = [
        VervolgstapInfo(
            pk, title, eigenaar_id, tuple(stap_partijen[pk]), _date(datum), tid, position
        )
        for position, (pk, title, eigenaar_id, datum, tid) in enumerate(
            sql.rows(
                f"SELECT id, title, eigenaar_id, datum, tafel_id FROM {stappen}"
                " WHERE tafel_id = %s ORDER BY position, id",
                [tafel.pk],
            )
        )
    ]
    seated = {
        partij_id
        for (partij_id,) in sql.rows(
            f"SELECT partij_id FROM {Deelnemer._meta.db_table}"
            " WHERE tafel_id = %s AND revoked = %s",
            [tafel.pk, False],
        )
    }
    rows = _Rows(partijen, perspectieven, bijdragen, koppelingen, vervolgstappen)
    return rows, seated


def _date(value) -> datetime.date | None:
    """A date column as the ORM gives it (SQLite's driver gives its text)."""
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


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
    rows = _Rows(partijen, perspectieven, bijdragen, koppelingen, vervolgstappen)
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
