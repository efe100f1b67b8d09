"""What every write shares: who acts (`Actor`), text that can be stored, and the answer to
an edit of an older version."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from sessions import broadcast
from sessions.access import may_see
from sessions.models import (
    Deelnemer,
    Sessie,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a team member (user) or a participant (deelnemer)."""

    user: Any = None
    deelnemer: Deelnemer | None = None
    # The sender's own id for this change (kaart.js makes one per message): a message sent
    # again after its answer was lost is recognised and not applied twice.
    nonce: str = ""

    @property
    def name(self) -> str:
        if self.deelnemer is not None:
            return self.deelnemer.name
        if self.user is not None:
            return self.user.get_full_name() or self.user.get_username()
        return ""

    def sees(self, item: Any) -> bool:
        """Whether this actor may see a bijdrage or perspectief (sessions.access.may_see).

        Only participants act with a deelnemer; the edges let a team member act on a kaart
        only as a facilitator (coordinators read), and SYSTEM acts for the facilitators."""
        return may_see(
            vertrouwelijk=item.vertrouwelijk,
            author_id=item.author_id,
            role="deelnemer" if self.deelnemer is not None else "system",
            deelnemer_id=self.deelnemer.pk if self.deelnemer is not None else None,
        )

    @property
    def key(self) -> str:
        """Who it is, for telling one's own changes from others' ("" for the system)."""
        return actor_key(
            self.deelnemer.pk if self.deelnemer is not None else None,
            self.user.pk if self.user is not None else None,
        )


def actor_key(deelnemer_id: int | None, user_id: int | None) -> str:
    """Actor.key of a participant or an account by id (as a logged change names them)."""
    if deelnemer_id is not None:
        return f"d{deelnemer_id}"
    if user_id is not None:
        return f"u{user_id}"
    return ""


SYSTEM = Actor()


# Text that cannot be stored or sent: NUL, which PostgreSQL refuses, and lone surrogates, which
# neither UTF-8 nor PostgreSQL take. JSON's "\u0000" and "\ud800" decode to them (json.loads
# pairs the other surrogates into one character).
_INVALID_TEXT = re.compile("[\x00\ud800-\udfff]")


def is_valid_text(text: str) -> bool:
    """Whether `text` can be stored and sent."""
    return _INVALID_TEXT.search(text) is None


def _clean_text(value: str, *, field: str, required: bool = True, max_length: int = 0) -> str:
    text = (value or "").strip()
    limit = max_length or settings.HB_MAX_TEXT_LENGTH
    if required and not text:
        raise ValidationError({field: _("This field is required.")}, code="required")
    if len(text) > limit:
        raise ValidationError(
            {field: _("At most %(limit)d characters.") % {"limit": limit}}, code="max_length"
        )
    return text


class StaleEdit(ValidationError):
    """An edit made against an older version of an item; `current` is what the item holds now
    (its text, and a perspectief's urgency), for the editor who may see it."""

    def __init__(self, *, current_version: int, current: dict[str, Any] | None = None) -> None:
        super().__init__(
            _(
                "Someone else changed this in the meantime. "
                "Their version is shown; your text is kept."
            ),
            code="stale",
        )
        self.current_version = current_version
        self.current = current or {}


def sessie_changed(sessie_id: int, kind: str, data: Any = None) -> None:
    """A change of the sessie outside its kaarten' logs (broadcast.sessie_changed), rung at
    commit: counted first (Sessie.changes, which a kaart page that polls without a socket
    compares), then rung to its sockets. `data` may be a function that reads it after the
    commit (None from it: the sessie is gone, nobody to tell)."""

    def ring() -> None:
        try:
            Sessie.objects.filter(pk=sessie_id).update(changes=F("changes") + 1)
        except DatabaseError:
            logger.warning("change of sessie %s not counted", sessie_id, exc_info=True)
        said = data() if callable(data) else data or {}
        if said is not None:
            broadcast.sessie_changed(sessie_id=sessie_id, kind=kind, data=said)

    transaction.on_commit(ring)
