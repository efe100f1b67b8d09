"""The context of the summary pages: the sessie matrix, the sentences, the long lists cut."""

from __future__ import annotations

from sessions.analysis import (
    BijdrageInfo,
)
from sessions.insight.samenvatting import samenvatting_of
from sessions.insight.summary import Summary

# Long lists on the opgave summary are cut here; the exports always hold everything.
LIST_LIMIT = 100


def sessie_matrix(summary: Summary) -> dict:
    """Per sessie and partij: at the table, missing or absent, and its balance; `rows` per
    sessie, and `grid` for the partijen's table, turned to whichever way has fewer columns."""
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
    # The partijen's table: a row per sessie, or, while there are more partijen than sessies
    # (most opgaven), a row per partij: eight partijen as columns no longer fit a page.
    by_partij = len(partijen) > len(rows)
    if by_partij:
        grid = [
            {"head": partij.name, "cells": [row["cells"][i] for row in rows]}
            for i, partij in enumerate(partijen)
        ]
        columns = [row["sessie"].title for row in rows]
    else:
        grid = [{"head": row["sessie"].title, "cells": row["cells"]} for row in rows]
        columns = [partij.name for partij in partijen]
    return {
        "partijen": partijen,
        "rows": rows,
        "grid": grid,
        "columns": columns,
        "by_partij": by_partij,
    }


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
        "samenvatting": samenvatting_of(summary),
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
        # Which brengen are in use: each koppeling, with the haal it answers.
        context["koppelingen"] = [
            (view.sessie, k) for view in views for tafel in view.tafels for k in tafel.koppelingen
        ]
    return context
