"""Forming tafels: groups of 3 to 5 that mix the partijen, as even as possible. Pure functions."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Sequence

MIN_SIZE = 3
MAX_SIZE = 5


def group_sizes(count: int, *, max_size: int = MAX_SIZE) -> list[int]:
    """As few groups as the maximum size allows, their sizes differing by one at most.

    With max_size 5 every count from 3 upwards gives groups of 3 to 5; fewer than 3 people
    make one (small) group.
    """
    if count <= 0:
        return []
    groups = math.ceil(count / max_size)
    base, extra = divmod(count, groups)
    return [base + 1 if i < extra else base for i in range(groups)]


def form_groups(
    people: Sequence[tuple[Hashable, Hashable]], *, max_size: int = MAX_SIZE
) -> list[list[Hashable]]:
    """Split (person, partij) pairs into groups, spreading each partij's people over the groups.

    People of the largest partij are dealt out first, one per group in turn, then the next
    partij continues where the last one stopped; so each partij's people are spread as evenly
    as the sizes allow, and a tafel is only one partij's when everyone is of one partij.
    Deterministic: the same input gives the same groups.
    """
    sizes = group_sizes(len(people), max_size=max_size)
    if not sizes:
        return []
    by_partij: dict[Hashable, list[Hashable]] = defaultdict(list)
    for person, partij in people:
        by_partij[partij].append(person)
    ordered = sorted(by_partij.values(), key=len, reverse=True)
    groups: list[list[Hashable]] = [[] for _size in sizes]
    turn = 0
    for members in ordered:
        for person in members:
            while len(groups[turn % len(groups)]) >= sizes[turn % len(groups)]:
                turn += 1
            groups[turn % len(groups)].append(person)
            turn += 1
    return groups


def seat_werkgroepen(
    people: Sequence[tuple[Hashable, Hashable]],
    groups: Sequence[tuple[Hashable, Hashable, Sequence[Hashable]]],
) -> dict[Hashable, Hashable]:
    """Seat (person, partij) pairs at werkgroepen (group, owner partij, participating
    partijen): each person once, at a werkgroep their partij owns or takes part in.

    A partij's people are dealt out over its werkgroepen in turn, those it owns first, so that
    each werkgroep it is needed in gets one of them before any gets a second. People of a
    partij in no werkgroep are not seated (they choose one themselves). Deterministic."""
    werkgroepen_of: dict[Hashable, list[Hashable]] = defaultdict(list)
    for group, owner, _partijen in groups:
        werkgroepen_of[owner].append(group)
    for group, owner, partijen in groups:
        for partij in partijen:
            if partij != owner and group not in werkgroepen_of[partij]:
                werkgroepen_of[partij].append(group)
    dealt: dict[Hashable, int] = defaultdict(int)
    seat = {}
    for person, partij in people:
        choices = werkgroepen_of.get(partij)
        if not choices:
            continue
        seat[person] = choices[dealt[partij] % len(choices)]
        dealt[partij] += 1
    return seat
