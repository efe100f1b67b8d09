"""Several kaarten as one (sessions/analysis/merge.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sessions import analysis
from sessions.analysis import (
    BRENG,
    HAAL,
    KoppelingInfo,
)
from tests.analysis.builders import bijdrage


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
