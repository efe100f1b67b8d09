"""Missing partijen: declared missing, or named on the kaart (a vervolgstap, a koppeling) but
not at the table."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sessions.analysis.inputs import (
    REASON_DECLARED,
    REASON_DEELNEMER,
    REASON_EIGENAAR,
    REASON_KOPPELING,
    BijdrageInfo,
    KoppelingInfo,
    PartijInfo,
    VervolgstapInfo,
)


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
