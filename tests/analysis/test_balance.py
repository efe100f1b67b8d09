"""Balance, needs and offers (sessions/analysis/balance.py): by example and by property."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessions import analysis
from sessions.analysis import (
    ALLEEN_BRENGEN,
    ALLEEN_HALEN,
    BRENG,
    BRENGT_VEEL_MEER,
    HAAL,
    HAALT_VEEL_MEER,
    BijdrageInfo,
    KoppelingInfo,
    PartijInfo,
)
from tests.analysis.builders import bijdrage, partij


def test_balance_of_nothing_has_a_row_per_partij_at_the_table_and_no_flags():
    result = analysis.balans([partij(1), partij(2), partij(3, ontbreekt=True)], [])
    assert [row.partij_id for row in result.rows] == [1, 2]
    assert all(row.breng_share == 0 and row.haal_share == 0 for row in result.rows)
    assert result.flagged == []
    assert result.total_breng == result.total_haal == 0


def test_balance_of_no_partijen_is_empty():
    result = analysis.balans([], [bijdrage(1, BRENG)])
    assert result.rows == ()
    assert not result.in_balance


def test_one_partij_cannot_bring_far_more_than_nobody_but_may_only_take():
    result = analysis.balans([partij(1)], [bijdrage(1, HAAL, 3)])
    (row,) = result.rows
    assert row.haal_share == 1
    assert row.haal_vs_others is None
    assert row.flags == (ALLEEN_HALEN,)


def test_weights_count_and_shares_are_exact():
    result = analysis.balans(
        [partij(1), partij(2)],
        [bijdrage(1, BRENG, 3), bijdrage(1, BRENG, 1), bijdrage(2, BRENG, 2), bijdrage(2, HAAL)],
    )
    first, second = result.rows
    assert (first.breng, first.breng_count, first.haal) == (4, 2, 0)
    assert first.breng_share == Fraction(2, 3)
    assert second.breng_share == Fraction(1, 3)
    assert first.breng_vs_others == 2
    assert result.total_breng == 6
    assert first.saldo == 4 and second.saldo == 1


def test_a_partij_bringing_twice_the_mean_of_the_others_is_flagged():
    # Shares 4/8, 2/8, 2/8: the first brings 2x the mean of the others (exactly the threshold).
    result = analysis.balans(
        [partij(1), partij(2), partij(3)],
        [bijdrage(1, BRENG, 3), bijdrage(1, BRENG, 1), bijdrage(2, BRENG, 2), bijdrage(3, BRENG, 2)]
        + [bijdrage(pk, HAAL) for pk in (1, 2, 3)],
    )
    assert result.row_for(1).flags == (BRENGT_VEEL_MEER,)
    assert result.row_for(2).flags == ()
    assert not result.in_balance


def test_just_under_the_threshold_is_not_flagged_and_the_threshold_is_configurable():
    bijdragen = [bijdrage(1, HAAL, 3), bijdrage(2, HAAL, 2), bijdrage(3, HAAL, 2)] + [
        bijdrage(pk, BRENG) for pk in (1, 2, 3)
    ]
    partijen = [partij(1), partij(2), partij(3)]
    assert analysis.balans(partijen, bijdragen).row_for(1).flags == ()  # 1.5x the others
    lenient = analysis.balans(partijen, bijdragen, threshold=1.5)
    assert lenient.row_for(1).flags == (HAALT_VEEL_MEER,)


def test_only_taking_and_only_bringing_are_flagged():
    result = analysis.balans(
        [partij(1), partij(2), partij(3), partij(4)],
        [bijdrage(1, HAAL), bijdrage(2, BRENG)]
        + [bijdrage(pk, soort) for pk in (3, 4) for soort in (HAAL, BRENG)],
    )
    assert result.row_for(1).flags == (ALLEEN_HALEN,)
    assert result.row_for(2).flags == (ALLEEN_BRENGEN,)
    assert result.row_for(3).flags == ()


def test_a_missing_partij_counts_only_when_the_group_wrote_for_it():
    partijen = [partij(1), partij(2), partij(3, ontbreekt=True), partij(4, ontbreekt=True)]
    result = analysis.balans(partijen, [bijdrage(3, HAAL), bijdrage(99, BRENG)])
    assert [row.partij_id for row in result.rows] == [1, 2, 3]
    assert result.total_breng == 0  # partij 99 is unknown: left out


amounts = st.lists(
    st.tuples(st.integers(0, 5), st.sampled_from([HAAL, BRENG]), st.integers(1, 3)),
    max_size=40,
)
partij_counts = st.integers(1, 6)


def build(n: int, items: list[tuple[int, str, int]]):
    partijen = [partij(pk) for pk in range(n)]
    bijdragen = [
        bijdrage(pk % n, soort, gewicht, pk=i) for i, (pk, soort, gewicht) in enumerate(items)
    ]
    return partijen, bijdragen


@given(partij_counts, amounts)
def test_shares_sum_to_one_when_there_is_anything(n, items):
    result = analysis.balans(*build(n, items))
    for total, share in (("total_breng", "breng_share"), ("total_haal", "haal_share")):
        expected = 1 if getattr(result, total) else 0
        assert sum(getattr(row, share) for row in result.rows) == expected


@given(partij_counts, amounts, st.integers(0, 5), st.integers(1, 3))
def test_adding_a_breng_never_lowers_that_partijs_breng_share(n, items, who, gewicht):
    partijen, bijdragen = build(n, items)
    who %= n
    before = analysis.balans(partijen, bijdragen).row_for(who)
    after = analysis.balans(partijen, [*bijdragen, bijdrage(who, BRENG, gewicht)]).row_for(who)
    assert after.breng_share >= before.breng_share
    assert after.breng > before.breng
    assert ALLEEN_HALEN not in after.flags


@given(partij_counts, amounts, st.randoms(use_true_random=False))
def test_flags_are_symmetric_under_renaming_and_reordering_partijen(n, items, rnd):
    partijen, bijdragen = build(n, items)
    new_ids = list(range(100, 100 + n))
    rnd.shuffle(new_ids)
    rename = dict(zip(range(n), new_ids, strict=True))
    renamed = [PartijInfo(id=rename[p.id], name=f"X{rnd.random()}") for p in partijen]
    rnd.shuffle(renamed)
    moved = [
        BijdrageInfo(
            id=b.id, partij_id=rename[b.partij_id], soort=b.soort, tekst=b.tekst, gewicht=b.gewicht
        )
        for b in bijdragen
    ]
    rnd.shuffle(moved)
    original = {row.partij_id: row for row in analysis.balans(partijen, bijdragen).rows}
    other = {row.partij_id: row for row in analysis.balans(renamed, moved).rows}
    for pk, row in original.items():
        twin = other[rename[pk]]
        assert (twin.flags, twin.breng_share, twin.haal_share) == (
            row.flags,
            row.breng_share,
            row.haal_share,
        )


@given(partij_counts, amounts, st.sampled_from([1.5, 2.0, 3.0]))
def test_flagged_exactly_when_the_share_reaches_t_over_n_minus_one_plus_t(n, items, t):
    # share >= t * (1 - share) / (n - 1)  <=>  share >= t / (n - 1 + t)
    result = analysis.balans(*build(n, items), threshold=t)
    bound = Fraction(t) / (n - 1 + Fraction(t))
    for row in result.rows:
        assert (BRENGT_VEEL_MEER in row.flags) == (n > 1 and 0 < row.breng_share >= bound)
        assert (HAALT_VEEL_MEER in row.flags) == (n > 1 and 0 < row.haal_share >= bound)
        assert not (ALLEEN_HALEN in row.flags and ALLEEN_BRENGEN in row.flags)


@given(partij_counts, amounts, st.integers(1, 4))
def test_scaling_every_weight_changes_no_share_and_no_flag(n, items, factor):
    partijen, bijdragen = build(n, items)
    scaled = [
        BijdrageInfo(
            id=b.id, partij_id=b.partij_id, soort=b.soort, tekst=b.tekst, gewicht=b.gewicht * factor
        )
        for b in bijdragen
    ]
    one, other = analysis.balans(partijen, bijdragen), analysis.balans(partijen, scaled)
    assert [(r.flags, r.breng_share, r.haal_share) for r in one.rows] == [
        (r.flags, r.breng_share, r.haal_share) for r in other.rows
    ]


def test_needs_are_halen_no_koppeling_answers_and_offers_brengen_that_answer_nothing():
    h1, h2 = bijdrage(1, HAAL, pk=1), bijdrage(1, HAAL, pk=2)
    b1, b2 = bijdrage(2, BRENG, pk=3), bijdrage(2, BRENG, pk=4)
    koppelingen = [KoppelingInfo(id=1, haal_id=1, breng_id=3)]
    assert analysis.needs([h1, h2, b1, b2], koppelingen) == [h2]
    assert analysis.offers([h1, h2, b1, b2], koppelingen) == [b2]
    assert analysis.needs([], []) == [] and analysis.offers([], []) == []


@given(st.lists(st.tuples(st.sampled_from([HAAL, BRENG]), st.booleans()), max_size=30))
def test_needs_and_offers_partition_the_unlinked_items(items):
    bijdragen = [bijdrage(1, soort, pk=i) for i, (soort, _linked) in enumerate(items)]
    halen = [b for b in bijdragen if b.soort == HAAL]
    brengen = [b for b in bijdragen if b.soort == BRENG]
    koppelingen = [
        KoppelingInfo(id=i, haal_id=h.id, breng_id=b.id)
        for i, (h, b) in enumerate(zip(halen, brengen, strict=False))
        if items[h.id][1]
    ]
    found_needs = analysis.needs(bijdragen, koppelingen)
    assert len(found_needs) == len(halen) - len(koppelingen)
    assert all(n.soort == HAAL for n in found_needs)
    assert len(analysis.offers(bijdragen, koppelingen)) == len(brengen) - len(koppelingen)


@pytest.mark.parametrize("threshold", [1.0, 2.0, 3.5])
def test_threshold_is_recorded(threshold):
    assert analysis.balans([partij(1)], [], threshold=threshold).threshold == threshold
