"""The spine of every kaart change: the tafel locked, the change numbered and logged as an
event, the bell rung on commit; resends recognised by their nonce; the checks every item
change shares.

Each kaart change locks the tafel row first (then the item), so changes of one kaart are
serialised and numbered without gaps. The event's data holds what undo needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from sessions import broadcast, push, sql
from sessions.kinds import Change
from sessions.models import (
    Bijdrage,
    KaartEvent,
    Koppeling,
    Partij,
    Tafel,
    Vervolgstap,
)
from sessions.services.common import Actor, StaleEdit

# The statements every change runs, written out: through the ORM each cost several times the
# database's own work (bench/README.md, "The push path").
EVENTS = KaartEvent._meta.db_table


def _insert(item: Any) -> Any:
    """Save a new row as `Model.objects.create` would (defaults, `auto_now_add`, foreign keys
    by id; the app has no save signals), with the INSERT written out: on every change of a
    kaart the ORM's building of it cost more than the database's work."""
    meta = item._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(item, add=True), connection) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    pk = meta.pk.column
    (item.pk,) = sql.row(
        f"INSERT INTO {meta.db_table} ({columns}) VALUES ({marks}) RETURNING {pk}",
        values,
    )
    item._state.adding = False
    item._state.db = connection.alias
    return item


def _lock(tafel: Tafel) -> None:
    """Lock the tafel's row for this transaction, then read the number of its last change
    (a statement after the lock, so that it sees what the previous holder committed)."""
    sql.row(f"SELECT id FROM {Tafel._meta.db_table} WHERE id = %s{sql.for_update()}", [tafel.pk])
    row = sql.row(f"SELECT max(seq) FROM {EVENTS} WHERE tafel_id = %s", [tafel.pk])
    tafel.locked_seq = row[0] or 0


class AlreadyApplied(Exception):
    """The change with this nonce is in the log already: it was sent again (after its answer was
    lost). The transaction rolls back; the sender is told it was applied."""


NONCE_WINDOW = 1000  # a resend comes within the tafel's last this many changes


def change_applied(*, tafel: Tafel, nonce: str) -> bool:
    """Whether the change the sender marked with `nonce` is in the tafel's recent log."""
    if not nonce:
        return False
    nonce_of = {
        "postgresql": "recent.data ->> 'nonce'",
        "sqlite": "json_extract(recent.data, '$.nonce')",
    }.get(connection.vendor)
    if nonce_of is None:  # another database: through the ORM
        recent = tafel.events.order_by("-seq").values("pk")[:NONCE_WINDOW]
        return tafel.events.filter(pk__in=recent, data__nonce=nonce).exists()
    row = sql.row(
        f"SELECT 1 FROM (SELECT data FROM {EVENTS} WHERE tafel_id = %s"
        f" ORDER BY seq DESC LIMIT {NONCE_WINDOW}) recent WHERE {nonce_of} = %s LIMIT 1",
        [tafel.pk, nonce],
    )
    return row is not None


def _record(
    *, tafel: Tafel, kind: Change, data: dict[str, Any], actor: Actor, item: Any = None
) -> KaartEvent:
    """Append an event to the tafel's log (inside the caller's transaction, tafel locked) and
    ring the bell once the transaction commits, with the change's HTML rendered from `item`,
    the row just written (sessions.push)."""
    kind = Change(kind).value
    if getattr(tafel, "locked_seq", None) is None:
        raise RuntimeError("_record needs the tafel locked first (_lock)")
    seq = tafel.locked_seq + 1  # _lock read it; the changes of this transaction count on
    tafel.locked_seq = seq
    if actor.nonce:
        # Under the tafel's lock: of two copies of one message, one is applied.
        if change_applied(tafel=tafel, nonce=actor.nonce):
            raise AlreadyApplied
        data = {**data, "nonce": actor.nonce}
    event = _insert(
        KaartEvent(
            tafel=tafel,
            seq=seq,
            kind=kind,
            data=data,
            actor_name=actor.name,
            actor_user=actor.user,
            actor_deelnemer=actor.deelnemer,
        )
    )
    transaction.on_commit(
        lambda: ring(tafel=tafel, seq=seq, kind=kind, data=data, actor=actor, item=item)
    )
    return event


def ring(
    *, tafel: Tafel, seq: int, kind: str, data: dict[str, Any], actor: Actor, item: Any = None
) -> None:
    """The bell of a committed change, with its HTML rendered from `item`, the row it wrote
    (sessions.push)."""
    broadcast.kaart_changed(
        sessie_id=tafel.sessie_id,
        tafel_id=tafel.pk,
        seq=seq,
        kind=kind,
        data=data,
        actor=actor.name,
        by=actor.key,
        html=push.rendered_or_none(kind=kind, data=data, seq=seq, actor_name=actor.name, item=item),
    )


def _record_version(
    *,
    tafel: Tafel,
    kind: Change,
    item: Any,
    before: dict[str, Any] | None,
    actor: Actor,
    **extra: Any,
) -> KaartEvent:
    """Log a new version of an item of a partij (a bijdrage, a perspectief) with what it held
    before, which its undo puts back (and `extra` facts about the change)."""
    return _record(
        tafel=tafel,
        kind=kind,
        data={
            "id": item.pk,
            "partij": item.partij_id,
            "version": item.version,
            "before": before,
            **extra,
            **_secret(item.vertrouwelijk),
        },
        actor=actor,
        item=item,
    )


def _check_partij(tafel: Tafel, partij: Partij) -> None:
    if partij.opgave_id != tafel.sessie.opgave_id:
        raise ValidationError({"partij": _("This partij belongs to another opgave.")})


def _check_room(tafel: Tafel) -> None:
    counts = " + ".join(
        f"(SELECT count(*) FROM {model._meta.db_table} WHERE tafel_id = %s)"
        for model in (Bijdrage, Koppeling, Vervolgstap)
    )
    items = sql.row(f"SELECT {counts}", [tafel.pk] * 3)[0]
    if items >= settings.HB_MAX_ITEMS_PER_KAART:
        raise ValidationError(
            _("This kaart is full (%(limit)d items).") % {"limit": settings.HB_MAX_ITEMS_PER_KAART},
            code="full",
        )


def _secret(vertrouwelijk: bool) -> dict[str, bool]:
    """Marks the event of a vertrouwelijk item, so nobody is told who changed what there."""
    return {"vertrouwelijk": True} if vertrouwelijk else {}


def _check_version(item: Any, expected_version: int | None, current: dict[str, Any]) -> None:
    """Refuse an edit of an older version; the editor is shown `current` (what they may see)."""
    if expected_version is not None and expected_version != item.version:
        raise StaleEdit(current_version=item.version, current=current)


def _gone() -> ValidationError:
    return ValidationError(
        _("This item no longer exists; someone may have deleted it."), code="gone"
    )


def _item(model: type, tafel: Tafel, pk: int, actor: Actor) -> Any:
    """An item of this kaart as `actor` may see it, locked. An id of another kaart and an item
    the actor may not see (another's vertrouwelijk bijdrage, a koppeling to one) are missing:
    the same answer, so that guessing ids tells nothing."""
    query = (
        f"SELECT * FROM {model._meta.db_table} WHERE id = %s AND tafel_id = %s{sql.for_update()}"
    )
    item = next(iter(model.objects.raw(query, [pk, tafel.pk])), None)
    if item is None:
        raise _gone()
    if isinstance(item, Bijdrage) and not actor.sees(item):
        raise _gone()
    if isinstance(item, Koppeling) and not all(
        actor.sees(end)
        for end in Bijdrage.objects.filter(pk__in=[item.haal_id, item.breng_id]).only(
            "vertrouwelijk", "author_id"
        )
    ):
        raise _gone()
    return item


class NothingToUndo(ValidationError):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("There is nothing of yours to undo."), code="nothing_to_undo")


# How each undoable kind of change is taken back (sessions/kinds.py): registered with
# @undoes beside the operation, in the item's own module; used by services/undo.py.
# An undo gets the undone event's data and returns what the "undone" event adds to it.
Undo = Callable[[Tafel, dict, Actor], dict]
UNDO: dict[Change, Undo] = {}


def undoes(kind: Change) -> Callable[[Undo], Undo]:
    def register(undo: Undo) -> Undo:
        UNDO[kind] = undo
        return undo

    return register
