"""How the opgave's wording changed: word by word, per version and per sessie."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sessions.analysis.inputs import VELDEN, VersieInfo


@dataclass(frozen=True)
class DiffPart:
    op: str  # "equal", "insert" or "delete"
    text: str
    # Whether a space stands before this part (none before punctuation that follows a word).
    space: bool = True


def joined(parts: Iterable[DiffPart]) -> str:
    """The parts as one text, spaced as written."""
    text = ""
    for part in parts:
        text += (" " if text and part.space else "") + part.text
    return text


@dataclass(frozen=True)
class VersionChange:
    """One version of a text and what changed, word by word, against the previous version."""

    versie: VersieInfo
    diff: tuple[DiffPart, ...]
    previous: VersieInfo | None = None

    @property
    def words_added(self) -> int:
        return sum(len(_WORD.findall(p.text)) for p in self.diff if p.op == "insert")

    @property
    def words_removed(self) -> int:
        return sum(len(_WORD.findall(p.text)) for p in self.diff if p.op == "delete")


# Words and punctuation are tokens of their own: "veiligheid" -> "veiligheid, leefbaarheid"
# adds ", leefbaarheid" (one word), not a changed word "veiligheid,".
_TOKEN = re.compile(r"\w+|[^\w\s]+")
_WORD = re.compile(r"\w+")


def _tokens(text: str) -> list[tuple[bool, str]]:
    """(space before, token) of each token; the first counts as spaced, so that a word that
    starts one version and not the other is still the same word."""
    text = text.strip()
    return [
        (m.start() == 0 or text[m.start() - 1].isspace(), m.group()) for m in _TOKEN.finditer(text)
    ]


def word_diff(old: str, new: str) -> list[DiffPart]:
    """The difference between two texts, word by word (how much whitespace is not a change)."""
    a, b = _tokens(old or ""), _tokens(new or "")
    parts: list[DiffPart] = []

    def add(op: str, tokens: Sequence[tuple[bool, str]]) -> None:
        if not tokens:
            return
        part = DiffPart(op, joined(DiffPart(op, t, spaced) for spaced, t in tokens), tokens[0][0])
        if parts and parts[-1].op == op:
            parts[-1] = DiffPart(op, joined([parts[-1], part]), parts[-1].space)
        else:
            parts.append(part)

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", a[i1:i2])
        else:
            add("delete", a[i1:i2])
            add("insert", b[j1:j2])
    return parts


def formulation_history(versies: Iterable[VersieInfo]) -> dict[str, list[VersionChange]]:
    """Per text (formulering, ambitie, verbindende vraag): every version, oldest first, with
    its word-level difference to the version before it."""
    by_veld: dict[str, list[VersieInfo]] = {veld: [] for veld in VELDEN}
    for versie in versies:
        by_veld.setdefault(versie.veld, []).append(versie)
    history: dict[str, list[VersionChange]] = {}
    for veld, items in by_veld.items():
        items.sort(key=lambda v: v.nummer)
        changes = []
        previous: VersieInfo | None = None
        for versie in items:
            old = previous.tekst if previous else ""
            changes.append(VersionChange(versie, tuple(word_diff(old, versie.tekst)), previous))
            previous = versie
        history[veld] = changes
    return history


@dataclass(frozen=True)
class SessieHistory:
    sessie_id: int | None
    changes: dict[str, list[VersionChange]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(items) for items in self.changes.values())


def history_by_sessie(
    history: dict[str, list[VersionChange]], sessie_order: Sequence[int | None]
) -> list[SessieHistory]:
    """The history grouped per sessie in the given order (None: outside any sessie).

    Sessies without changes are left out; changes of sessies not in the order come last.
    """
    groups: dict[int | None, dict[str, list[VersionChange]]] = {}
    for veld, changes in history.items():
        for change in changes:
            groups.setdefault(change.versie.sessie_id, {}).setdefault(veld, []).append(change)
    order = [key for key in sessie_order if key in groups]
    order += [key for key in groups if key not in order]
    return [SessieHistory(key, groups[key]) for key in order]
