"""What the kaart tells: balance, unmet needs, missing partijen, urgency, formulation history.

Pure functions over plain data (the frozen dataclasses of inputs.py): no database, no Django.
sessions.insight loads the data and decides what a person may see; everything here only counts
and compares, so it can be tested exhaustively.

One module per analysis: inputs (the data and the keys of findings), balance (with needs
and offers), missing, urgency, history, merge (several kaarten as one, and the map's edges).
"""

from sessions.analysis.balance import (
    Balans,
    BalansRow,
    balans,
    needs,
    offers,
)
from sessions.analysis.history import (
    DiffPart,
    SessieHistory,
    VersionChange,
    formulation_history,
    history_by_sessie,
    joined,
    word_diff,
)
from sessions.analysis.inputs import (
    ALLEEN_BRENGEN,
    ALLEEN_HALEN,
    BRENG,
    BRENGT_VEEL_MEER,
    DEFAULT_THRESHOLD,
    HAAL,
    HAALT_VEEL_MEER,
    REASON_DECLARED,
    REASON_DEELNEMER,
    REASON_EIGENAAR,
    REASON_KOPPELING,
    URGENCY_DISTANCE,
    VELDEN,
    BijdrageInfo,
    KoppelingInfo,
    PartijInfo,
    PerspectiefInfo,
    UpdateInfo,
    VersieInfo,
    VervolgstapInfo,
)
from sessions.analysis.merge import (
    Edge,
    edges,
    merge_duplicates,
)
from sessions.analysis.missing import (
    MissingPartij,
    MissingReason,
    missing_parties,
)
from sessions.analysis.urgency import (
    PartijUrgency,
    Urgency,
    urgency,
)

__all__ = [
    "ALLEEN_BRENGEN",
    "ALLEEN_HALEN",
    "BRENG",
    "BRENGT_VEEL_MEER",
    "Balans",
    "BalansRow",
    "BijdrageInfo",
    "DEFAULT_THRESHOLD",
    "DiffPart",
    "Edge",
    "HAAL",
    "HAALT_VEEL_MEER",
    "KoppelingInfo",
    "MissingPartij",
    "MissingReason",
    "PartijInfo",
    "PartijUrgency",
    "PerspectiefInfo",
    "REASON_DECLARED",
    "REASON_DEELNEMER",
    "REASON_EIGENAAR",
    "REASON_KOPPELING",
    "SessieHistory",
    "URGENCY_DISTANCE",
    "Urgency",
    "VELDEN",
    "VersieInfo",
    "VersionChange",
    "UpdateInfo",
    "VervolgstapInfo",
    "balans",
    "edges",
    "formulation_history",
    "history_by_sessie",
    "merge_duplicates",
    "missing_parties",
    "needs",
    "offers",
    "urgency",
    "joined",
    "word_diff",
]
