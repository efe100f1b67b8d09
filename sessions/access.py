"""The one access check: who may see or change which opgave, sessie and tafel.

Every view and every websocket consumer asks here. Accounts (facilitators, coordinators) get
access through their team's Membership; participants through the Deelnemer recorded in their
session when they joined by the sessie's link.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from sessions import sql
from sessions.models import Deelnemer, Membership, Opgave, Sessie, Tafel

SESSION_KEY = "hb_deelnemers"


class LinkStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    REVOKED = "revoked"
    EXPIRED = "expired"
    CLOSED = "closed"


@dataclass(frozen=True)
class Access:
    """What one person may do with one opgave, sessie or tafel."""

    can_view: bool = False
    can_edit: bool = False
    can_manage: bool = False
    role: str = ""
    deelnemer: Deelnemer | None = None
    # May edit the kaart, but not now: the sessie is locked, closed or not yet open.
    paused: bool = False

    @property
    def editor(self) -> bool:
        """Whether the edit controls are in this person's page: for who may edit, also while
        the sessie does not let them (the page hides the controls then, from the step
        region's `data-readonly`, and the server refuses every change). One markup for a
        tafel's editors, locked or not: a lock pushes the step region alone."""
        return self.can_edit or self.paused


NO_ACCESS = Access()


def _authenticated(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def team_role(user: Any, opgave: Opgave) -> str:
    """The user's role in the opgave's team: 'facilitator', 'coordinator' or '' (also for an
    account switched off since it logged in: an open socket asks this again)."""
    if not _authenticated(user):
        return ""
    role = (
        Membership.objects.filter(team_id=opgave.team_id, user=user, user__is_active=True)
        .values_list("role", flat=True)
        .first()
    )
    return role or ""


def opgaven_for(user: Any) -> QuerySet[Opgave]:
    """The opgaven a facilitator or coordinator may see: those of their teams."""
    if not _authenticated(user):
        return Opgave.objects.none()
    return Opgave.objects.filter(team__memberships__user=user).distinct()


def opgave_access(user: Any, opgave: Opgave) -> Access:
    return team_access(team_role(user, opgave))


def team_access(role: str) -> Access:
    """What a team member with this role may do with the team's opgaven ('' for none)."""
    if role == Membership.Role.FACILITATOR:
        return Access(can_view=True, can_edit=True, can_manage=True, role=role)
    if role == Membership.Role.COORDINATOR:
        return Access(can_view=True, role=role)
    return NO_ACCESS


def sessie_role(user: Any, sessie_id: int) -> str | None:
    """The account's role in the team of the sessie's opgave now ('' for none; None when the
    sessie is gone), read in one plain query: a control room asks this before each time it
    draws its tafels' lines. An account deactivated since it connected has no role."""
    if not _authenticated(user):
        return ""
    sessie, opgave = Sessie._meta.db_table, Opgave._meta.db_table
    membership, users = Membership._meta.db_table, user._meta.db_table
    found = sql.row(
        f"SELECT m.role FROM {sessie} s JOIN {opgave} o ON o.id = s.opgave_id"
        f" LEFT JOIN {membership} m ON m.team_id = o.team_id AND m.user_id = %s"
        f" AND EXISTS (SELECT 1 FROM {users} u WHERE u.id = m.user_id AND u.is_active)"
        f" WHERE s.id = %s",
        [user.pk, sessie_id],
    )
    return None if found is None else found[0] or ""


def sessie_access(user: Any, session: Any, sessie: Sessie) -> Access:
    """Team members see the whole sessie; a participant sees the sessie they joined."""
    team = opgave_access(user, sessie.opgave)
    if team.can_view:
        return team
    deelnemer = deelnemer_for(session, sessie)
    if deelnemer is not None:
        return Access(can_view=True, role="deelnemer", deelnemer=deelnemer)
    return NO_ACCESS


def tafel_access(user: Any, session: Any, tafel: Tafel) -> Access:
    """Who may see and fill in the kaart of one tafel.

    Facilitators of the team may edit every tafel of an open sessie; coordinators only read;
    a participant reads and edits only the tafel they sit at, while the sessie is open and not
    locked. A closed sessie is read-only for everyone.
    """
    sessie = tafel.sessie
    team = opgave_access(user, sessie.opgave)
    if team.can_view:
        allowed = Access(
            can_view=True, can_edit=team.can_edit, can_manage=team.can_manage, role=team.role
        )
    else:
        deelnemer = deelnemer_for(session, sessie)
        if deelnemer is None or deelnemer.tafel_id != tafel.pk:
            return NO_ACCESS
        allowed = Access(can_view=True, can_edit=True, role="deelnemer", deelnemer=deelnemer)
    return under(allowed, state=sessie.state, locked=sessie.locked)


def under(allowed: Access, *, state: str, locked: bool) -> Access:
    """A kaart's access as the sessie's state and lock let its editors edit: a closed sessie
    is read-only for everyone; a planned or locked one for its participants, not for the
    facilitators. (A socket takes a lock or state change from its bell through this.)"""
    if not allowed.editor:
        return allowed
    if allowed.role == "deelnemer":
        editable = state == Sessie.State.OPEN and not locked
    else:
        editable = state != Sessie.State.GESLOTEN
    return replace(allowed, can_edit=editable, paused=not editable)


def participant_stamp(tafel_id: int, deelnemer_id: int) -> tuple | None:
    """Everything a participant's access to a tafel depends on (tafel_access, deelnemer_for),
    read in one plain query: while the stamp is the same, so is their access. A socket keeps
    the access it looked up and asks this before each change instead of looking it up again."""
    sessie, tafel, deelnemer = Sessie._meta.db_table, Tafel._meta.db_table, Deelnemer._meta.db_table
    return sql.row(
        f"SELECT s.id, s.state, s.locked, s.join_revoked, s.link_generation,"
        f" d.revoked, d.tafel_id, d.partij_id, d.link_generation"
        f" FROM {tafel} t JOIN {sessie} s ON s.id = t.sessie_id"
        f" LEFT JOIN {deelnemer} d ON d.id = %s AND d.sessie_id = s.id"
        f" WHERE t.id = %s",
        [deelnemer_id, tafel_id],
    )


def deelnemer_id_in(session: Any, sessie_id: int) -> int | None:
    """The participant this browser session joined the sessie as, by id, unchecked."""
    if session is None:
        return None
    return (session.get(SESSION_KEY) or {}).get(str(sessie_id))


def deelnemer_for(session: Any, sessie: Sessie) -> Deelnemer | None:
    """The participant this browser session joined the sessie as, if that access still holds.

    Access ends when the participant is revoked, or the link they joined with is revoked or
    replaced by a new one.
    """
    deelnemer_id = deelnemer_id_in(session, sessie.pk)
    if not deelnemer_id:
        return None
    deelnemer = (
        Deelnemer.objects.select_related("partij", "tafel")
        .filter(pk=deelnemer_id, sessie=sessie)
        .first()
    )
    if (
        deelnemer is None
        or deelnemer.revoked
        or sessie.join_revoked
        or deelnemer.link_generation != sessie.link_generation
    ):
        return None
    return deelnemer


def may_see(
    *, vertrouwelijk: bool, author_id: int | None, role: str, deelnemer_id: int | None
) -> bool:
    """The one rule for vertrouwelijk items: seen by the facilitators (and the system, which
    acts for them) and by the participant who wrote it, by nobody else. Everything else on a
    kaart a person may open, they may see.

    Whoever may not see an item must find it missing, in every page, push and answer."""
    if not vertrouwelijk or role in ("facilitator", "system"):
        return True
    return deelnemer_id is not None and deelnemer_id == author_id


def sees(access: Access, *, vertrouwelijk: bool, author_id: int | None) -> bool:
    """`may_see` for this person: whether an item (vertrouwelijk or not, written by
    `author_id`) exists for them."""
    return may_see(
        vertrouwelijk=vertrouwelijk,
        author_id=author_id,
        role=access.role,
        deelnemer_id=access.deelnemer.pk if access.deelnemer is not None else None,
    )


def sees_sql(access: Access, table: str) -> tuple[str, list[int]]:
    """`sees` as a written-out condition on the rows of `table` (bijdragen, or anything with
    `vertrouwelijk` and `author_id`), with its parameters: the items that exist for this
    person."""
    if access.role in ("facilitator", "system"):
        return "1 = 1", []
    if access.deelnemer is not None:
        return f"(NOT {table}.vertrouwelijk OR {table}.author_id = %s)", [access.deelnemer.pk]
    return f"NOT {table}.vertrouwelijk", []


def sees_everything(access: Access) -> bool:
    """Facilitators see vertrouwelijk items and perspectieven before they are revealed."""
    return access.role == Membership.Role.FACILITATOR


def in_summary(*, vertrouwelijk: bool, revealed: bool = True, complete: bool) -> bool:
    """The rule for what a summary shows (the kaart's pictures, the summary pages, every
    export): with `complete` (for facilitators, `sees_everything`) everything; otherwise no
    vertrouwelijk item, not even one's own, and no perspectief before it is revealed."""
    return complete or (revealed and not vertrouwelijk)


def in_summary_q(*, perspectief: bool = False) -> Q:
    """`in_summary` without `complete`, as a query filter of bijdragen or perspectieven."""
    return Q(vertrouwelijk=False, revealed=True) if perspectief else Q(vertrouwelijk=False)


def remember_deelnemer(session: Any, deelnemer: Deelnemer) -> None:
    ids = dict(session.get(SESSION_KEY) or {})
    ids[str(deelnemer.sessie_id)] = deelnemer.pk
    session[SESSION_KEY] = ids


def join_link_status(sessie: Sessie, token: str) -> LinkStatus:
    """Whether a join token opens the sessie now; compared in constant time."""
    if not hmac.compare_digest(token.encode(), sessie.join_token.encode()):
        return LinkStatus.INVALID
    if sessie.join_revoked:
        return LinkStatus.REVOKED
    if sessie.join_expires_at is not None and sessie.join_expires_at <= timezone.now():
        return LinkStatus.EXPIRED
    if sessie.is_closed:
        return LinkStatus.CLOSED
    return LinkStatus.VALID
