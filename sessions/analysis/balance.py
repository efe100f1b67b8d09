"""Balance: per partij, brengen against halen, and how far that lies from the others; needs
and offers nobody links yet."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from sessions.analysis.inputs import (
    ALLEEN_BRENGEN,
    ALLEEN_HALEN,
    BRENG,
    BRENGT_VEEL_MEER,
    DEFAULT_THRESHOLD,
    HAAL,
    HAALT_VEEL_MEER,
    BijdrageInfo,
    KoppelingInfo,
    PartijInfo,
)


@dataclass(frozen=True)
class BalansRow:
    """One partij's weighted brengen and halen, and how its shares compare with the others'."""

    partij_id: int
    name: str
    breng: int
    haal: int
    breng_count: int
    haal_count: int
    breng_share: Fraction
    haal_share: Fraction
    # Share divided by the mean share of the other partijen; None when there is nobody to
    # compare with or the others have nothing at all.
    breng_vs_others: Fraction | None
    haal_vs_others: Fraction | None
    flags: tuple[str, ...] = ()

    @property
    def saldo(self) -> int:
        return self.breng - self.haal

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class Balans:
    rows: tuple[BalansRow, ...]
    total_breng: int
    total_haal: int
    threshold: float

    @property
    def flagged(self) -> list[BalansRow]:
        return [row for row in self.rows if row.flags]

    @property
    def in_balance(self) -> bool:
        return bool(self.rows) and not self.flagged

    def row_for(self, partij_id: int) -> BalansRow | None:
        return next((row for row in self.rows if row.partij_id == partij_id), None)


def _shares(amounts: dict[int, int]) -> dict[int, Fraction]:
    total = sum(amounts.values())
    if total == 0:
        return {key: Fraction(0) for key in amounts}
    return {key: Fraction(value, total) for key, value in amounts.items()}


def _vs_others(share: Fraction, n: int) -> Fraction | None:
    """Share against the mean share of the n - 1 others (the shares sum to 1)."""
    if n < 2:
        return None
    mean_others = (1 - share) / (n - 1)
    if mean_others == 0:
        return None
    return share / mean_others


def _far_more(share: Fraction, n: int, threshold: Fraction) -> bool:
    """At least `threshold` times the mean share of the others (and something at all)."""
    if n < 2 or share == 0:
        return False
    mean_others = (1 - share) / (n - 1)
    return share >= threshold * mean_others


def balans(
    partijen: Iterable[PartijInfo],
    bijdragen: Iterable[BijdrageInfo],
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> Balans:
    """Per partij: weighted brengen against weighted halen, and flags where it tips over.

    The balance is taken between the partijen at the table: those not declared missing, plus
    any partij that has bijdragen (a missing partij the group wrote for). A partij is flagged
    when its share of all brengen (or halen) is at least `threshold` times the mean share of
    the others, when it only takes, or when it only brings. Bijdragen of partijen not in
    `partijen` are left out. Rows come in the order of `partijen`.
    """
    partijen = list(partijen)
    known = {p.id for p in partijen}
    breng: dict[int, int] = defaultdict(int)
    haal: dict[int, int] = defaultdict(int)
    breng_count: dict[int, int] = defaultdict(int)
    haal_count: dict[int, int] = defaultdict(int)
    for b in bijdragen:
        if b.partij_id not in known:
            continue
        if b.is_breng:
            breng[b.partij_id] += b.gewicht
            breng_count[b.partij_id] += 1
        else:
            haal[b.partij_id] += b.gewicht
            haal_count[b.partij_id] += 1
    included = [p for p in partijen if not p.ontbreekt or breng_count[p.id] or haal_count[p.id]]
    ids = [p.id for p in included]
    breng_shares = _shares({pk: breng[pk] for pk in ids})
    haal_shares = _shares({pk: haal[pk] for pk in ids})
    n = len(ids)
    limit = Fraction(threshold)
    rows = []
    for p in included:
        flags = []
        if _far_more(breng_shares[p.id], n, limit):
            flags.append(BRENGT_VEEL_MEER)
        if _far_more(haal_shares[p.id], n, limit):
            flags.append(HAALT_VEEL_MEER)
        if haal[p.id] and not breng[p.id]:
            flags.append(ALLEEN_HALEN)
        if breng[p.id] and not haal[p.id]:
            flags.append(ALLEEN_BRENGEN)
        rows.append(
            BalansRow(
                partij_id=p.id,
                name=p.name,
                breng=breng[p.id],
                haal=haal[p.id],
                breng_count=breng_count[p.id],
                haal_count=haal_count[p.id],
                breng_share=breng_shares[p.id],
                haal_share=haal_shares[p.id],
                breng_vs_others=_vs_others(breng_shares[p.id], n),
                haal_vs_others=_vs_others(haal_shares[p.id], n),
                flags=tuple(flags),
            )
        )
    return Balans(
        rows=tuple(rows),
        total_breng=sum(breng[pk] for pk in ids),
        total_haal=sum(haal[pk] for pk in ids),
        threshold=threshold,
    )


# Needs and offers --------------------------------------------------------------------------


def needs(
    bijdragen: Iterable[BijdrageInfo], koppelingen: Iterable[KoppelingInfo]
) -> list[BijdrageInfo]:
    """The halen that no koppeling answers yet, in the given order."""
    answered = {k.haal_id for k in koppelingen}
    return [b for b in bijdragen if b.soort == HAAL and b.id not in answered]


def offers(
    bijdragen: Iterable[BijdrageInfo], koppelingen: Iterable[KoppelingInfo]
) -> list[BijdrageInfo]:
    """The brengen that answer no haal yet, in the given order."""
    used = {k.breng_id for k in koppelingen}
    return [b for b in bijdragen if b.soort == BRENG and b.id not in used]
