"""What the kaart tells: balance, unmet needs, missing partijen, urgency, formulation history.

Pure functions over plain data (the frozen dataclasses below): no database, no Django. The
selector module sessions.insight loads the data and decides what a person may see; everything
here only counts and compares, so it can be tested exhaustively.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

HAAL = "haal"
BRENG = "breng"

DEFAULT_THRESHOLD = 2.0
URGENCY_DISTANCE = 2

# Balance flags: stable keys (the pages and exports translate them).
BRENGT_VEEL_MEER = "brengt_veel_meer"
HAALT_VEEL_MEER = "haalt_veel_meer"
ALLEEN_HALEN = "alleen_halen"
ALLEEN_BRENGEN = "alleen_brengen"

# Why a partij is listed as missing.
REASON_DECLARED = "declared"
REASON_EIGENAAR = "vervolgstap_eigenaar"
REASON_DEELNEMER = "vervolgstap_deelnemer"
REASON_KOPPELING = "koppeling"

VELDEN = ("formulering", "ambitie", "verbindende_vraag")


# The input ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartijInfo:
    id: int
    name: str
    wereld: str = "publiek"
    ontbreekt: bool = False
    toelichting: str = ""


@dataclass(frozen=True)
class BijdrageInfo:
    id: int
    partij_id: int
    soort: str  # HAAL or BRENG
    tekst: str
    gewicht: int = 1
    tafel_id: int = 0
    breng_soort: str = ""
    toezegging: str = ""
    vertrouwelijk: bool = False
    position: int = 0

    @property
    def is_breng(self) -> bool:
        return self.soort == BRENG


@dataclass(frozen=True)
class KoppelingInfo:
    """A haal answered by a breng (of another partij, on the same kaart)."""

    id: int
    haal_id: int
    breng_id: int
    tafel_id: int = 0


@dataclass(frozen=True)
class VervolgstapInfo:
    id: int
    title: str
    eigenaar_id: int
    partij_ids: tuple[int, ...] = ()
    datum: datetime.date | None = None
    tafel_id: int = 0
    position: int = 0


@dataclass(frozen=True)
class PerspectiefInfo:
    id: int
    partij_id: int
    tekst: str = ""
    urgentie: int | None = None
    tafel_id: int = 0
    revealed: bool = True
    vertrouwelijk: bool = False


@dataclass(frozen=True)
class VersieInfo:
    """One version of one of the opgave's three texts."""

    veld: str
    nummer: int
    tekst: str
    sessie_id: int | None = None
    author: str = ""
    created_at: datetime.datetime | None = None


# Balance -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BalansRow:
    """One partij's weighted brengen and halen, and how its shares compare with the others'."""

    partij_id: int
    name: str
    breng: int
    haal: int
    breng_count: int
    haal_count: int
    breng_share: Fraction
    haal_share: Fraction
    # Share divided by the mean share of the other partijen; None when there is nobody to
    # compare with or the others have nothing at all.
    breng_vs_others: Fraction | None
    haal_vs_others: Fraction | None
    flags: tuple[str, ...] = ()

    @property
    def saldo(self) -> int:
        return self.breng - self.haal

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class Balans:
    rows: tuple[BalansRow, ...]
    total_breng: int
    total_haal: int
    threshold: float

    @property
    def flagged(self) -> list[BalansRow]:
        return [row for row in self.rows if row.flags]

    @property
    def in_balance(self) -> bool:
        return bool(self.rows) and not self.flagged

    def row_for(self, partij_id: int) -> BalansRow | None:
        return next((row for row in self.rows if row.partij_id == partij_id), None)


def _shares(amounts: dict[int, int]) -> dict[int, Fraction]:
    total = sum(amounts.values())
    if total == 0:
        return {key: Fraction(0) for key in amounts}
    return {key: Fraction(value, total) for key, value in amounts.items()}


def _vs_others(share: Fraction, n: int) -> Fraction | None:
    """Share against the mean share of the n - 1 others (the shares sum to 1)."""
    if n < 2:
        return None
    mean_others = (1 - share) / (n - 1)
    if mean_others == 0:
        return None
    return share / mean_others


def _far_more(share: Fraction, n: int, threshold: Fraction) -> bool:
    """At least `threshold` times the mean share of the others (and something at all)."""
    if n < 2 or share == 0:
        return False
    mean_others = (1 - share) / (n - 1)
    return share >= threshold * mean_others


def balans(
    partijen: Iterable[PartijInfo],
    bijdragen: Iterable[BijdrageInfo],
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> Balans:
    """Per partij: weighted brengen against weighted halen, and flags where it tips over.

    The balance is taken between the partijen at the table: those not declared missing, plus
    any partij that has bijdragen (a missing partij the group wrote for). A partij is flagged
    when its share of all brengen (or halen) is at least `threshold` times the mean share of
    the others, when it only takes, or when it only brings. Bijdragen of partijen not in
    `partijen` are left out. Rows come in the order of `partijen`.
    """
    partijen = list(partijen)
    known = {p.id for p in partijen}
    breng: dict[int, int] = defaultdict(int)
    haal: dict[int, int] = defaultdict(int)
    breng_count: dict[int, int] = defaultdict(int)
    haal_count: dict[int, int] = defaultdict(int)
    for b in bijdragen:
        if b.partij_id not in known:
            continue
        if b.is_breng:
            breng[b.partij_id] += b.gewicht
            breng_count[b.partij_id] += 1
        else:
            haal[b.partij_id] += b.gewicht
            haal_count[b.partij_id] += 1
    included = [p for p in partijen if not p.ontbreekt or breng_count[p.id] or haal_count[p.id]]
    ids = [p.id for p in included]
    breng_shares = _shares({pk: breng[pk] for pk in ids})
    haal_shares = _shares({pk: haal[pk] for pk in ids})
    n = len(ids)
    limit = Fraction(threshold)
    rows = []
    for p in included:
        flags = []
        if _far_more(breng_shares[p.id], n, limit):
            flags.append(BRENGT_VEEL_MEER)
        if _far_more(haal_shares[p.id], n, limit):
            flags.append(HAALT_VEEL_MEER)
        if haal[p.id] and not breng[p.id]:
            flags.append(ALLEEN_HALEN)
        if breng[p.id] and not haal[p.id]:
            flags.append(ALLEEN_BRENGEN)
        rows.append(
            BalansRow(
                partij_id=p.id,
                name=p.name,
                breng=breng[p.id],
                haal=haal[p.id],
                breng_count=breng_count[p.id],
                haal_count=haal_count[p.id],
                breng_share=breng_shares[p.id],
                haal_share=haal_shares[p.id],
                breng_vs_others=_vs_others(breng_shares[p.id], n),
                haal_vs_others=_vs_others(haal_shares[p.id], n),
                flags=tuple(flags),
            )
        )
    return Balans(
        rows=tuple(rows),
        total_breng=sum(breng[pk] for pk in ids),
        total_haal=sum(haal[pk] for pk in ids),
        threshold=threshold,
    )


# Needs and offers --------------------------------------------------------------------------


def needs(
    bijdragen: Iterable[BijdrageInfo], koppelingen: Iterable[KoppelingInfo]
) -> list[BijdrageInfo]:
    """The halen that no koppeling answers yet, in the given order."""
    answered = {k.haal_id for k in koppelingen}
    return [b for b in bijdragen if b.soort == HAAL and b.id not in answered]


def offers(
    bijdragen: Iterable[BijdrageInfo], koppelingen: Iterable[KoppelingInfo]
) -> list[BijdrageInfo]:
    """The brengen that answer no haal yet, in the given order."""
    used = {k.breng_id for k in koppelingen}
    return [b for b in bijdragen if b.soort == BRENG and b.id not in used]


# Missing partijen --------------------------------------------------------------------------


@dataclass(frozen=True)
class MissingReason:
    kind: str  # REASON_*
    detail: str = ""  # the toelichting, the vervolgstap's title or the haal's text


@dataclass(frozen=True)
class MissingPartij:
    partij_id: int
    name: str
    declared: bool
    reasons: tuple[MissingReason, ...]

    @property
    def suggested(self) -> bool:
        """Not declared missing, but the kaart names it where it is not at the table."""
        return not self.declared


def missing_parties(
    partijen: Iterable[PartijInfo],
    *,
    present_ids: Iterable[int] | None = None,
    bijdragen: Iterable[BijdrageInfo] = (),
    koppelingen: Iterable[KoppelingInfo] = (),
    vervolgstappen: Iterable[VervolgstapInfo] = (),
) -> list[MissingPartij]:
    """The partijen declared missing, plus those the kaart relies on but who are not there.

    A partij is at the table when it is not declared missing and is in `present_ids` (the
    selector passes the partijen that have people seated or wrote on the kaart; None means every
    partij not declared missing). Partijen named as owner or participant of a vervolgstap, or
    on either side of a koppeling, who are not at the table are suggested as missing, with each
    place they are named as a reason. Declared ones come first, then suggested, each by name.
    """
    partijen = list(partijen)
    by_id = {p.id: p for p in partijen}
    present = (
        {p.id for p in partijen if not p.ontbreekt}
        if present_ids is None
        else {pk for pk in present_ids if pk in by_id and not by_id[pk].ontbreekt}
    )
    reasons: dict[int, list[MissingReason]] = defaultdict(list)
    for p in partijen:
        if p.ontbreekt:
            reasons[p.id].append(MissingReason(REASON_DECLARED, p.toelichting))

    def note(partij_id: int, reason: MissingReason) -> None:
        if partij_id in by_id and partij_id not in present and reason not in reasons[partij_id]:
            reasons[partij_id].append(reason)

    for stap in vervolgstappen:
        note(stap.eigenaar_id, MissingReason(REASON_EIGENAAR, stap.title))
        for partij_id in stap.partij_ids:
            note(partij_id, MissingReason(REASON_DEELNEMER, stap.title))
    bijdrage_by_id = {b.id: b for b in bijdragen}
    for koppeling in koppelingen:
        haal = bijdrage_by_id.get(koppeling.haal_id)
        breng = bijdrage_by_id.get(koppeling.breng_id)
        if haal is None or breng is None:
            continue
        for side in (haal, breng):
            note(side.partij_id, MissingReason(REASON_KOPPELING, haal.tekst))
    result = [
        MissingPartij(
            partij_id=pk,
            name=by_id[pk].name,
            declared=by_id[pk].ontbreekt,
            reasons=tuple(found),
        )
        for pk, found in reasons.items()
        if found
    ]
    result.sort(key=lambda m: (not m.declared, m.name.casefold(), m.partij_id))
    return result


# Urgency -----------------------------------------------------------------------------------


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


# Formulation history -----------------------------------------------------------------------


@dataclass(frozen=True)
class DiffPart:
    op: str  # "equal", "insert" or "delete"
    text: str


@dataclass(frozen=True)
class VersionChange:
    """One version of a text and what changed, word by word, against the previous version."""

    versie: VersieInfo
    diff: tuple[DiffPart, ...]
    previous: VersieInfo | None = None

    @property
    def words_added(self) -> int:
        return sum(len(part.text.split()) for part in self.diff if part.op == "insert")

    @property
    def words_removed(self) -> int:
        return sum(len(part.text.split()) for part in self.diff if part.op == "delete")


_WORD = re.compile(r"\S+")


def word_diff(old: str, new: str) -> list[DiffPart]:
    """The difference between two texts, word by word (whitespace is not a change)."""
    a, b = _WORD.findall(old or ""), _WORD.findall(new or "")
    parts: list[DiffPart] = []

    def add(op: str, words: Sequence[str]) -> None:
        if not words:
            return
        text = " ".join(words)
        if parts and parts[-1].op == op:
            parts[-1] = DiffPart(op, parts[-1].text + " " + text)
        else:
            parts.append(DiffPart(op, text))

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


# Several kaarten as one ---------------------------------------------------------------------


@functools.lru_cache(maxsize=2**16)
def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def merge_duplicates(
    bijdragen: Sequence[BijdrageInfo], koppelingen: Sequence[KoppelingInfo]
) -> tuple[list[BijdrageInfo], list[KoppelingInfo]]:
    """Several kaarten (the tafels of a sessie, or the sessies of an opgave) read as one.

    The same haal or breng of the same partij (text compared without case and spacing) counts
    once, with its highest weight: the plenary kaart carries copies of the tafels' items, and
    a later sessie often repeats an earlier one. Koppelingen follow the kept item.
    """
    kept: dict[tuple[int, str, str], BijdrageInfo] = {}
    canonical: dict[int, int] = {}
    for b in bijdragen:
        key = (b.partij_id, b.soort, _norm(b.tekst))
        first = kept.get(key)
        if first is None:
            kept[key] = b
            canonical[b.id] = b.id
        else:
            canonical[b.id] = first.id
            if b.gewicht > first.gewicht:
                kept[key] = replace(first, gewicht=b.gewicht)
    pairs: dict[tuple[int, int], KoppelingInfo] = {}
    for k in koppelingen:
        if k.haal_id not in canonical or k.breng_id not in canonical:
            continue
        pair = (canonical[k.haal_id], canonical[k.breng_id])
        if pair not in pairs:
            pairs[pair] = replace(k, haal_id=pair[0], breng_id=pair[1])
    return list(kept.values()), list(pairs.values())


@dataclass(frozen=True)
class Edge:
    """All koppelingen from one partij's brengen to another partij's halen."""

    breng_partij_id: int
    haal_partij_id: int
    count: int
    halen: tuple[str, ...]


def edges(bijdragen: Iterable[BijdrageInfo], koppelingen: Iterable[KoppelingInfo]) -> list[Edge]:
    """The koppelingen between partijen, from the bringing partij to the taking partij."""
    by_id = {b.id: b for b in bijdragen}
    grouped: dict[tuple[int, int], list[str]] = defaultdict(list)
    for k in koppelingen:
        haal, breng = by_id.get(k.haal_id), by_id.get(k.breng_id)
        if haal is None or breng is None:
            continue
        grouped[(breng.partij_id, haal.partij_id)].append(haal.tekst)
    return [
        Edge(source, target, len(texts), tuple(texts))
        for (source, target), texts in sorted(grouped.items())
    ]
