"""The live regions of the kaart page, rendered from the same partials as a fresh page.

A region's root carries a stable id and hx-swap-oob, so the same HTML serves a page load, an
htmx response and a websocket push.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from sessions import items
from sessions.access import Access, sees_everything
from sessions.insight import kaart_insight
from sessions.kinds import SPECS, Change
from sessions.models import OpgaveVersie, Sessie, Tafel
from sessions.selectors import (
    REGION_STEP,
    Kaart,
    kaart_for,
    plenair_kaarten,
    sessie_room,
    stappen,
    tafel_overviews,
    werkgroep_lead,
    werkgroepen,
)

KAART_TEMPLATE = "sessions/kaart.html"

# Region name -> partial of the kaart page.
PARTIALS = {
    "stap": "stap",
    "opgave": "opgave",
    "partijen": "partijen",
    "ontbrekend": "ontbrekend",
    "koppelingen": "koppelingen",
    "vervolgstappen": "vervolgstappen",
    "presence": "presence",
    "inzicht": "inzicht",
    "seq": "seq",
}
FULL_CARD = (
    "stap",
    "opgave",
    "partijen",
    "ontbrekend",
    "koppelingen",
    "vervolgstappen",
    "presence",
    "inzicht",
    "seq",
)

# Which regions a change of each kind touches (sessions/kinds.py).
EVENT_REGIONS: dict[str, tuple[str, ...]] = {
    kind: spec.regions for kind, spec in SPECS.items() if kind != Change.UNDONE
}

# The items a change can be about, pushed on their own (sessions/items.py).
ITEMS = ("bijdrage", "koppeling", "vervolgstap", "perspectief", "opgave_text")


def _touches_koppelingen(kind: str, data: dict[str, Any]) -> bool:
    """A bijdrage's edit or delete changes the koppelingen only where one links it (the
    event says; an event from before it said so is taken to)."""
    if kind == Change.BIJDRAGE_EDITED:
        return data.get("linked", True)
    if kind == Change.BIJDRAGE_DELETED:
        return bool(data.get("koppelingen", True))
    return True


def regions_for_event(kind: str, data: dict[str, Any]) -> list[str]:
    """The regions to push after an event; an undo touches what the undone change touched.

    A change of one item pushes that item alone (sessions/items.py: "bijdrage:<id>:<swap>",
    "perspectief:<partij>", ...); an undo of an item in a list pushes the list's region (an
    item coming back takes its old place in its list)."""
    undo = kind == Change.UNDONE
    if undo:
        kind = data.get("kind", "")
    regions = []
    for region in EVENT_REGIONS.get(kind, FULL_CARD):
        if region == "koppelingen" and not undo and not _touches_koppelingen(kind, data):
            continue
        if region == "koppelingen" and not undo and "koppeling_ids" in data:
            # A bijdrage edited or taken out: each koppeling that shows it, in place or out.
            regions += items.koppelingen_of(kind, data)
            continue
        if region in ("partij", "bijdragen"):
            regions.append(f"{region}:{data['partij']}")
        elif region in ITEMS:
            regions += items.regions_of(region, kind, data, undo=undo)
        elif region == "perspectieven":
            # The reveal: each perspectief it showed alone (an event from before it named
            # them: the partijen).
            partijen = data.get("partijen")
            regions += (
                [f"perspectief:{p}" for p in partijen] if partijen is not None else ["partijen"]
            )
        else:
            regions.append(region)
    return [*dict.fromkeys(regions), "seq"]


# Which regions of a kaart a change of its sessie touches (broadcast.sessie_changed); a kind
# not here (tafels, access) may change what may be seen: the whole card, with access looked at
# afresh. A step change is the step region alone: what the step changes elsewhere on the kaart
# (the current task, condensed regions) follows it on the page (kaart.js followStep). A lock or
# state change too (regions_for_sessie_change).
SESSIE_REGIONS: dict[str, tuple[str, ...]] = {
    "opgave": ("opgave",),
    "partijen": SPECS[Change.PARTIJ_ADDED].regions,
    "step": ("stap",),
    "timer": ("stap",),
    "deelnemers": (),  # someone joined the sessie: nothing on a kaart changes
}


def regions_for_sessie_change(kind: str, data: dict[str, Any] | None = None) -> list[str] | None:
    """The regions to push after a change of the sessie; None: the whole card. One text of the
    opgave changed (`data` names it) is that text alone."""
    veld = (data or {}).get("veld")
    if kind == "opgave" and veld in OpgaveVersie.Veld.values:
        return [f"opgave:{veld}"]
    if kind == "state":
        # Locked, opened, closed: the edit controls stay in the page, and the step region
        # says whether they are shown (its data-readonly), once the socket took the state
        # from the bell (access.under).
        return ["stap"] if sessie_state(data) is not None else None
    regions = SESSIE_REGIONS.get(kind)
    return None if regions is None else list(regions)


def sessie_state(data: dict[str, Any] | None) -> tuple[str, bool] | None:
    """The sessie's state and lock a "state" bell names, or None."""
    data = data or {}
    if data.get("state") in Sessie.State.values and isinstance(data.get("locked"), bool):
        return data["state"], data["locked"]
    return None


def without_kaart(regions: list[str] | None) -> bool:
    """Whether these regions of a sessie's change are rendered from their own rows, not from
    the whole kaart (render_alone): the step region, one item (an opgave text)."""
    return bool(regions) and all(region == "stap" or items.is_item(region) for region in regions)


def render_alone(tafel_id: int, access: Access, region: str) -> str:
    """A region `without_kaart`, for this viewer."""
    if region == "stap":
        return render_stap(tafel_id, access)
    return items.from_rows(tafel_id, access, region, {}) or ""


def seen_alone(kaart: Kaart, access: Access) -> bool:
    """Whether this person's view of the kaart is theirs alone: a participant with a
    vertrouwelijk item of their own on it (the only ones they see). Their pushes are then
    rendered for them, not shared with their audience."""
    if access.role == "facilitator":
        return False
    items = [*kaart.halen, *kaart.brengen, *(b.perspectief for b in kaart.blocks)]
    return any(item is not None and item.vertrouwelijk for item in items)


def audience(region: str, access: Access, language: str, *, private: bool) -> tuple:
    """Everything a region's HTML depends on besides the kaart: who sees it alike. Sockets of
    one audience share one render of a push (sessions/pushcache.py). `private`: the person may
    have vertrouwelijk items of their own on the kaart, so what they see is theirs alone."""
    if region in ("seq", "announce"):
        return (language,)
    if region == "inzicht":
        # The pictures show what a summary shows (access.in_summary): all for facilitators,
        # for everyone else the same, not even their own vertrouwelijk items.
        return (language, sees_everything(access))
    deelnemer = access.deelnemer
    who = (
        language,
        access.role,
        access.editor,
        deelnemer.pk if deelnemer is not None and private else None,
    )
    if region == "stap":
        # The step region says whether the kaart is read-only for them now (data-readonly).
        return (*who, access.can_edit)
    partij_id = deelnemer.partij_id if deelnemer is not None else None
    if region.startswith(("partij:", "perspectief:")):
        # A partij's own people see its perspectief before the reveal, and may write it.
        return (*who, partij_id == int(region.split(":", 1)[1]))
    if region == "partijen":
        return (*who, partij_id)
    # The rest, a partij's halen and brengen ("bijdragen:<id>") and one item too, look the
    # same from every partij.
    return who


def context(kaart: Kaart, access: Access) -> dict[str, Any]:
    return {"kaart": kaart, "access": access}


def render_regions(kaart: Kaart, access: Access, regions: Iterable[str]) -> str:
    """The HTML of these regions for this viewer, in the given order, each with its id."""
    return "".join(render_each(kaart, access, regions).values())


def render_each(kaart: Kaart, access: Access, regions: Iterable[str]) -> dict[str, str]:
    """The HTML of each of these regions of the page for this viewer, by region name, in
    order (an item on its own: render_pieces)."""
    ctx = context(kaart, access)
    parts = {}
    for region in dict.fromkeys(regions):
        if region.startswith(("partij:", "bijdragen:")):
            kind, partij_id = region.split(":", 1)
            block = next((b for b in kaart.blocks if b.partij.pk == int(partij_id)), None)
            if block is None:  # the partij is gone: the grid renders without it
                parts[region] = render_to_string(f"{KAART_TEMPLATE}#partijen", ctx)
            else:
                template = "sessions/includes/partij_block.html"
                if kind == "bijdragen":
                    template += "#bijdragen"
                parts[region] = render_to_string(template, {**ctx, "block": block})
        else:
            parts[region] = render_to_string(f"{KAART_TEMPLATE}#{PARTIALS[region]}", ctx)
    return parts


def render_pictures(tafel_id: int, access: Access) -> str:
    """The balance and map region ("inzicht") from the rows the pictures need (the insight's
    own loader), not from the whole kaart: what render_each gives for it."""
    tafel = Tafel.objects.select_related("sessie__opgave").get(pk=tafel_id)
    kaart = {
        "condensed": {"inzicht": tafel.sessie.stap != REGION_STEP["inzicht"]},
        "insight": kaart_insight(tafel_id, access, tafel=tafel),
    }
    return render_to_string(f"{KAART_TEMPLATE}#inzicht", {"kaart": kaart, "access": access})


def render_stap(tafel_id: int, access: Access) -> str:
    """The step region (the step, its timer, the actions) from the sessie's row, not from the
    whole kaart: what render_each gives for it."""
    tafel = Tafel.objects.select_related("sessie").get(pk=tafel_id)
    kaart = {
        "sessie": tafel.sessie,
        "tafel": tafel,
        "stappen": stappen(),
        "werkgroep_lead": werkgroep_lead(tafel),
    }
    return render_to_string(f"{KAART_TEMPLATE}#stap", {"kaart": kaart, "access": access})


def render_seq(seq: int) -> str:
    """The number of the change a push brings, and of the one the page must have before it."""
    return render_to_string(f"{KAART_TEMPLATE}#seq", {"kaart": {"seq": seq, "seq_prev": seq - 1}})


def lean(regions: Iterable[str]) -> bool:
    """Whether these regions are items on their own and the number: a push that needs those
    items' rows only, not the whole kaart."""
    regions = list(regions)
    return any(items.is_item(region) for region in regions) and all(
        region == "seq" or items.is_item(region) for region in regions
    )


def render_lean(
    tafel_id: int, access: Access, regions: list[str], *, seq: int, data: dict[str, Any]
) -> dict[str, list[str]]:
    """The push of items on their own (`lean(regions)`), from their rows: what render_pieces
    gives for the same regions from the whole kaart."""
    html = {}
    for region in regions:
        if region == "seq":
            html[region] = [render_seq(seq)]
            continue
        item = items.from_rows(tafel_id, access, region, data)
        if item is None:  # a move the page follows by the region around it
            kaart = kaart_for(tafel_id, access)
            around = items.enclosing(region, data)
            html[region] = render_pieces(kaart, access, [around], data)[around]
        else:
            html[region] = [item]
    return html


# Pushed frames stay well below what daphne sends in one websocket message (128 KiB, see
# docs/protocol.md): a region larger than this goes out as the region with its long lists
# left empty, then the lists' items in pieces that htmx appends (sessions/includes/more.html).
FRAME_BYTES = 60_000


def _size(html: str) -> int:
    return len(html.encode())


def render_pieces(
    kaart: Kaart, access: Access, regions: Iterable[str], data: dict[str, Any] | None = None
) -> dict[str, list[str]]:
    """Like render_each, but each region as pieces of at most FRAME_BYTES (as far as one item
    allows): usually the region alone, for a large region its shell and its items; an item
    on its own (sessions/items.py) for a change, whose `data` says which."""
    pieces = {}
    for region in dict.fromkeys(regions):
        if items.is_item(region):
            html = items.from_kaart(kaart, access, region, data or {})
            if html is None:  # a move the page follows by the region around it, maybe large
                around = items.enclosing(region, data or {})
                pieces[region] = render_pieces(kaart, access, [around])[around]
            else:
                pieces[region] = [html]
            continue
        if _estimate(kaart, region) > FRAME_BYTES:
            pieces[region] = _split(kaart, access, region)  # not rendered whole first
            continue
        html = render_each(kaart, access, [region])[region]
        pieces[region] = [html] if _size(html) <= FRAME_BYTES else _split(kaart, access, region)
    return pieces


ITEM_BYTES = 600  # an item's markup besides its text, about


def _estimate(kaart: Kaart, region: str) -> int:
    """About how large a region is, from its items, without rendering it."""
    kind, _sep, key = region.partition(":")
    if kind in ("partij", "bijdragen"):
        blocks = [block for block in kaart.blocks if block.partij.pk == int(key)]
        texts = [b.tekst for block in blocks for b in [*block.halen, *block.brengen]]
    elif region == "partijen":
        texts = [b.tekst for block in kaart.aan_tafel for b in [*block.halen, *block.brengen]]
    elif region == "koppelingen":
        texts = [_text_of(k) for k in kaart.koppelingen]
    elif region == "vervolgstappen":
        texts = [_text_of(stap) for stap in kaart.vervolgstappen]
    else:
        return 0
    return sum(ITEM_BYTES + len(text) for text in texts)


def _split(kaart: Kaart, access: Access, region: str) -> list[str]:
    """A large region as its hollow shell (lists empty) followed by its items in pieces."""
    ctx = {**context(kaart, access), "hollow": True}
    kind, _sep, key = region.partition(":")
    if kind in ("partij", "bijdragen"):
        block = next((b for b in kaart.blocks if b.partij.pk == int(key)), None)
        if block is None:
            return [render_to_string(f"{KAART_TEMPLATE}#partijen", ctx)]
        template = "sessions/includes/partij_block.html"
        if kind == "bijdragen":
            template += "#bijdragen"
        return [render_to_string(template, {**ctx, "block": block}), *_items_of(ctx, [block])]
    shell = render_to_string(f"{KAART_TEMPLATE}#{PARTIALS[region]}", ctx)
    if region == "partijen":
        return [shell, *_items_of(ctx, kaart.aan_tafel)]
    if region == "koppelingen":
        return [shell, *_more(ctx, "kaart-koppelingen-list", "koppeling", kaart.koppelingen)]
    if region == "vervolgstappen":
        stappen = kaart.vervolgstappen
        return [shell, *_more(ctx, "kaart-vervolgstappen-list", "vervolgstap", stappen)]
    return [shell]  # no long list in it: as large as it is


def _items_of(ctx: dict[str, Any], blocks) -> list[str]:
    pieces = []
    for block in blocks:
        for soort, bijdragen, _heading in block.columns:
            pieces += _more(ctx, f"partij-{block.partij.pk}-{soort}-list", "bijdrage", bijdragen)
    return pieces


def _text_of(item: Any) -> str:
    if hasattr(item, "tekst"):
        return item.tekst
    if hasattr(item, "haal"):
        return item.haal.tekst[:120] + item.breng.tekst[:120]
    return item.title


def _more(ctx: dict[str, Any], list_id: str, kind: str, items: list) -> list[str]:
    """These items, appended to list `list_id`, in pieces that fit in FRAME_BYTES: cut by their
    estimated size (ITEM_BYTES and their text), so that each is rendered once."""
    pieces, chunk, size = [], [], 0
    for item in items:
        item_size = ITEM_BYTES + len(_text_of(item).encode())
        if chunk and size + item_size > FRAME_BYTES * 3 // 4:
            pieces += _rendered(ctx, list_id, kind, chunk)
            chunk, size = [], 0
        chunk.append(item)
        size += item_size
    return pieces + _rendered(ctx, list_id, kind, chunk)


def _rendered(ctx: dict[str, Any], list_id: str, kind: str, items: list) -> list[str]:
    """One piece of items; halved should the estimate have been short."""
    if not items:
        return []
    html = render_to_string(
        "sessions/includes/more.html", {**ctx, "list_id": list_id, "kind": kind, "items": items}
    )
    if _size(html) <= FRAME_BYTES or len(items) == 1:
        return [html]
    half = len(items) // 2
    return _rendered(ctx, list_id, kind, items[:half]) + _rendered(ctx, list_id, kind, items[half:])


def frames(pieces: Iterable[str], limit: int = FRAME_BYTES) -> list[str]:
    """Pieces of HTML packed in order into as few websocket frames as `limit` allows."""
    packed: list[str] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        piece_size = _size(piece)
        if current and size + piece_size > limit:
            packed.append("".join(current))
            current, size = [], 0
        current.append(piece)
        size += piece_size
    if current:
        packed.append("".join(current))
    return packed


def full_card_frames(kaart: Kaart, access: Access) -> list[str]:
    """The whole card as websocket frames; the sequence number comes last, so a page that
    loses the connection halfway still asks for the card again."""
    pieces = render_pieces(kaart, access, FULL_CARD)
    return frames(piece for region in FULL_CARD for piece in pieces[region])


def render_presence(presences: list) -> str:
    """The presence region alone: who is at the tafel does not depend on who looks."""
    return render_to_string(f"{KAART_TEMPLATE}#presence", {"kaart": {"presences": presences}})


def render_full(kaart: Kaart, access: Access) -> str:
    return render_regions(kaart, access, FULL_CARD)


def render_ack(form_id: str, nonce: str = "") -> str:
    """Tells the sender its change (message `nonce`) was accepted, so the form it came from
    can be cleared."""
    return render_to_string("sessions/includes/ack.html", {"form_id": form_id, "nonce": nonce})


def render_error(
    message: str, *, form_id: str = "", conflict: dict | None = None, nonce: str = ""
) -> str:
    """An error frame: a message in the alert region, and for a stale edit the current value
    and version inside the sender's form, whose own text stays. `nonce` names the message it
    answers."""
    return render_to_string(
        "sessions/includes/error.html",
        {"message": message, "form_id": form_id, "conflict": conflict, "nonce": nonce},
    )


def render_announcement(actor_name: str, kind: str) -> str:
    """A polite, screen-reader-friendly line about someone else's change."""
    what = ANNOUNCEMENTS.get(kind, _("changed the kaart"))
    return render_to_string("sessions/includes/announce.html", {"actor": actor_name, "what": what})


ANNOUNCEMENTS = {kind: spec.announcement for kind, spec in SPECS.items()}


# A sessie's room: the control room, the plenary view and the waiting page -------------------


def render_room(sessie: Sessie, allowed: Access, *, join_url: str, csrf_token: str) -> str:
    """The live regions of the sessie's page for this viewer: a participant's waiting page
    (with the kaart to go to once seated), or the control room's status, tafels and invite."""
    if allowed.deelnemer is not None:
        deelnemer = allowed.deelnemer
        target = reverse("sessions:kaart", args=[deelnemer.tafel_id]) if deelnemer.tafel_id else ""
        context = {
            "sessie": sessie,
            "deelnemer": deelnemer,
            "target": target,
            "werkgroepen": [] if target else werkgroepen(sessie),
            "csrf_token": csrf_token,
        }
        return render_to_string("sessions/waiting.html#wait", context)
    context = {
        **sessie_room(sessie, allowed),
        "join_url": join_url,
        # The controls are plain POST forms: they need this browser's CSRF token.
        "csrf_token": csrf_token,
    }
    parts = ["status", "tafels"] + (["invite"] if allowed.can_manage else [])
    return "".join(render_to_string(f"sessions/sessie.html#{part}", context) for part in parts)


def render_tafel_overviews(sessie_id: int, allowed: Access, tafel_ids: list[int]) -> str:
    """These tafels' lines in the control room (none for a tafel not there for this viewer)."""
    overviews = tafel_overviews(sessie_id, allowed, tafel_ids)
    shown = [overviews[pk] for pk in tafel_ids if pk in overviews]
    return render_to_string("sessions/includes/tafel_overviews.html", {"overviews": shown})


def render_plenair(sessie: Sessie, allowed: Access, *, csrf_token: str) -> str:
    """The plenary view's kaarten, all of them (a new tafel, a changed sessie)."""
    context = {
        "sessie": sessie,
        "access": allowed,
        "csrf_token": csrf_token,
        **plenair_kaarten(sessie, allowed),
    }
    return render_to_string("sessions/plenair.html#live", context)


def render_compact_kaart(sessie: Sessie, allowed: Access, tafel_id: int, *, csrf_token: str) -> str:
    """One tafel's kaart in the plenary view, pushed on its own ("" when it is not there)."""
    tafel = sessie.tafels.filter(pk=tafel_id).first()
    if tafel is None:
        return ""
    context = {
        "sessie": sessie,
        "k": kaart_for(tafel_id, allowed),
        "carry": allowed.can_manage and not tafel.plenair,
        "oob": True,
        "csrf_token": csrf_token,
    }
    return render_to_string("sessions/includes/kaart_compact.html", context)
