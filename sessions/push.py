"""A committed change turned into the HTML its audiences are pushed: rendered once, at commit,
in the process that applied it, from the rows it just wrote, and carried in the bell.

The shape of Rails' Turbo Streams broadcasts: a change renders its smallest fragment after
commit and every subscriber gets that HTML. Here the bell carries the fragment for the
audience the change is most likely to meet, people in the sender's language who may edit;
a socket of that audience forwards it as it is (KaartConsumer.kaart_changed), without a query
or a render. A socket of another audience (a reader, another language) renders its own from
the database (sessions.fragments), once per process and audience (sessions.pushcache).

Only what looks the same to everyone who sees it travels in a bell: a vertrouwelijk item is
seen by its author and the facilitators alone, so its change carries no HTML at all.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import translation

from sessions import fragments, items
from sessions.access import Access
from sessions.kinds import Change

logger = logging.getLogger(__name__)

# What the bell carries HTML for: one bijdrage added, edited or taken out, where no koppeling
# links it; the rest is rendered by each audience from the database.
CARRIED = {Change.BIJDRAGE_ADDED, Change.BIJDRAGE_EDITED, Change.BIJDRAGE_DELETED}

EDITOR = Access(can_view=True, can_edit=True, role="deelnemer")


def audience(language: str, editor: bool) -> str:
    """The name of an audience in a bell: who see a pushed fragment alike (Access.editor:
    the edit controls are in their page, also while it is read-only for them)."""
    return f"{language}:{'edit' if editor else 'read'}"


def rendered(
    *, kind: str, data: dict[str, Any], seq: int, actor_name: str, item: Any = None
) -> dict[str, dict[str, str]]:
    """{audience: {region: html}} for the regions a socket is pushed after this change (and
    "announce", for the others than the sender), or {} when the bell carries none."""
    if kind not in CARRIED or data.get("vertrouwelijk"):
        return {}
    # The pictures follow on their own (KaartConsumer.pictures_later).
    regions = [r for r in fragments.regions_for_event(kind, data) if r != "inzicht"]
    if not all(region == "seq" or region.startswith("bijdrage:") for region in regions):
        # It touches more than the bijdrage: the koppelingen that show it, which look
        # different to the author of a vertrouwelijk end.
        return {}
    html = {}
    for region in regions:
        if region == "seq":
            html[region] = fragments.render_seq(seq)
        else:
            html[region] = items.bijdrage_push(EDITOR, region, data, item)
    html["announce"] = fragments.render_announcement(actor_name, kind)
    return {audience(translation.get_language(), True): html}


def rendered_or_none(**change: Any) -> dict[str, dict[str, str]]:
    """rendered(), or {} should it fail: the change is committed, and every socket renders its
    own push from the database as it would for another audience."""
    try:
        return rendered(**change)
    except Exception:  # noqa: BLE001 - the bell must ring whatever the render does
        logger.exception("push of %s not rendered at commit", change.get("kind"))
        return {}


def carried(event: dict[str, Any], language: str, editor: bool) -> dict[str, str] | None:
    """The HTML a bell carries for this audience, by region, or None."""
    return (event.get("html") or {}).get(audience(language, editor))
