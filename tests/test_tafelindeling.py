"""Forming tafels: sizes 3 to 5, partijen mixed, as even as possible."""

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessions.tafelindeling import form_groups, group_sizes, seat_werkgroepen


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


def test_werkgroepen_seat_owners_first_and_participants_spread():
    groups = [
        ("data", "gemeente", ["politie"]),
        ("schouw", "politie", ["gemeente", "om"]),
        ("bewoners", "corporatie", []),
    ]
    people = [
        ("anna", "politie"),
        ("bram", "gemeente"),
        ("cor", "politie"),
        ("dirk", "om"),
        ("eva", "corporatie"),
        ("fleur", "gemeente"),
        ("gijs", "ondernemers"),  # in no werkgroep: chooses one on the waiting page
    ]
    seat = seat_werkgroepen(people, groups)
    assert seat == {
        "anna": "schouw",  # Politie owns the schouw
        "bram": "data",
        "cor": "data",  # then the werkgroep Politie takes part in
        "dirk": "schouw",
        "eva": "bewoners",
        "fleur": "schouw",
    }


werkgroep_cases = st.tuples(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 6)), max_size=40, unique_by=lambda p: p[0]
    ),
    st.lists(
        st.tuples(st.integers(0, 6), st.lists(st.integers(0, 6), max_size=4)),
        min_size=1,
        max_size=6,
    ),
)


@given(werkgroep_cases)
def test_everyone_whose_partij_is_needed_is_seated_once_where_it_is_needed(case):
    people, specs = case
    groups = [(i, owner, partijen) for i, (owner, partijen) in enumerate(specs)]
    seat = seat_werkgroepen(people, groups)
    involved = {i: {owner, *partijen} for i, owner, partijen in groups}
    for person, partij in people:
        needed = any(partij in partijen for partijen in involved.values())
        assert (person in seat) == needed
        if needed:
            assert partij in involved[seat[person]]
    # A partij's people go where it owns a werkgroep before where it only takes part.
    for person, partij in people:
        owned = [i for i, owner, _p in groups if owner == partij]
        first = [p for p, q in people if q == partij][0]
        if owned and person == first:
            assert seat[person] == owned[0]
