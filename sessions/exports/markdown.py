"""Markdown: the readable summary as plain text, for wikis, mail and version control.

User text is escaped: it cannot become a link, an image, a heading or HTML.
"""

from __future__ import annotations

import re

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sessions import insight
from sessions.insight import FLAG_LABELS, REASON_LABELS, VELD_LABELS, Findings, Summary
from sessions.insight.labels import bijdrage_about, stap_status_label
from sessions.insight.samenvatting import samenvatting_of
from sessions.templatetags.insight_tags import whole_percent

# Note: makemessages (xgettext) does not read _() inside an f-string; a string used only there
# must be written outside one, as "The kaarten" is.

# Mid-line, only these can start markup (lines always begin with our own prefix).
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")


def md(text: str) -> str:
    """User text as inert Markdown on one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _pct(value) -> str:
    return whole_percent(value)


def _level(value) -> str:
    if value is None:
        return "–"
    if float(value).is_integer():
        return str(int(value))
    return number_format(value, decimal_pos=1)  # 3,5 in Dutch


def _samenvatting(out: list[str], summary: Summary) -> None:
    s = samenvatting_of(summary)
    out.append("## " + _("Executive summary") + "\n")
    if s.kernboodschap and s.kernboodschap.tekst:
        out.extend("> " + md(line) for line in s.kernboodschap.tekst.splitlines() if line.strip())
        out.append("")
    none = "–"
    out.append(f"- **{_('At the table')}**: " + (", ".join(md(n) for n in s.present) or none))
    out.append(f"- **{_('Missing')}**: " + (", ".join(md(n) for n in s.missing) or none))
    toezeggingen = "; ".join(
        f"{md(partij)}: "
        + ", ".join(md(t.tekst) + (f" ({md(t.soort)})" if t.soort else "") for t in items)
        for partij, items in s.toezeggingen
    )
    out.append(f"- **{_('Commitments')}**: " + (toezeggingen or none))
    out.append(f"- **{_('Balance')}**: {md(s.balance)}")
    stappen = "; ".join(
        f"{md(stap.title)} ("
        + _("owner %(owner)s") % {"owner": md(stap.eigenaar)}
        + (f", {date_format(stap.datum, 'DATE_FORMAT')}" if stap.datum else "")
        + ")"
        for stap in s.vervolgstappen
    )
    out.append(f"- **{_('Vervolgstappen')}**: " + (stappen or none))
    out.append("")


def _balans(out: list[str], findings: Findings) -> None:
    balans = findings.balans
    if not balans.rows:
        out.append(_("No halen or brengen yet.") + "\n")
        return
    if balans.in_balance:
        out.append(
            _(
                "In balance: no partij brings or takes far more than the others, and none only "
                "takes or only brings."
            )
            + "\n"
        )
    else:
        flagged = "; ".join(
            f"**{md(row.name)}** " + ", ".join(str(FLAG_LABELS[f]) for f in row.flags)
            for row in balans.flagged
        )
        out.append(_("Check the balance:") + " " + flagged + "\n")
    out.append(
        "| "
        + " | ".join(
            [
                _("Partij"),
                _("Brengen"),
                _("Halen"),
                _("Share of brengen"),
                _("Share of halen"),
                _("Signals"),
            ]
        )
        + " |"
    )
    out.append("|---|---:|---:|---:|---:|---|")
    for row in balans.rows:
        signals = ", ".join(str(FLAG_LABELS[f]) for f in row.flags) or "–"
        out.append(
            f"| {md(row.name)} | {row.breng} | {row.haal} | {_pct(row.breng_share)} | "
            f"{_pct(row.haal_share)} | {signals} |"
        )
    out.append("")


def _missing(out: list[str], findings: Findings) -> None:
    if not findings.missing:
        out.append(_("No partij is noted or found missing.") + "\n")
        return
    for m in findings.missing:
        kind = _("noted as missing") if m.declared else _("suggested: named, but not at the table")
        details = [
            md(r.detail) if r.kind == "declared" else f"{REASON_LABELS[r.kind]}: “{md(r.detail)}”"
            for r in m.reasons
            if r.detail
        ]
        out.append(f"- **{md(m.name)}** ({kind})" + (": " + "; ".join(details) if details else ""))
    out.append("")


def _items(out: list[str], items: list[dict], empty: str) -> None:
    if not items:
        out.append(empty + "\n")
        return
    for item in items:
        where = f" ({md(item['where'])})" if item["where"] else ""
        b = item["b"]
        out.append(f"- **{md(item['partij'].name)}**: {md(b.tekst)} ({bijdrage_about(b)}){where}")
    out.append("")


def _urgency(out: list[str], findings: Findings) -> None:
    u = findings.urgency
    if not u.values:
        out.append(_("No urgency given yet (or no perspectief revealed yet).") + "\n")
        return
    out.append(
        _("Urgency from %(low)s to %(high)s (median %(median)s, spread %(spread)s).")
        % {
            "low": _level(u.minimum),
            "high": _level(u.maximum),
            "median": _level(u.median),
            "spread": _level(u.spread),
        }
    )
    if u.outliers:
        names = ", ".join(f"{md(v.name)} ({_level(v.urgentie)})" for v in u.outliers)
        out.append(
            _("Does every partij feel the urgency?")
            + " "
            + names
            + " "
            + ngettext(
                "lies 2 or more from the median.",
                "lie 2 or more from the median.",
                len(u.outliers),
            )
        )
    out.append("")
    for v in u.values:
        out.append(f"- {md(v.name)}: {_level(v.urgentie)} / 5")
    out.append("")


def _diff(change) -> str:
    if change.previous is None:
        return md(change.versie.tekst) or _("(empty)")
    text = ""
    for part in change.diff:
        if part.op == "equal":
            piece = md(part.text)
        elif part.op == "insert":
            piece = f"**{md(part.text)}**"
        else:
            piece = f"~~{md(part.text)}~~"
        text += (" " if text and part.space else "") + piece
    return text


def _kaart(out: list[str], t: insight.TafelView) -> None:
    out.append(f"#### {md(t.tafel.label)}\n")
    if t.is_empty:
        out.append(_("This kaart is still empty.") + "\n")
        return
    for block in t.blocks:
        out.append(f"**{md(block.partij.name)}**\n")
        if block.perspectief:
            p = block.perspectief
            urgentie = f" ({_('urgency')} {p.urgentie}/5)" if p.urgentie else ""
            out.append(f"- {_('Perspectief')}{urgentie}: {md(p.tekst)}")
        for b in block.halen:
            out.append(f"- {_('Haal')}: {md(b.tekst)} ({bijdrage_about(b)})")
        for b in block.brengen:
            out.append(f"- {_('Breng')}: {md(b.tekst)} ({bijdrage_about(b)})")
        out.append("")
    if t.koppelingen:
        out.append(f"**{_('Koppelingen: here we need each other')}**\n")
        for k in t.koppelingen:
            out.append(
                f"- {md(k.haal_partij.name)}: “{md(k.haal.tekst)}” ← "
                f"{md(k.breng_partij.name)}: “{md(k.breng.tekst)}”"
            )
        out.append("")
    if t.vervolgstappen:
        out.append(f"**{_('Vervolgstappen')}**\n")
        for v in t.vervolgstappen:
            others = ", ".join(md(p.name) for p in v.partijen)
            line = f"- {md(v.stap.title)} ({_('owner')}: {md(v.eigenaar.name)}"
            line += f"; {_('with')} {others}" if others else ""
            line += f"; {v.stap.datum.isoformat()}" if v.stap.datum else ""
            line += f"; {stap_status_label(v.stap.status)}"
            out.append(line + ")")
            latest = v.stap.updates[-1] if v.stap.updates else None
            if latest and latest.tekst:
                out.append(f"  - {_('Latest update')}: {md(latest.tekst)}")
        out.append("")


def render(summary: Summary) -> bytes:
    context = insight.page_context(summary)
    findings = summary.findings
    out: list[str] = []
    if summary.sessie:
        out.append(f"# {_('Summary of %(title)s') % {'title': md(summary.sessie.title)}}\n")
        out.append(f"{_('Opgave')}: {md(summary.opgave.title)}  ")
    else:
        out.append(f"# {_('Summary of %(title)s') % {'title': md(summary.opgave.title)}}\n")
    out.append(
        f"{_('Team')}: {md(summary.opgave.team)}  \n"
        + _("Made on %(moment)s")
        % {"moment": date_format(timezone.localtime(summary.generated_at), "DATETIME_FORMAT")}
        + "\n"
    )
    if summary.complete:
        out.append(
            "> "
            + _(
                "For facilitators: this includes confidential items and perspectieven not yet "
                "revealed. Share with care."
            )
            + "\n"
        )
    _samenvatting(out, summary)
    out.append(f"## {_('The opgave')}\n")
    for item in summary.text_items:
        out.append(f"- **{item['label']}**: {md(item['tekst']) or _('not yet formulated')}")
    out.append("")
    out.append(f"## {_('How the formulation changed')}\n")
    for veld in ("verbindende_vraag", "ambitie", "formulering"):
        changes = summary.history.get(veld, [])
        if summary.sessie:
            changes = [c for c in changes if c.versie.sessie_id == summary.sessie.id]
        if not changes:
            continue
        out.append(f"### {VELD_LABELS[veld]}\n")
        for change in changes:
            out.append(f"{change.versie.nummer}. {_diff(change)}")
        out.append("")
    out.append(f"## {_('Balance')}\n")
    _balans(out, findings)
    out.append(f"## {_('Missing partijen')}\n")
    _missing(out, findings)
    out.append(f"## {_('Needs nobody answers yet')}\n")
    _items(out, context["needs"], _("Every haal is answered by a breng."))
    out.append(f"## {_('Offers nobody uses yet')}\n")
    _items(out, context["offers"], _("Every breng answers a haal."))
    out.append(f"## {_('Urgency')}\n")
    _urgency(out, findings)
    for view in summary.sessie_views():
        if summary.scope == "opgave":
            out.append(f"## {md(view.sessie.title)}\n")
            count = ngettext("%(n)d koppeling", "%(n)d koppelingen", view.findings.koppelingen)
            out.append(
                f"{view.sessie.state_label} · {_('Halen')}: {view.findings.halen} · "
                f"{_('Brengen')}: {view.findings.brengen} · "
                + count % {"n": view.findings.koppelingen}
                + "\n"
            )
            _balans(out, view.findings)
        else:
            out.append("## " + _("The kaarten") + "\n")
        for t in view.tafels:
            _kaart(out, t)
    return ("\n".join(out).rstrip() + "\n").encode("utf-8")
