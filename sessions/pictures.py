"""The geometry of the insight pictures: numbers for the SVG templates, computed here.

templates/sessions/insight/balans.svg.html draws `balans_chart(...)` (context name `chart`);
templates/sessions/insight/kaart_map.svg.html draws `kaart_map(...)` (context name `kaartmap`).
The templates only place what is computed here and translate the labels: no arithmetic, no
script, no style attribute (the CSP forbids inline styles; SVG presentation attributes are fine).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Sequence

from sessions.analysis import Balans, Edge, PartijInfo

HAAL_COLOUR = "#8a3b00"
BRENG_COLOUR = "#1d6b38"
LINK_COLOUR = "#0b5394"
INK = "#1b1f24"
MUTED = "#4a5360"
FLAG_COLOUR = "#a4161a"


def wrap(text: str, width: int, lines: int) -> list[str]:
    """At most `lines` lines of about `width` characters; an ellipsis where text was cut."""
    wrapped = textwrap.wrap(" ".join(text.split()), width=width, break_long_words=True) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: max(1, width - 1)].rstrip() + "…"
    return wrapped


# The balance chart ---------------------------------------------------------------------------

CHART_WIDTH = 680
LABEL_WIDTH = 200
BAR_X = LABEL_WIDTH + 10
BAR_MAX = 360
BAR_HEIGHT = 16
BAR_GAP = 4
LINE = 15
TOP = 44


def balans_chart(balans: Balans, *, chart_id: str = "balans") -> dict:
    """Horizontal bars per partij: weighted halen above, weighted brengen below."""
    from sessions.insight.labels import FLAG_LABELS  # (sessions.insight imports this module)

    largest = max([1, *(max(row.haal, row.breng) for row in balans.rows)])
    rows = []
    y = TOP
    for row in balans.rows:
        name_lines = wrap(row.name, 22, 2)  # bold 12 px: 22 wide characters fit in 200 px
        # A warning wraps as a name does: one line of it ran past the chart's left edge.
        flag_lines = [
            line for flag in row.flags for line in wrap("⚠ " + str(FLAG_LABELS[flag]), 28, 2)
        ]
        height = max(2 * BAR_HEIGHT + BAR_GAP, (len(name_lines) + len(flag_lines)) * LINE) + 18
        haal_w = round(BAR_MAX * row.haal / largest, 1)
        breng_w = round(BAR_MAX * row.breng / largest, 1)
        rows.append(
            {
                "partij_id": row.partij_id,
                "name": row.name,
                "name_lines": [
                    {"text": text, "y": y + 13 + i * LINE} for i, text in enumerate(name_lines)
                ],
                "flags": [{"key": flag} for flag in row.flags],
                "flag_lines": [
                    {"text": text, "y": y + 13 + (len(name_lines) + i) * LINE}
                    for i, text in enumerate(flag_lines)
                ],
                "haal": row.haal,
                "breng": row.breng,
                "haal_y": y,
                "breng_y": y + BAR_HEIGHT + BAR_GAP,
                "haal_w": haal_w,
                "breng_w": breng_w,
                "haal_text_x": BAR_X + haal_w + 6,
                "breng_text_x": BAR_X + breng_w + 6,
                "haal_text_y": y + BAR_HEIGHT - 3,
                "breng_text_y": y + 2 * BAR_HEIGHT + BAR_GAP - 3,
                "haal_share": float(row.haal_share),
                "breng_share": float(row.breng_share),
                "flagged": bool(row.flags),
                "separator_y": y + height - 9,
            }
        )
        y += height
    return {
        "id": chart_id,
        "width": CHART_WIDTH,
        "height": max(y + 4, TOP + 30),
        "label_x": LABEL_WIDTH,
        "bar_x": BAR_X,
        "axis_bottom": max(y - 8, TOP + 10),
        "bar_height": BAR_HEIGHT,
        "rows": rows,
        "empty": not rows,
        "total_haal": balans.total_haal,
        "total_breng": balans.total_breng,
        "haal_colour": HAAL_COLOUR,
        "breng_colour": BRENG_COLOUR,
        "flag_colour": FLAG_COLOUR,
        "ink": INK,
        "muted": MUTED,
    }


# The kaart as a map --------------------------------------------------------------------------

NODE_WIDTH = 164
NODE_LINE = 16
MARGIN = 24


def _boundary(half_w: float, half_h: float, dx: float, dy: float) -> float:
    """Distance from a box's centre to its edge in direction (dx, dy) (a unit vector)."""
    candidates = []
    if abs(dx) > 1e-9:
        candidates.append(half_w / abs(dx))
    if abs(dy) > 1e-9:
        candidates.append(half_h / abs(dy))
    return min(candidates) if candidates else 0.0


def _unit(dx: float, dy: float) -> tuple[float, float]:
    length = math.hypot(dx, dy) or 1.0
    return dx / length, dy / length


def kaart_map(
    *,
    title: str,
    partijen: Sequence[PartijInfo],
    edges: Iterable[Edge],
    missing_ids: Iterable[int] = (),
    map_id: str = "kaartmap",
) -> dict:
    """The opgave in the middle, its partijen on a circle, arrows from bringing to taking.

    Partijen in `missing_ids` (declared or suggested missing) are drawn dashed.
    """
    missing = set(missing_ids)
    n = len(partijen)
    radius = max(270.0, n * (NODE_WIDTH + 40) / (2 * math.pi))
    cx = cy = round(radius + NODE_WIDTH / 2 + MARGIN)
    size = 2 * cx
    nodes = {}
    for i, partij in enumerate(partijen):
        angle = -math.pi / 2 + 2 * math.pi * i / max(n, 1)
        x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        lines = wrap(partij.name, 19, 3)
        half_h = len(lines) * NODE_LINE / 2 + 8
        nodes[partij.id] = {
            "partij_id": partij.id,
            "name": partij.name,
            "missing": partij.id in missing,
            "declared": partij.ontbreekt,
            "x": round(x - NODE_WIDTH / 2, 1),
            "y": round(y - half_h, 1),
            "width": NODE_WIDTH,
            "height": round(2 * half_h, 1),
            "cx": round(x, 1),
            "cy": round(y, 1),
            "half_h": half_h,
            "lines": [
                {"text": text, "y": round(y - half_h + 8 + NODE_LINE * (j + 0.8), 1)}
                for j, text in enumerate(lines)
            ],
        }
    centre_lines = wrap(title, 26, 5)
    centre_w, centre_h = 210, max(56, len(centre_lines) * 17 + 22)
    # Arrows keep this far from the centre, so they go around the opgave, not through it,
    # and inside the ring of the partijen' boxes.
    clearance = math.hypot(centre_w / 2, centre_h / 2) + 14
    inner = radius - NODE_WIDTH / 2 - 8
    spokes = []
    for node in nodes.values():
        dx, dy = _unit(node["cx"] - cx, node["cy"] - cy)
        start = _boundary(centre_w / 2, centre_h / 2, dx, dy)
        end = _boundary(NODE_WIDTH / 2, node["half_h"], dx, dy)
        length = math.hypot(node["cx"] - cx, node["cy"] - cy)
        spokes.append(
            {
                "x1": round(cx + dx * start, 1),
                "y1": round(cy + dy * start, 1),
                "x2": round(cx + dx * (length - end), 1),
                "y2": round(cy + dy * (length - end), 1),
            }
        )
    edges = list(edges)
    pairs = {(e.breng_partij_id, e.haal_partij_id) for e in edges}
    arrows = []
    for edge in edges:
        source, target = nodes.get(edge.breng_partij_id), nodes.get(edge.haal_partij_id)
        if source is None or target is None or source is target:
            continue
        sx, sy, tx, ty = source["cx"], source["cy"], target["cx"], target["cy"]
        dx, dy = _unit(tx - sx, ty - sy)
        # Every arrow leaves its partij towards the opgave, passes through the ring between
        # the opgave and the partijen' boxes, and comes into the other partij from the
        # opgave's side: a cubic curve whose control points lie on the two partijen' spokes
        # (pulled `pull` of the way in), pushed `side` to one side where the two are
        # (nearly) opposite. Bent outwards, an arrow ran over the boxes of the partijen
        # between its two (and its count read as theirs); straight, it crossed the opgave.
        mid_x, mid_y = (sx + tx) / 2, (sy + ty) / 2
        nx, ny = -dy, dx
        out = math.hypot(mid_x - cx, mid_y - cy)
        ox, oy = ((mid_x - cx) / out, (mid_y - cy) / out) if out > 1 else (nx, ny)
        if nx * ox + ny * oy < 0:
            nx, ny = -nx, -ny
        ring = (clearance + inner) / 2
        # The curve's midpoint is centre + (chord midpoint - centre) * (1 + 3 pull) / 4
        # + side * 3/4: on the ring.
        if out * 0.55 >= clearance:
            pull, side = (4 * ring / out - 1) / 3, 0.0
        else:  # round the opgave, only just: a wider swing reaches the boxes beside it
            pull = 0.3
            side = (clearance + 10 - out * (1 + 3 * pull) / 4) / 0.75
        c1x, c1y = cx + (sx - cx) * pull + ox * side, cy + (sy - cy) * pull + oy * side
        c2x, c2y = cx + (tx - cx) * pull + ox * side, cy + (ty - cy) * pull + oy * side
        if (edge.haal_partij_id, edge.breng_partij_id) in pairs:
            # Two arrows between the same partijen run side by side, a few pixels apart.
            shift = 7 if edge.breng_partij_id > edge.haal_partij_id else -7
            sx, sy, tx, ty = sx + nx * shift, sy + ny * shift, tx + nx * shift, ty + ny * shift
            c1x, c1y, c2x, c2y = (
                c1x + nx * shift,
                c1y + ny * shift,
                c2x + nx * shift,
                c2y + ny * shift,
            )
        ux, uy = _unit(c1x - sx, c1y - sy)
        start = _boundary(NODE_WIDTH / 2, source["half_h"], ux, uy) + 2
        vx, vy = _unit(c2x - tx, c2y - ty)
        stop = _boundary(NODE_WIDTH / 2, target["half_h"], vx, vy) + 3
        x1, y1 = sx + ux * start, sy + uy * start
        x2, y2 = tx + vx * stop, ty + vy * stop
        label_x = (x1 + 3 * c1x + 3 * c2x + x2) / 8
        label_y = (y1 + 3 * c1y + 3 * c2y + y2) / 8
        d = f"M{x1:.1f},{y1:.1f} C{c1x:.1f},{c1y:.1f} {c2x:.1f},{c2y:.1f} {x2:.1f},{y2:.1f}"
        arrows.append(
            {
                "from_name": source["name"],
                "to_name": target["name"],
                "count": edge.count,
                "halen": edge.halen,
                "d": d,
                "width": min(1.5 + edge.count, 6),
                "label_x": round(label_x, 1),
                "label_y": round(label_y, 1),
            }
        )
    return {
        "id": map_id,
        "size": size,
        "cx": cx,
        "cy": cy,
        "centre_x": cx - centre_w / 2,
        "centre_y": cy - centre_h / 2,
        "centre_w": centre_w,
        "centre_h": centre_h,
        "title": title,
        "title_lines": [
            {"text": text, "y": round(cy + (j - (len(centre_lines) - 1) / 2) * 17 + 4.5, 1)}
            for j, text in enumerate(centre_lines)
        ],
        "nodes": list(nodes.values()),
        "spokes": spokes,
        "arrows": arrows,
        "missing": [node for node in nodes.values() if node["missing"]],
        "empty": not nodes,
        "link_colour": LINK_COLOUR,
        "ink": INK,
        "muted": MUTED,
    }
