"""Urgency (sessions/analysis/urgency.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sessions import analysis
from tests.analysis.builders import partij, perspectief


def test_urgency_spread_and_who_lies_two_from_the_median():
    partijen = [partij(pk, f"P{pk}") for pk in range(1, 6)]
    result = analysis.urgency(
        partijen,
        [
            perspectief(1, 5),
            perspectief(2, 4),
            perspectief(3, 4),
            perspectief(4, 2),
            perspectief(5, None),
        ],
    )
    assert (result.minimum, result.maximum, result.median, result.spread) == (2, 5, 4, 3)
    assert [(o.partij_id, o.distance) for o in result.outliers] == [(4, -2)]


def test_urgency_of_nothing_and_of_one_partij():
    nothing = analysis.urgency([partij(1)], [])
    assert nothing.values == () and nothing.median is None and nothing.outliers == []
    one = analysis.urgency([partij(1)], [perspectief(1, 3)])
    assert (one.spread, one.median, one.outliers) == (0, 3, [])


def test_a_partij_on_several_kaarten_counts_once_with_its_median():
    result = analysis.urgency(
        [partij(1), partij(2)],
        [perspectief(1, 1), perspectief(1, 5), perspectief(1, 4), perspectief(2, 2)],
    )
    assert {v.partij_id: v.urgentie for v in result.values} == {1: 4, 2: 2}
    assert result.median == 3


@given(st.lists(st.integers(1, 5), min_size=1, max_size=12))
def test_urgency_median_lies_within_the_range_and_outliers_are_far_from_it(levels):
    partijen = [partij(i) for i in range(len(levels))]
    result = analysis.urgency(partijen, [perspectief(i, u) for i, u in enumerate(levels)])
    assert result.minimum <= result.median <= result.maximum
    assert result.spread == max(levels) - min(levels)
    assert all(abs(o.urgentie - result.median) >= 2 for o in result.outliers)
    if result.spread < 2:
        assert result.outliers == []
