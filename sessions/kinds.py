"""Every kind of kaart change, defined once.

A kaart change is made by an action (a message from the page, sessions/actions.py), applied by
a service (sessions/services/), logged as an event of one of these kinds, pushed as the regions
its kind names (sessions/fragments.py), told to screen readers with its announcement, and taken
back by the undo its service module registers (`services.changes.undoes`). The tables of those
modules are derived from `SPECS`; tests/test_kinds.py checks that they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Change(StrEnum):
    """The kinds of event in a kaart's log."""

    BIJDRAGE_ADDED = "bijdrage_added"
    BIJDRAGE_EDITED = "bijdrage_edited"
    BIJDRAGE_DELETED = "bijdrage_deleted"
    BIJDRAGE_MOVED = "bijdrage_moved"
    PERSPECTIEF_SET = "perspectief_set"
    PERSPECTIEVEN_REVEALED = "perspectieven_revealed"
    KOPPELING_ADDED = "koppeling_added"
    KOPPELING_DELETED = "koppeling_deleted"
    VERVOLGSTAP_ADDED = "vervolgstap_added"
    VERVOLGSTAP_EDITED = "vervolgstap_edited"
    VERVOLGSTAP_DELETED = "vervolgstap_deleted"
    VERVOLGSTAP_FOLLOWED = "vervolgstap_followed"
    OPGAVE_TEXT_SET = "opgave_text_set"
    PARTIJ_ADDED = "partij_added"
    KAART_CARRIED = "kaart_carried"
    UNDONE = "undone"


@dataclass(frozen=True)
class Spec:
    """What a kind of change is.

    action: the page's action that makes it (docs/protocol.md); None for a change the kaart's
        page does not make (a sessie started from an earlier kaart: services.carry).
    regions: the kaart's live regions it changes; "partij" is the block of the event's
        data["partij"], "bijdragen" only that partij's halen and brengen. An item the change
        is about is pushed on its own (sessions/items.py): "bijdrage", "koppeling",
        "vervolgstap" the one item data["id"] (appended, replaced, taken out or moved as the
        kind says, with its list's count), "perspectief" that of data["partij"],
        "perspectieven" those of data["partijen"], "opgave_text" the text data["veld"].
    announcement: what the others' screen readers hear ("Anna added a bijdrage").
    undoable: whether its author can take it back (then its service registers the undo).
    """

    action: str | None
    regions: tuple[str, ...]
    announcement: str | Promise
    undoable: bool = True


# Every partij's block and what hangs on the partijen: nearly the whole kaart.
_PARTIJEN = ("partijen", "ontbrekend", "koppelingen", "vervolgstappen", "inzicht")

SPECS: dict[Change, Spec] = {
    Change.BIJDRAGE_ADDED: Spec("bijdrage_add", ("bijdrage", "inzicht"), _("added a bijdrage")),
    Change.BIJDRAGE_EDITED: Spec(
        "bijdrage_edit", ("bijdrage", "koppelingen", "inzicht"), _("edited a bijdrage")
    ),
    Change.BIJDRAGE_DELETED: Spec(
        "bijdrage_delete", ("bijdrage", "koppelingen", "inzicht"), _("deleted a bijdrage")
    ),
    Change.BIJDRAGE_MOVED: Spec("bijdrage_move", ("bijdrage", "inzicht"), _("moved a bijdrage")),
    Change.PERSPECTIEF_SET: Spec("perspectief_set", ("perspectief",), _("wrote a perspectief")),
    Change.PERSPECTIEVEN_REVEALED: Spec(
        "perspectieven_reveal",
        ("perspectieven",),
        _("revealed the perspectieven"),
        undoable=False,
    ),
    Change.KOPPELING_ADDED: Spec("koppeling_add", ("koppeling", "inzicht"), _("added a koppeling")),
    Change.KOPPELING_DELETED: Spec(
        "koppeling_delete", ("koppeling", "inzicht"), _("removed a koppeling")
    ),
    Change.VERVOLGSTAP_ADDED: Spec(
        "vervolgstap_save", ("vervolgstap", "inzicht"), _("added a vervolgstap")
    ),
    Change.VERVOLGSTAP_EDITED: Spec(
        "vervolgstap_save", ("vervolgstap", "inzicht"), _("edited a vervolgstap")
    ),
    Change.VERVOLGSTAP_DELETED: Spec(
        "vervolgstap_delete", ("vervolgstap", "inzicht"), _("deleted a vervolgstap")
    ),
    Change.VERVOLGSTAP_FOLLOWED: Spec(
        "vervolgstap_follow_up", ("vervolgstap",), _("followed up a vervolgstap")
    ),
    Change.OPGAVE_TEXT_SET: Spec(
        "opgave_text", ("opgave_text",), _("changed the opgave's wording")
    ),
    Change.PARTIJ_ADDED: Spec(
        "partij_missing",
        _PARTIJEN,
        _("noted a missing partij"),
    ),
    # A new sessie started from an earlier kaart: its items arrive at once, before anyone is
    # seated (services.carry); the facilitator deletes what is not wanted.
    Change.KAART_CARRIED: Spec(
        None,
        _PARTIJEN,
        _("carried items from an earlier sessie"),
        undoable=False,
    ),
    # An undo changes what the change it takes back changed (fragments.regions_for_event).
    Change.UNDONE: Spec("undo", (), _("undid a change"), undoable=False),
}
