"""JSON: the complete document, versioned (docs/export-schema.md, docs/export.schema.json).

Ids are the database ids of the exporting installation; references inside the document
(partij, haal, breng, sessie) use them. sessions.exports.importer reads this document back.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from sessions import analysis
from sessions.insight import Findings, Summary

FORMAT = "halenbrengen-export"
# 2: items carry `herkomst` (the sessie they were carried from), vervolgstappen their
# `voorganger`, tafels their `werkgroep`; a version 1 document is one without them, and still
# imports.
VERSION = 2


def _time(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _findings(findings: Findings) -> dict[str, Any]:
    urgency = findings.urgency
    return {
        "balans": [
            {
                "partij": row.partij_id,
                "breng": row.breng,
                "haal": row.haal,
                "breng_count": row.breng_count,
                "haal_count": row.haal_count,
                "breng_share": float(row.breng_share),
                "haal_share": float(row.haal_share),
                "flags": list(row.flags),
            }
            for row in findings.balans.rows
        ],
        "needs": [b.id for b in findings.needs],
        "offers": [b.id for b in findings.offers],
        "missing": [
            {
                "partij": m.partij_id,
                "declared": m.declared,
                "reasons": [{"kind": r.kind, "detail": r.detail} for r in m.reasons],
            }
            for m in findings.missing
        ],
        "urgency": {
            "minimum": urgency.minimum,
            "maximum": urgency.maximum,
            "median": urgency.median,
            "spread": urgency.spread,
            "values": [{"partij": v.partij_id, "urgentie": v.urgentie} for v in urgency.values],
            "outliers": [v.partij_id for v in urgency.outliers],
        },
    }


def build(summary: Summary) -> dict[str, Any]:
    sessie_ids = {s.id for s in summary.sessies}
    stap_ids = {v.id for v in summary.vervolgstappen}

    def herkomst(item) -> int | None:
        """Its sessie of origin, when that sessie is in the document (not in a sessie export
        of a later one)."""
        return item.herkomst_id if item.herkomst_id in sessie_ids else None

    by_tafel: dict[int, dict[str, list]] = {}
    for name in ("perspectieven", "bijdragen", "koppelingen", "vervolgstappen"):
        for item in getattr(summary, name):
            by_tafel.setdefault(item.tafel_id, {}).setdefault(name, []).append(item)

    def tafel(t) -> dict[str, Any]:
        items = by_tafel.get(t.id, {})
        return {
            "id": t.id,
            "nummer": t.nummer,
            "name": t.name,
            "plenair": t.plenair,
            "werkgroep": t.werkgroep_id if t.werkgroep_id in stap_ids else None,
            "perspectieven": [
                {
                    "id": p.id,
                    "partij": p.partij_id,
                    "tekst": p.tekst,
                    "urgentie": p.urgentie,
                    "revealed": p.revealed,
                    "vertrouwelijk": p.vertrouwelijk,
                    "herkomst": herkomst(p),
                }
                for p in items.get("perspectieven", [])
            ],
            "bijdragen": [
                {
                    "id": b.id,
                    "partij": b.partij_id,
                    "soort": b.soort,
                    "tekst": b.tekst,
                    "gewicht": b.gewicht,
                    "breng_soort": b.breng_soort,
                    "toezegging": b.toezegging,
                    "vertrouwelijk": b.vertrouwelijk,
                    "position": b.position,
                    "herkomst": herkomst(b),
                }
                for b in items.get("bijdragen", [])
            ],
            "koppelingen": [
                {"id": k.id, "haal": k.haal_id, "breng": k.breng_id, "herkomst": herkomst(k)}
                for k in items.get("koppelingen", [])
            ],
            "vervolgstappen": [
                {
                    "id": v.id,
                    "title": v.title,
                    "eigenaar": v.eigenaar_id,
                    "partijen": list(v.partij_ids),
                    "datum": v.datum.isoformat() if v.datum else None,
                    "position": v.position,
                    "status": v.status,
                    "updates": [
                        {
                            "status": u.status,
                            "tekst": u.tekst,
                            "author": u.author,
                            "created_at": _time(u.created_at),
                        }
                        for u in v.updates
                    ],
                    "herkomst": herkomst(v),
                    "voorganger": v.voorganger_id if v.voorganger_id in stap_ids else None,
                }
                for v in items.get("vervolgstappen", [])
            ],
        }

    return {
        "format": FORMAT,
        "version": VERSION,
        "scope": summary.scope,
        "generated_at": _time(summary.generated_at),
        "complete": summary.complete,
        "opgave": {
            "id": summary.opgave.id,
            "title": summary.opgave.title,
            "team": summary.opgave.team,
            "created_at": _time(summary.opgave.created_at),
            "texts": summary.texts,
            "versies": [
                {
                    "veld": v.veld,
                    "nummer": v.nummer,
                    "tekst": v.tekst,
                    "sessie": v.sessie_id,
                    "author": v.author,
                    "created_at": _time(v.created_at),
                }
                for v in sorted(summary.versies, key=lambda v: (v.veld, v.nummer))
            ],
            "kernboodschappen": [
                {
                    "sessie": k.sessie_id,
                    "nummer": k.nummer,
                    "tekst": k.tekst,
                    "author": k.author_name,
                    "created_at": _time(k.created_at),
                }
                for k in summary.kernboodschappen
            ],
        },
        "partijen": [
            {
                "id": p.id,
                "name": p.name,
                "wereld": p.wereld,
                "status": "ontbreekt" if p.ontbreekt else "aan_tafel",
                "toelichting": p.toelichting,
            }
            for p in summary.partijen
        ],
        "sessies": [
            {
                "id": s.id,
                "title": s.title,
                "state": s.state,
                "stap": s.stap,
                "starts_at": _time(s.starts_at),
                "created_at": _time(s.created_at),
                "tafels": [tafel(t) for t in s.tafels],
            }
            for s in summary.sessies
        ],
        "analysis": {
            "threshold": summary.threshold,
            "urgency_distance": analysis.URGENCY_DISTANCE,
            **_findings(summary.findings),
            "per_sessie": [
                {"sessie": s.id, **_findings(summary.per_sessie[s.id])} for s in summary.sessies
            ],
        },
    }


def render(summary: Summary) -> bytes:
    # Compact: the C encoder (an indent falls back to the pure-Python one, several times slower).
    return json.dumps(build(summary), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
