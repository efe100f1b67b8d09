"""The domain of Halen/Brengen: an opgave, its partijen and sessies, and the kaart of each tafel.

Domain terms are Dutch (see the glossary in README.md); everything else is English.
Every write goes through sessions.services; these models hold data and invariants only.
One module per subject: teams, opgaven, sessies, kaart, presence.
"""

from sessions.models.kaart import (
    GEWICHTEN,
    URGENTIES,
    Bijdrage,
    KaartEvent,
    Koppeling,
    Perspectief,
    Vervolgstap,
    VervolgstapUpdate,
)
from sessions.models.opgaven import (
    Kernboodschap,
    Opgave,
    OpgaveVersie,
    Partij,
)
from sessions.models.presence import (
    Presence,
)
from sessions.models.sessies import (
    Deelnemer,
    Sessie,
    Tafel,
    new_join_token,
)
from sessions.models.teams import (
    Membership,
    Team,
)

__all__ = [
    "Bijdrage",
    "Deelnemer",
    "GEWICHTEN",
    "KaartEvent",
    "Kernboodschap",
    "Koppeling",
    "Membership",
    "Opgave",
    "OpgaveVersie",
    "Partij",
    "Perspectief",
    "Presence",
    "Sessie",
    "Tafel",
    "Team",
    "URGENTIES",
    "Vervolgstap",
    "VervolgstapUpdate",
    "new_join_token",
]
