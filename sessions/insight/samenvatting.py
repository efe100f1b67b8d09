"""The bestuurlijke samenvatting: what a coordinator sends on to a wethouder, on top of the
summary page, the PDF's first page and the Markdown. The facilitator's kernboodschap, then
plain-language lines made from the summary: who is at the table and who is missing, the
toezeggingen, the balance in words, and the vervolgstappen with owner and date."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from sessions import analysis
from sessions.insight.labels import FLAG_LABELS, breng_labels
from sessions.insight.summary import KernboodschapInfo, Summary
from sessions.models import Bijdrage, Vervolgstap


@dataclass(frozen=True)
class Toezegging:
    tekst: str
    soort: str  # the kind of breng, in words


@dataclass(frozen=True)
class Stap:
    title: str
    eigenaar: str
    datum: datetime.date | None


@dataclass(frozen=True)
class Samenvatting:
    kernboodschap: KernboodschapInfo | None
    present: list[str]
    missing: list[str]
    toezeggingen: list[tuple[str, list[Toezegging]]]  # per partij, in the opgave's order
    balance: str
    vervolgstappen: list[Stap]


def balance_in_words(findings) -> str:
    balans = findings.balans
    if not balans.rows:
        return _("No halen or brengen yet.")
    if balans.in_balance:
        return _("In balance: no partij brings or takes far more than the others.")
    flagged = "; ".join(
        f"{row.name} " + _(" and ").join(str(FLAG_LABELS[f]) for f in row.flags)
        for row in balans.flagged
    )
    return _("Not in balance: %(flagged)s.") % {"flagged": flagged}


def samenvatting_of(summary: Summary) -> Samenvatting:
    found = summary.findings
    partijen = summary.partij_by_id
    missing = found.missing_ids
    kinds, _commitments = breng_labels()
    toegezegd: dict[int, list[Toezegging]] = {}
    seen: set[tuple[int, str]] = set()
    for b in summary.bijdragen:
        if b.soort != analysis.BRENG or b.toezegging != Bijdrage.Toezegging.TOEGEZEGD:
            continue
        key = (b.partij_id, " ".join(b.tekst.lower().split()))
        if key in seen:  # the same breng on several kaarten is one toezegging
            continue
        seen.add(key)
        toegezegd.setdefault(b.partij_id, []).append(
            Toezegging(b.tekst, kinds.get(b.breng_soort, ""))
        )
    stappen = sorted(
        [v for v in summary.vervolgstappen if v.status in Vervolgstap.UNDERWAY],
        key=lambda v: (v.datum is None, v.datum or datetime.date.max, v.position),
    )
    return Samenvatting(
        kernboodschap=summary.kernboodschap,
        present=[
            p.name for p in summary.partijen if p.id in found.present_ids and p.id not in missing
        ],
        missing=[m.name for m in found.missing],
        toezeggingen=[(p.name, toegezegd[p.id]) for p in summary.partijen if p.id in toegezegd],
        balance=balance_in_words(found),
        vervolgstappen=[Stap(v.title, partijen[v.eigenaar_id].name, v.datum) for v in stappen],
    )
