"""One item of the kaart pushed on its own: the smallest push of a change (docs/protocol.md).

A bijdrage, koppeling or vervolgstap is appended to its list, put in place of the one with its
id or taken out, and a list's count in its heading goes with an item added or taken out; a
bijdrage moved exchanges places with the one it passed; a perspectief or an opgave text is put
in place. Each is a region named "<kind>:<key>" or "<kind>:<id>:<swap>", rendered for one
viewer through the page's own templates, either from the kaart already loaded (`from_kaart`)
or from the item's own rows (`from_rows`, a query or two instead of the whole kaart).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.template.loader import render_to_string

from sessions.access import Access, sees
from sessions.kinds import Change
from sessions.models import (
    Bijdrage,
    Koppeling,
    OpgaveVersie,
    Partij,
    Tafel,
    Vervolgstap,
    VervolgstapUpdate,
)
from sessions.selectors import Kaart, PartijBlock, partij_block

# How a change of one item in a list reaches a page: appended to its list, in place of the
# old one, taken out, or (a bijdrage moved) exchanging places with the one it passed.
ITEM_SWAPS = {
    Change.BIJDRAGE_ADDED: "append",
    Change.BIJDRAGE_EDITED: "replace",
    Change.BIJDRAGE_DELETED: "delete",
    Change.BIJDRAGE_MOVED: "move",
    Change.KOPPELING_ADDED: "append",
    Change.KOPPELING_DELETED: "delete",
    Change.VERVOLGSTAP_ADDED: "append",
    Change.VERVOLGSTAP_EDITED: "replace",
    Change.VERVOLGSTAP_DELETED: "delete",
    Change.VERVOLGSTAP_FOLLOWED: "replace",
}
# The kaart's list regions by the kind of their items: the list is #kaart-<region>-list, its
# count #kaart-<region>-count.
LISTS = {"koppeling": "koppelingen", "vervolgstap": "vervolgstappen"}
KINDS = ("bijdrage", "koppeling", "vervolgstap", "count", "perspectief", "opgave")


def regions_of(item: str, kind: str, data: dict[str, Any], *, undo: bool = False) -> list[str]:
    """The regions of a change of one item (`item` as kinds.SPECS names it). Taken back
    (`undo`), an item in a list is pushed with its region around it, so that one coming
    back takes its old place; so is a move whose event does not name the bijdrage it passed
    (from before events said)."""
    if item == "perspectief":
        return [f"perspectief:{data['partij']}"]
    if item == "opgave_text":
        return [f"opgave:{data['veld']}"] if "veld" in data else ["opgave"]
    if item == "bijdrage":
        if undo or (kind == Change.BIJDRAGE_MOVED and "with" not in data):
            return [f"bijdragen:{data['partij']}", "koppelingen"]
        return [f"bijdrage:{data['id']}:{ITEM_SWAPS[kind]}"]
    if undo:
        return [LISTS[item]]
    swap = ITEM_SWAPS[kind]
    pushed = [f"{item}:{data['id']}:{swap}"]
    return pushed if swap == "replace" else [*pushed, f"count:{LISTS[item]}"]


def koppelingen_of(kind: str, data: dict[str, Any]) -> list[str]:
    """The koppelingen a bijdrage's edit or delete changes (the event names them): each in
    place of the old one, or taken out with the list's count."""
    swap = ITEM_SWAPS[kind]
    pushed = [f"koppeling:{pk}:{swap}" for pk in data["koppeling_ids"]]
    return [*pushed, "count:koppelingen"] if pushed and swap == "delete" else pushed


def is_item(region: str) -> bool:
    """Whether a region is one item ("opgave:<veld>"), not a region of the page ("opgave")."""
    kind, sep, _key = region.partition(":")
    return bool(sep) and kind in KINDS


def enclosing(region: str, data: dict[str, Any]) -> str:
    """The region around a moved bijdrage: its partij's halen and brengen."""
    return f"bijdragen:{data['partij']}"


# From the kaart already loaded ---------------------------------------------------------------


def from_kaart(kaart: Kaart, access: Access, region: str, data: dict[str, Any]) -> str | None:
    """This item's push for this viewer from the kaart; None for a move the page cannot follow
    by an exchange of places (then the region around it, `enclosing`)."""
    kind, key, swap = _parts(region)
    if kind == "bijdrage":
        found = {b.pk: b for b in [*kaart.halen, *kaart.brengen]}
        if swap == "move":
            return moved(access, found.get(int(key)), found.get(data["with"]))
        return bijdrage_push(access, region, data, found.get(int(key)))
    if kind == "koppeling":
        if swap == "delete":  # whether it was there for them: from its ends' rows
            return from_rows(kaart.tafel.pk, access, region, data)
        row = next((k for k in kaart.koppelingen if k.pk == int(key)), None)
        return list_item_push(kaart, access, region, row)
    if kind == "vervolgstap":
        row = next((s for s in kaart.vervolgstappen if s.pk == int(key)), None)
        return list_item_push(kaart, access, region, row)
    if kind == "count":
        return count_push(key, len(getattr(kaart, key)))
    if kind == "perspectief":
        block = next((b for b in kaart.blocks if b.partij.pk == int(key)), None)
        return perspectief_push(kaart, access, block)
    return opgave_text_push(kaart, access, key, kaart.texts.get(key))


# From the item's own rows --------------------------------------------------------------------


def from_rows(tafel_id: int, access: Access, region: str, data: dict[str, Any]) -> str | None:
    """What `from_kaart` gives for this region, from the rows it shows alone."""
    kind, key, swap = _parts(region)
    if kind == "bijdrage" and swap == "delete":
        return bijdrage_push(access, region, data, None)
    if kind == "bijdrage":
        ids = [int(key), data["with"]] if swap == "move" else [int(key)]
        rows = {
            b.pk: b
            for b in Bijdrage.objects.filter(tafel_id=tafel_id, pk__in=ids)
            if sees(access, vertrouwelijk=b.vertrouwelijk, author_id=b.author_id)
        }
        if swap == "move":
            return moved(access, rows.get(int(key)), rows.get(data["with"]))
        return bijdrage_push(access, region, data, rows.get(int(key)))
    shell = _shell(Tafel(pk=tafel_id), access)
    if kind == "koppeling" and swap == "delete":
        seen = _ends_seen(tafel_id, access, int(key), data)
        return list_item_push(shell, access, region, None) if seen else ""
    if kind == "koppeling":
        return list_item_push(shell, access, region, _koppeling(tafel_id, access, int(key)))
    if kind == "vervolgstap":
        return list_item_push(shell, access, region, _vervolgstap(tafel_id, int(key)))
    if kind == "count":
        return count_push(key, _count(tafel_id, access, key))
    tafel = Tafel.objects.select_related("sessie").get(pk=tafel_id)
    shell = _shell(tafel, access)
    if kind == "perspectief":
        return perspectief_push(shell, access, partij_block(tafel, int(key), access))
    versie = (
        OpgaveVersie.objects.filter(opgave_id=tafel.sessie.opgave_id, veld=key)
        .order_by("-nummer")
        .first()
    )
    return opgave_text_push(shell, access, key, versie)


def _shell(tafel: Tafel, access: Access) -> Kaart:
    """The kaart as an item's templates read it besides the item (its tafel, its sessie's
    step, the viewer's partij), without its items."""
    sessie = tafel.sessie if tafel.sessie_id else None
    return Kaart(
        tafel=tafel,
        sessie=sessie,
        opgave=None,
        texts={},
        blocks=[],
        koppelingen=[],
        vervolgstappen=[],
        deelnemers=[],
        presences=[],
        seq=0,
        access=access,
    )


def _koppeling(tafel_id: int, access: Access, pk: int) -> Koppeling | None:
    """The koppeling, when this viewer sees both the items it links (as on the kaart)."""
    row = (
        Koppeling.objects.select_related("haal__partij", "breng__partij", "herkomst")
        .filter(tafel_id=tafel_id, pk=pk)
        .first()
    )
    if row is None or not all(
        sees(access, vertrouwelijk=end.vertrouwelijk, author_id=end.author_id)
        for end in (row.haal, row.breng)
    ):
        return None
    return row


def _ends_seen(tafel_id: int, access: Access, pk: int, data: dict[str, Any]) -> bool:
    """Whether a koppeling taken out was there for this viewer: no end of it is an item they
    may not see (an end taken out since says nothing: the koppeling goes in any case). Taken
    out with a bijdrage (`data` is the bijdrage's delete), that bijdrage is one end."""
    if "koppeling_ids" in data:
        snapshot = data.get("snapshot", {})
        if not sees(
            access, vertrouwelijk=bool(data.get("vertrouwelijk")), author_id=snapshot.get("author")
        ):
            return False
        haal, breng = data["koppelingen"][data["koppeling_ids"].index(pk)]
    else:
        haal, breng = data["haal"], data["breng"]
    ends = Bijdrage.objects.filter(tafel_id=tafel_id, pk__in=[haal, breng])
    return all(sees(access, vertrouwelijk=b.vertrouwelijk, author_id=b.author_id) for b in ends)


def _vervolgstap(tafel_id: int, pk: int) -> Vervolgstap | None:
    return (
        Vervolgstap.objects.select_related("eigenaar", "herkomst")
        .prefetch_related(
            Prefetch("partijen", queryset=Partij.objects.order_by("name")),
            Prefetch("updates", queryset=VervolgstapUpdate.objects.order_by("created_at", "id")),
            "voorganger__updates",
        )
        .filter(tafel_id=tafel_id, pk=pk)
        .first()
    )


def _count(tafel_id: int, access: Access, region: str) -> int:
    """How many items the list region holds for this viewer: the koppelingen between items
    they see, every vervolgstap."""
    if region == "vervolgstappen":
        return Vervolgstap.objects.filter(tafel_id=tafel_id).count()
    ends = Koppeling.objects.filter(tafel_id=tafel_id).values_list(
        "haal__vertrouwelijk", "haal__author_id", "breng__vertrouwelijk", "breng__author_id"
    )
    return sum(
        sees(access, vertrouwelijk=haal_secret, author_id=haal_author)
        and sees(access, vertrouwelijk=breng_secret, author_id=breng_author)
        for haal_secret, haal_author, breng_secret, breng_author in ends
    )


# The HTML --------------------------------------------------------------------------------------


def _parts(region: str) -> tuple[str, str, str]:
    kind, _sep, rest = region.partition(":")
    key, _sep, swap = rest.partition(":")
    return kind, key, swap


def bijdrage_push(access: Access, region: str, data: dict[str, Any], bijdrage) -> str:
    """Appended to its list, in place of the old one, or taken out; nothing for whom it does
    not exist (another's vertrouwelijk item, or one a later change took out: that change's
    push follows). `bijdrage`: the row as this person may see it now, or None."""
    _kind, pk, swap = _parts(region)
    if swap == "delete":
        snapshot = data.get("snapshot", {})
        if not sees(
            access, vertrouwelijk=bool(data.get("vertrouwelijk")), author_id=snapshot.get("author")
        ):
            return ""
        return _render_item(access, "bijdrage", int(pk), swap, None)
    if bijdrage is None:
        return ""
    list_id = f"partij-{bijdrage.partij_id}-{bijdrage.soort}-list"
    return _render_item(access, "bijdrage", bijdrage.pk, swap, bijdrage, list_id=list_id)


def list_item_push(kaart: Kaart, access: Access, region: str, row: Any) -> str:
    """A koppeling or vervolgstap appended to its list, in place of the old one, or taken
    out; nothing where it is not there for this viewer (a koppeling to another's
    vertrouwelijk item, one a later change took out). `row`: the item as this viewer may see
    it now, or None."""
    kind, pk, swap = _parts(region)
    if swap != "delete" and row is None:
        return ""
    list_id = f"kaart-{LISTS[kind]}-list"
    return _render_item(access, kind, int(pk), swap, row, list_id=list_id, kaart=kaart)


def _render_item(access, kind, pk, swap, item, *, list_id="", kaart=None) -> str:
    return render_to_string(
        "sessions/includes/item_push.html",
        {
            "access": access,
            "kaart": kaart,
            "kind": kind,
            "pk": pk,
            "swap": swap,
            "item": item,
            "list_id": list_id,
        },
    )


def moved(access: Access, bijdrage: Bijdrage | None, other: Bijdrage | None) -> str | None:
    """A bijdrage moved past `other` (the two exchanged places in their list): for whom both
    are there, they exchange places on the page, wherever it has them, so that pushes
    rendered later than their change still add up; for whom neither is, nothing; None for
    whom one alone is (it passed items they do not see, or the other was taken out since):
    its place is then the kaart's as it is now."""
    if bijdrage is None and other is None:
        return ""
    if bijdrage is None or other is None:
        return None
    return render_to_string(
        "sessions/includes/bijdrage_moved.html",
        {
            "access": access,
            "moved": bijdrage,
            "other": other,
            "into_other": f"outerHTML:#bijdrage-{other.pk}",
            "into_placeholder": f"outerHTML:#bijdrage-{bijdrage.pk}-moving",
        },
    )


def count_push(region: str, count: int) -> str:
    """The count in a list region's heading, in place."""
    return render_to_string(
        "sessions/includes/region_count.html", {"region": region, "count": count, "oob": "true"}
    )


def perspectief_push(kaart: Kaart, access: Access, block: PartijBlock | None) -> str:
    """A partij's perspectief in place, as this viewer sees it (before the reveal what it
    says only to its own people and the facilitators; to others that it was written);
    nothing when the partij is not on the kaart."""
    if block is None:
        return ""
    return render_to_string(
        "sessions/includes/perspectief.html",
        {"kaart": kaart, "access": access, "block": block, "oob": "true"},
    )


def opgave_text_push(kaart: Kaart, access: Access, veld: str, versie: OpgaveVersie | None) -> str:
    """One of the opgave's texts in place, in its current version."""
    label = dict(OpgaveVersie.Veld.choices)[veld]
    return render_to_string(
        "sessions/includes/opgave_text.html",
        {
            "kaart": kaart,
            "access": access,
            "veld": veld,
            "label": label,
            "versie": versie,
            "oob": "true",
        },
    )
