"""The analysis of a kaart: pure functions, tested by example and by property (hypothesis)."""

from __future__ import annotations

import datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings
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
    PerspectiefInfo,
    VersieInfo,
    VervolgstapInfo,
)


def partij(pk: int, name: str | None = None, *, ontbreekt: bool = False, note: str = ""):
    return PartijInfo(id=pk, name=name or f"P{pk}", ontbreekt=ontbreekt, toelichting=note)


_ids = iter(range(10_000, 10**9))


def bijdrage(partij_id: int, soort: str, gewicht: int = 1, tekst: str = "", pk: int | None = None):
    pk = pk if pk is not None else next(_ids)
    return BijdrageInfo(
        id=pk, partij_id=partij_id, soort=soort, tekst=tekst or f"b{pk}", gewicht=gewicht
    )


# Balance: examples --------------------------------------------------------------------------


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


# Balance: properties ------------------------------------------------------------------------

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


# Needs and offers ---------------------------------------------------------------------------


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


# Missing partijen ---------------------------------------------------------------------------


def test_declared_missing_come_first_with_their_note_then_suggested_ones_with_reasons():
    partijen = [
        partij(1, "Gemeente"),
        partij(2, "Politie"),
        partij(3, "Openbaar Ministerie", ontbreekt=True, note="gebiedsofficier"),
        partij(4, "Ondernemers", ontbreekt=True),
        partij(5, "Woningcorporatie"),
    ]
    stap = VervolgstapInfo(id=1, title="Huurders spreken", eigenaar_id=1, partij_ids=(5, 3))
    result = analysis.missing_parties(partijen, present_ids={1, 2}, vervolgstappen=[stap])
    assert [m.name for m in result] == ["Ondernemers", "Openbaar Ministerie", "Woningcorporatie"]
    om = result[1]
    assert om.declared
    assert om.reasons == (
        analysis.MissingReason(analysis.REASON_DECLARED, "gebiedsofficier"),
        analysis.MissingReason(analysis.REASON_DEELNEMER, "Huurders spreken"),
    )
    corporatie = result[2]
    assert corporatie.suggested
    assert corporatie.reasons == (
        analysis.MissingReason(analysis.REASON_DEELNEMER, "Huurders spreken"),
    )


def test_owner_and_koppeling_make_a_partij_missing_only_when_it_is_not_there():
    partijen = [partij(1), partij(2), partij(3)]
    haal = bijdrage(1, HAAL, pk=10, tekst="Zicht op vastgoed")
    breng = bijdrage(3, BRENG, pk=11)
    result = analysis.missing_parties(
        partijen,
        present_ids={1, 2},
        bijdragen=[haal, breng],
        koppelingen=[KoppelingInfo(id=1, haal_id=10, breng_id=11)],
        vervolgstappen=[VervolgstapInfo(id=1, title="Plan", eigenaar_id=3)],
    )
    assert len(result) == 1
    assert result[0].partij_id == 3
    assert [r.kind for r in result[0].reasons] == [
        analysis.REASON_EIGENAAR,
        analysis.REASON_KOPPELING,
    ]
    assert result[0].reasons[1].detail == "Zicht op vastgoed"


def test_without_a_present_set_every_partij_not_declared_missing_is_there():
    partijen = [partij(1), partij(2, ontbreekt=True)]
    stap = VervolgstapInfo(id=1, title="Plan", eigenaar_id=1, partij_ids=(1,))
    result = analysis.missing_parties(partijen, vervolgstappen=[stap])
    assert [m.partij_id for m in result] == [2]
    assert analysis.missing_parties([]) == []


# Urgency ------------------------------------------------------------------------------------


def perspectief(partij_id: int, urgentie: int | None, pk: int = 0):
    return PerspectiefInfo(id=pk or next(_ids), partij_id=partij_id, urgentie=urgentie)


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


# Formulation history ------------------------------------------------------------------------


def test_word_diff_marks_deleted_and_inserted_words():
    parts = analysis.word_diff(
        "Criminaliteit op twee terreinen aanpakken.", "Ondermijning op twee terreinen  tegengaan."
    )
    assert [(p.op, p.text) for p in parts] == [
        ("delete", "Criminaliteit"),
        ("insert", "Ondermijning"),
        ("equal", "op twee terreinen"),
        ("delete", "aanpakken."),
        ("insert", "tegengaan."),
    ]
    assert analysis.word_diff("", "") == []
    assert analysis.word_diff("a  b", "a b") == [analysis.DiffPart("equal", "a b")]


@given(st.text(max_size=60), st.text(max_size=60))
def test_a_diff_rebuilds_both_texts(old, new):
    parts = analysis.word_diff(old, new)
    assert " ".join(p.text for p in parts if p.op != "insert") == " ".join(old.split())
    assert " ".join(p.text for p in parts if p.op != "delete") == " ".join(new.split())


def test_history_keeps_every_version_with_its_diff_and_groups_it_per_sessie():
    moment = datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)
    versies = [
        VersieInfo("formulering", 2, "Twee terreinen weer veilig", 7, "Anna", moment),
        VersieInfo("formulering", 1, "Twee terreinen", None),
        VersieInfo("ambitie", 1, "Veiligheid", 7),
        VersieInfo("formulering", 3, "Twee terreinen weer veilig en prettig", 8),
    ]
    history = analysis.formulation_history(versies)
    assert set(history) == {"formulering", "ambitie", "verbindende_vraag"}
    assert history["verbindende_vraag"] == []
    nummers = [c.versie.nummer for c in history["formulering"]]
    assert nummers == [1, 2, 3]
    second = history["formulering"][1]
    assert second.previous.nummer == 1
    assert [(p.op, p.text) for p in second.diff] == [
        ("equal", "Twee terreinen"),
        ("insert", "weer veilig"),
    ]
    assert (second.words_added, second.words_removed) == (2, 0)
    groups = analysis.history_by_sessie(history, [8, 7])
    assert [(g.sessie_id, g.count) for g in groups] == [(8, 1), (7, 2), (None, 1)]


# Several kaarten as one ---------------------------------------------------------------------


def test_duplicates_merge_with_their_highest_weight_and_koppelingen_follow():
    tafel = bijdrage(1, HAAL, 1, "Veilig terrein", pk=1)
    plenair = bijdrage(1, HAAL, 3, "veilig  Terrein", pk=2)
    breng = bijdrage(2, BRENG, 2, "Toezicht", pk=3)
    other = bijdrage(1, BRENG, 1, "Veilig terrein", pk=4)
    merged, koppelingen = analysis.merge_duplicates(
        [tafel, plenair, breng, other],
        [KoppelingInfo(1, 1, 3), KoppelingInfo(2, 2, 3), KoppelingInfo(3, 99, 3)],
    )
    assert [(b.id, b.gewicht) for b in merged] == [(1, 3), (3, 2), (4, 1)]
    assert [(k.haal_id, k.breng_id) for k in koppelingen] == [(1, 3)]


def test_edges_go_from_the_bringing_partij_to_the_taking_partij():
    haal = bijdrage(1, HAAL, pk=1, tekst="Zicht")
    breng = bijdrage(2, BRENG, pk=2)
    found = analysis.edges([haal, breng], [KoppelingInfo(1, 1, 2), KoppelingInfo(2, 1, 77)])
    assert found == [analysis.Edge(2, 1, 1, ("Zicht",))]


@settings(max_examples=50)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.sampled_from([HAAL, BRENG]),
            st.sampled_from(["a", "A", "b", " a "]),
        ),
        max_size=20,
    )
)
def test_merging_is_idempotent(items):
    bijdragen = [bijdrage(p, s, tekst=t, pk=i) for i, (p, s, t) in enumerate(items)]
    once, _ = analysis.merge_duplicates(bijdragen, [])
    twice, _ = analysis.merge_duplicates(once, [])
    assert once == twice


@pytest.mark.parametrize("threshold", [1.0, 2.0, 3.5])
def test_threshold_is_recorded(threshold):
    assert analysis.balans([partij(1)], [], threshold=threshold).threshold == threshold
