"""Forming tafels: sizes 3 to 5, partijen mixed, as even as possible."""

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessions.tafelindeling import form_groups, group_sizes


@pytest.mark.parametrize("count", range(3, 61))
def test_every_count_from_3_to_60_gives_groups_of_3_to_5(count):
    sizes = group_sizes(count)
    assert sum(sizes) == count
    assert all(3 <= size <= 5 for size in sizes)
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("count", [0, 1, 2])
def test_fewer_than_three_make_one_small_group_or_none(count):
    assert group_sizes(count) == ([count] if count else [])


people_with_partijen = st.integers(min_value=3, max_value=60).flatmap(
    lambda n: st.lists(st.integers(min_value=0, max_value=7), min_size=n, max_size=n)
)


@given(people_with_partijen)
def test_groups_mix_partijen_evenly(partijen):
    people = list(enumerate(partijen))
    groups = form_groups(people)
    assert sorted(p for g in groups for p in g) == [p for p, _ in people]
    assert all(3 <= len(g) <= 5 for g in groups)
    partij_of = dict(people)
    for partij in Counter(partijen):
        per_group = [sum(1 for p in g if partij_of[p] == partij) for g in groups]
        # Each partij is spread: no tafel has two more of it than another tafel.
        assert max(per_group) - min(per_group) <= 1, (partij, per_group)
    largest = Counter(partijen).most_common(1)[0][1]
    if len(partijen) - largest >= len(groups):
        # Enough people of other partijen to give every tafel at least one: no tafel is
        # one partij's.
        assert all(len({partij_of[p] for p in g}) > 1 for g in groups)


def test_six_people_of_three_partijen_make_two_mixed_tafels():
    people = [
        (1, "politie"),
        (2, "politie"),
        (3, "gemeente"),
        (4, "gemeente"),
        (5, "om"),
        (6, "om"),
    ]
    groups = form_groups(people)
    assert [len(g) for g in groups] == [3, 3]
    for group in groups:
        assert len({dict(people)[p] for p in group}) == 3
