"""The tables of an export (partijen, perspectieven, bijdragen, koppelingen, vervolgstappen
and their partijen, balans), and what the export is (`about`): shared by the XLSX and the CSV
format. Values keep their type (numbers, dates); each format writes them as its reader
expects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from sessions import analysis
from sessions.insight import FLAG_LABELS, REASON_LABELS, Findings, Summary
from sessions.insight.labels import breng_labels, stap_status_label
from sessions.models import Partij

TABLE_KEYS = (
    "partijen",
    "perspectieven",
    "bijdragen",
    "koppelingen",
    "vervolgstappen",
    "vervolgstap_partijen",
    "vervolgstap_updates",
    "balans",
    "balans_per_sessie",  # an opgave's export only
)


@dataclass
class Table:
    key: str  # the sheet name and the CSV file name
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    percent_columns: tuple[int, ...] = ()
    widths: tuple[int, ...] = ()


def about(summary: Summary) -> list[tuple[str, Any]]:
    """What the export is: of what, when, by whom, with or without the confidential items."""
    rows: list[tuple[str, Any]] = [(_("Opgave"), summary.opgave.title)]
    if summary.sessie is not None:
        rows.append((_("Sessie"), summary.sessie.title))
    rows += [
        (_("Team"), summary.opgave.team),
        # Local time, as the pages show it; a spreadsheet's dates have no time zone.
        (_("Exported at"), timezone.localtime(summary.generated_at).replace(tzinfo=None)),
        (_("Exported by"), summary.exported_by),
        (
            _("Contents"),
            _(
                "With confidential items and perspectieven not yet revealed: for "
                "facilitators only. Share with care."
            )
            if summary.complete
            else _("Without confidential items and perspectieven not yet revealed."),
        ),
    ]
    return rows


def _flags(flags: tuple[str, ...]) -> str:
    return "; ".join(str(FLAG_LABELS[f]) for f in flags)


def build(summary: Summary) -> list[Table]:
    partijen = summary.partij_by_id
    tafels = summary.tafel_by_id
    sessies = summary.sessie_by_tafel
    # Translated once, not per row: tens of thousands of gettext calls add up.
    yes_no = {True: _("yes"), False: _("no")}
    _yes = yes_no.__getitem__
    wereld = {k: str(v) for k, v in Partij.Wereld.choices}
    status = {k: str(v) for k, v in Partij.Status.choices}
    breng_soort, toezegging = breng_labels()
    bijdragen = {b.id: b for b in summary.bijdragen}
    places = {pk: [sessies[pk].title, tafel.label] for pk, tafel in tafels.items()}
    where = places.__getitem__

    found = summary.findings
    missing = {m.partij_id: m for m in found.missing}
    t_partijen = Table(
        "partijen",
        [_("Partij"), _("World"), _("Status"), _("Note"), _("At the table"), _("Missing because")],
        widths=(32, 14, 14, 30, 12, 50),
    )
    for p in summary.partijen:
        reasons = missing[p.id].reasons if p.id in missing else ()
        t_partijen.rows.append(
            [
                p.name,
                wereld.get(p.wereld, p.wereld),
                status[Partij.Status.ONTBREEKT if p.ontbreekt else Partij.Status.AAN_TAFEL],
                p.toelichting,
                _yes(p.id in found.present_ids and p.id not in missing),
                "; ".join(
                    f"{REASON_LABELS[r.kind]}: {r.detail}"
                    if r.detail
                    else str(REASON_LABELS[r.kind])
                    for r in reasons
                ),
            ]
        )

    # Only a complete export (facilitators) holds confidential items: only there the column.
    secret = [_("Confidential")] if summary.complete else []

    def marked(vertrouwelijk: bool) -> list[str]:
        return [_yes(vertrouwelijk)] if summary.complete else []

    t_perspectieven = Table(
        "perspectieven",
        [_("Sessie"), _("Tafel"), _("Partij"), _("Perspectief"), _("Urgency"), _("Revealed")]
        + secret,
        widths=(24, 12, 28, 60, 9, 10, 12),
    )
    for p in summary.perspectieven:
        t_perspectieven.rows.append(
            [
                *where(p.tafel_id),
                partijen[p.partij_id].name,
                p.tekst,
                p.urgentie,
                _yes(p.revealed),
                *marked(p.vertrouwelijk),
            ]
        )

    answered_by: dict[int, list[str]] = {}
    answers: dict[int, list[str]] = {}
    for k in summary.koppelingen:
        haal, breng = bijdragen[k.haal_id], bijdragen[k.breng_id]
        answered_by.setdefault(haal.id, []).append(partijen[breng.partij_id].name)
        answers.setdefault(breng.id, []).append(partijen[haal.partij_id].name)

    # Halen and brengen in one table, their kind a column: one table to filter and pivot.
    soort = {analysis.HAAL: _("haal"), analysis.BRENG: _("breng")}
    t_bijdragen = Table(
        "bijdragen",
        [
            _("Sessie"),
            _("Tafel"),
            _("Partij"),
            _("Haal or breng"),
            _("Text"),
            _("Weight"),
            _("Kind"),
            _("Commitment"),
            _("Koppeling with"),
            *secret,
        ],
        widths=(24, 12, 28, 15, 60, 9, 20, 14, 30, 14),
    )
    for b in summary.bijdragen:
        is_breng = b.soort == analysis.BRENG
        t_bijdragen.rows.append(
            [
                *where(b.tafel_id),
                partijen[b.partij_id].name,
                soort[b.soort],
                b.tekst,
                b.gewicht,
                breng_soort.get(b.breng_soort, b.breng_soort) if is_breng else "",
                toezegging.get(b.toezegging, b.toezegging) if is_breng else "",
                ", ".join((answers if is_breng else answered_by).get(b.id, [])),
                *marked(b.vertrouwelijk),
            ]
        )

    t_koppelingen = Table(
        "koppelingen",
        [
            _("Sessie"),
            _("Tafel"),
            _("Partij that takes"),
            _("Haal"),
            _("Partij that brings"),
            _("Breng"),
        ],
        widths=(24, 12, 28, 50, 28, 50),
    )
    for k in summary.koppelingen:
        haal, breng = bijdragen[k.haal_id], bijdragen[k.breng_id]
        t_koppelingen.rows.append(
            [
                *where(k.tafel_id),
                partijen[haal.partij_id].name,
                haal.tekst,
                partijen[breng.partij_id].name,
                breng.tekst,
            ]
        )

    t_vervolgstappen = Table(
        "vervolgstappen",
        [
            _("Sessie"),
            _("Tafel"),
            _("Vervolgstap"),
            _("Owner"),
            _("Partijen"),
            _("Date"),
            _("Status"),
        ],
        widths=(24, 12, 50, 28, 50, 12, 14),
    )
    # One row per partij of a vervolgstap as well: the cell of names reads well, this counts.
    t_betrokken = Table(
        "vervolgstap_partijen",
        [_("Sessie"), _("Tafel"), _("Vervolgstap"), _("Partij"), _("Role")],
        widths=(24, 12, 50, 28, 14),
    )
    t_updates = Table(
        "vervolgstap_updates",
        [_("Sessie"), _("Tafel"), _("Vervolgstap"), _("When"), _("Status"), _("Update"), _("By")],
        widths=(24, 12, 50, 18, 14, 60, 24),
    )
    owner, involved = _("owner"), _("involved")
    for v in summary.vervolgstappen:
        t_vervolgstappen.rows.append(
            [
                *where(v.tafel_id),
                v.title,
                partijen[v.eigenaar_id].name,
                ", ".join(partijen[pk].name for pk in v.partij_ids),
                v.datum or "",
                stap_status_label(v.status),
            ]
        )
        t_updates.rows.extend(
            [
                *where(v.tafel_id),
                v.title,
                timezone.localtime(u.created_at).replace(tzinfo=None) if u.created_at else "",
                stap_status_label(u.status),
                u.tekst,
                u.author,
            ]
            for u in v.updates
        )
        t_betrokken.rows.append([*where(v.tafel_id), v.title, partijen[v.eigenaar_id].name, owner])
        t_betrokken.rows.extend(
            [*where(v.tafel_id), v.title, partijen[pk].name, involved]
            for pk in v.partij_ids
            if pk != v.eigenaar_id
        )

    balans_headers = [
        _("Partij"),
        _("Brengen (weighted)"),
        _("Halen (weighted)"),
        _("Number of brengen"),
        _("Number of halen"),
        _("Share of all brengen"),
        _("Share of all halen"),
        _("Signals"),
    ]

    def balans_rows(findings: Findings, before: list[str]) -> list[list[Any]]:
        return [
            [
                *before,
                row.name,
                row.breng,
                row.haal,
                row.breng_count,
                row.haal_count,
                float(row.breng_share),
                float(row.haal_share),
                _flags(row.flags),
            ]
            for row in findings.balans.rows
        ]

    # The scope's own balance, and in an opgave's export each sessie's in a table of its own:
    # never totals and parts in one table, where a sum or pivot would count twice.
    t_balans = Table(
        "balans",
        balans_headers,
        rows=balans_rows(found, []),
        percent_columns=(5, 6),
        widths=(28, 12, 12, 12, 12, 12, 12, 40),
    )
    result = [
        t_partijen,
        t_perspectieven,
        t_bijdragen,
        t_koppelingen,
        t_vervolgstappen,
        t_betrokken,
        t_updates,
        t_balans,
    ]
    if summary.scope == "opgave":
        t_per_sessie = Table(
            "balans_per_sessie",
            [_("Sessie"), *balans_headers],
            percent_columns=(6, 7),
            widths=(24, 28, 12, 12, 12, 12, 12, 12, 40),
        )
        for sessie in summary.sessies:
            t_per_sessie.rows += balans_rows(summary.per_sessie[sessie.id], [sessie.title])
        result.append(t_per_sessie)
    return result
