"""How the wording changed (sessions/analysis/history.py)."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from sessions import analysis
from sessions.analysis import (
    VersieInfo,
)


def test_word_diff_marks_deleted_and_inserted_words():
    parts = analysis.word_diff(
        "Criminaliteit op twee terreinen aanpakken.", "Ondermijning op twee terreinen  tegengaan."
    )
    assert [(p.op, p.text) for p in parts] == [
        ("delete", "Criminaliteit"),
        ("insert", "Ondermijning"),
        ("equal", "op twee terreinen"),
        ("delete", "aanpakken"),
        ("insert", "tegengaan"),
        ("equal", "."),
    ]
    assert analysis.word_diff("", "") == []
    assert analysis.word_diff("a  b", "a b") == [analysis.DiffPart("equal", "a b")]


def test_punctuation_is_not_glued_to_the_words_around_it():
    """A word followed by a comma is the same word: only what was added counts."""
    parts = analysis.word_diff(
        "Meer veiligheid in de wijk", "Meer veiligheid, leefbaarheid in de wijk"
    )
    assert [(p.op, p.text, p.space) for p in parts] == [
        ("equal", "Meer veiligheid", True),
        ("insert", ", leefbaarheid", False),
        ("equal", "in de wijk", True),
    ]
    assert analysis.joined(p for p in parts if p.op != "delete") == (
        "Meer veiligheid, leefbaarheid in de wijk"
    )
    change = analysis.VersionChange(VersieInfo("formulering", 2, "", None), tuple(parts))
    assert (change.words_added, change.words_removed) == (1, 0)


@given(st.text(max_size=60), st.text(max_size=60))
def test_a_diff_rebuilds_both_texts(old, new):
    parts = analysis.word_diff(old, new)
    assert analysis.joined(p for p in parts if p.op != "insert") == " ".join(old.split())
    assert analysis.joined(p for p in parts if p.op != "delete") == " ".join(new.split())


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
