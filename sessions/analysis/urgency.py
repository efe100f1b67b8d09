"""Urgency: how urgent each partij finds the opgave, and how far apart they are."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sessions.analysis.inputs import URGENCY_DISTANCE, PartijInfo, PerspectiefInfo


@dataclass(frozen=True)
class PartijUrgency:
    partij_id: int
    name: str
    urgentie: float  # the median of the partij's urgencies (one per kaart it wrote on)
    distance: float  # from the median of all partijen


@dataclass(frozen=True)
class Urgency:
    values: tuple[PartijUrgency, ...]
    minimum: float | None
    maximum: float | None
    median: float | None
    spread: float | None
    distance: float

    @property
    def outliers(self) -> list[PartijUrgency]:
        """Partijen whose urgency lies `distance` or more from the median: do they feel it?"""
        return [v for v in self.values if abs(v.distance) >= self.distance]


def urgency(
    partijen: Iterable[PartijInfo],
    perspectieven: Iterable[PerspectiefInfo],
    *,
    distance: float = URGENCY_DISTANCE,
) -> Urgency:
    """The spread of the partijen's urgency, and who lies `distance` or more from the median.

    A partij with several perspectieven (several kaarten) counts once, with its median.
    Perspectieven without an urgency, or of unknown partijen, are left out.
    """
    names = {p.id: p.name for p in partijen}
    per_partij: dict[int, list[int]] = defaultdict(list)
    for perspectief in perspectieven:
        if perspectief.urgentie is not None and perspectief.partij_id in names:
            per_partij[perspectief.partij_id].append(perspectief.urgentie)
    if not per_partij:
        return Urgency((), None, None, None, None, distance)
    levels = {pk: float(statistics.median(values)) for pk, values in per_partij.items()}
    median = float(statistics.median(levels.values()))
    values = tuple(
        sorted(
            (PartijUrgency(pk, names[pk], level, level - median) for pk, level in levels.items()),
            key=lambda v: (v.name.casefold(), v.partij_id),
        )
    )
    low, high = min(levels.values()), max(levels.values())
    return Urgency(values, low, high, median, high - low, distance)
