"""Several kaarten as one: the same haal or breng counted once, and the edges of the map."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sessions.analysis.inputs import BijdrageInfo, KoppelingInfo


@functools.lru_cache(maxsize=2**16)
def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def merge_duplicates(
    bijdragen: Sequence[BijdrageInfo], koppelingen: Sequence[KoppelingInfo]
) -> tuple[list[BijdrageInfo], list[KoppelingInfo]]:
    """Several kaarten (the tafels of a sessie, or the sessies of an opgave) read as one.

    The same haal or breng of the same partij (text compared without case and spacing) counts
    once, with its highest weight: the plenary kaart carries copies of the tafels' items, and
    a later sessie often repeats an earlier one. Koppelingen follow the kept item.
    """
    kept: dict[tuple[int, str, str], BijdrageInfo] = {}
    canonical: dict[int, int] = {}
    for b in bijdragen:
        key = (b.partij_id, b.soort, _norm(b.tekst))
        first = kept.get(key)
        if first is None:
            kept[key] = b
            canonical[b.id] = b.id
        else:
            canonical[b.id] = first.id
            if b.gewicht > first.gewicht:
                kept[key] = replace(first, gewicht=b.gewicht)
    pairs: dict[tuple[int, int], KoppelingInfo] = {}
    for k in koppelingen:
        if k.haal_id not in canonical or k.breng_id not in canonical:
            continue
        pair = (canonical[k.haal_id], canonical[k.breng_id])
        if pair not in pairs:
            pairs[pair] = replace(k, haal_id=pair[0], breng_id=pair[1])
    return list(kept.values()), list(pairs.values())


@dataclass(frozen=True)
class Edge:
    """All koppelingen from one partij's brengen to another partij's halen."""

    breng_partij_id: int
    haal_partij_id: int
    count: int
    halen: tuple[str, ...]


def edges(bijdragen: Iterable[BijdrageInfo], koppelingen: Iterable[KoppelingInfo]) -> list[Edge]:
    """The koppelingen between partijen, from the bringing partij to the taking partij."""
    by_id = {b.id: b for b in bijdragen}
    grouped: dict[tuple[int, int], list[str]] = defaultdict(list)
    for k in koppelingen:
        haal, breng = by_id.get(k.haal_id), by_id.get(k.breng_id)
        if haal is None or breng is None:
            continue
        grouped[(breng.partij_id, haal.partij_id)].append(haal.tekst)
    return [
        Edge(source, target, len(texts), tuple(texts))
        for (source, target), texts in sorted(grouped.items())
    ]
