"""The tables of an export (partijen, perspectieven, halen, brengen, koppelingen,
vervolgstappen, balans): shared by the XLSX and the CSV format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from sessions import analysis
from sessions.insight import FLAG_LABELS, REASON_LABELS, Findings, Summary
from sessions.models import Bijdrage, Partij

TABLE_KEYS = (
    "partijen",
    "perspectieven",
    "halen",
    "brengen",
    "koppelingen",
    "vervolgstappen",
    "balans",
)


@dataclass
class Table:
    key: str  # the sheet name and the CSV file name
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    percent_columns: tuple[int, ...] = ()
    widths: tuple[int, ...] = ()


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
    breng_soort = {k: str(v) for k, v in Bijdrage.BrengSoort.choices}
    toezegging = {k: str(v) for k, v in Bijdrage.Toezegging.choices}
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

    t_halen = Table(
        "halen",
        [
            _("Sessie"),
            _("Tafel"),
            _("Partij"),
            _("Haal"),
            _("Weight"),
            _("Answered by"),
            *secret,
        ],
        widths=(24, 12, 28, 60, 8, 30, 12),
    )
    t_brengen = Table(
        "brengen",
        [
            _("Sessie"),
            _("Tafel"),
            _("Partij"),
            _("Breng"),
            _("Weight"),
            _("Kind"),
            _("Commitment"),
            _("Answers the haal of"),
            *secret,
        ],
        widths=(24, 12, 28, 60, 8, 20, 12, 30, 12),
    )
    for b in summary.bijdragen:
        if b.soort == analysis.HAAL:
            t_halen.rows.append(
                [
                    *where(b.tafel_id),
                    partijen[b.partij_id].name,
                    b.tekst,
                    b.gewicht,
                    ", ".join(answered_by.get(b.id, [])),
                    *marked(b.vertrouwelijk),
                ]
            )
        else:
            t_brengen.rows.append(
                [
                    *where(b.tafel_id),
                    partijen[b.partij_id].name,
                    b.tekst,
                    b.gewicht,
                    breng_soort.get(b.breng_soort, b.breng_soort),
                    toezegging.get(b.toezegging, b.toezegging),
                    ", ".join(answers.get(b.id, [])),
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
        [_("Sessie"), _("Tafel"), _("Vervolgstap"), _("Owner"), _("Partijen"), _("Date")],
        widths=(24, 12, 50, 28, 50, 12),
    )
    for v in summary.vervolgstappen:
        t_vervolgstappen.rows.append(
            [
                *where(v.tafel_id),
                v.title,
                partijen[v.eigenaar_id].name,
                ", ".join(partijen[pk].name for pk in v.partij_ids),
                v.datum.isoformat() if v.datum else "",
            ]
        )

    t_balans = Table(
        "balans",
        [
            _("Sessie"),
            _("Partij"),
            _("Brengen (weighted)"),
            _("Halen (weighted)"),
            _("Number of brengen"),
            _("Number of halen"),
            _("Share of all brengen"),
            _("Share of all halen"),
            _("Signals"),
        ],
        percent_columns=(6, 7),
        widths=(24, 28, 12, 12, 12, 12, 12, 12, 40),
    )

    def balans_rows(label: str, findings: Findings) -> None:
        for row in findings.balans.rows:
            t_balans.rows.append(
                [
                    label,
                    row.name,
                    row.breng,
                    row.haal,
                    row.breng_count,
                    row.haal_count,
                    float(row.breng_share),
                    float(row.haal_share),
                    _flags(row.flags),
                ]
            )

    if summary.scope == "opgave":
        balans_rows(_("All sessies"), found)
    for sessie in summary.sessies:
        balans_rows(sessie.title, summary.per_sessie[sessie.id])

    return [
        t_partijen,
        t_perspectieven,
        t_halen,
        t_brengen,
        t_koppelingen,
        t_vervolgstappen,
        t_balans,
    ]
