"""Every write of Halen/Brengen: validate, save in a transaction, log, broadcast on commit.

Views and consumers call these functions and nothing else to change data.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sessions import broadcast
from sessions.access import may_see
from sessions.models import (
    Bijdrage,
    Deelnemer,
    KaartEvent,
    Koppeling,
    Opgave,
    OpgaveVersie,
    Partij,
    Perspectief,
    Presence,
    Sessie,
    Tafel,
    Team,
    Vervolgstap,
    new_join_token,
)
from sessions.selectors import PRESENCE_TTL


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
        if self.deelnemer is not None:
            return f"d{self.deelnemer.pk}"
        if self.user is not None:
            return f"u{self.user.pk}"
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


# Opgave and its versioned texts -----------------------------------------------------------


def opgave_create(
    *,
    team: Team,
    title: str,
    formulering: str = "",
    ambitie: str = "",
    verbindende_vraag: str = "",
    actor: Actor = SYSTEM,
) -> Opgave:
    title = _clean_text(title, field="title", max_length=200)
    with transaction.atomic():
        opgave = Opgave.objects.create(team=team, title=title)
        texts = {
            OpgaveVersie.Veld.FORMULERING: formulering,
            OpgaveVersie.Veld.AMBITIE: ambitie,
            OpgaveVersie.Veld.VERBINDENDE_VRAAG: verbindende_vraag,
        }
        for veld, tekst in texts.items():
            if tekst.strip():
                opgave_text_set(opgave=opgave, veld=veld, tekst=tekst, actor=actor)
    return opgave


def opgave_text_set(
    *,
    opgave: Opgave,
    veld: str,
    tekst: str,
    expected_version: int | None = None,
    sessie: Sessie | None = None,
    actor: Actor = SYSTEM,
) -> OpgaveVersie:
    """Write a new version of one of the opgave's texts; refuse an edit of an older version."""
    if veld not in OpgaveVersie.Veld.values:
        raise ValidationError({"veld": _("Unknown field.")}, code="invalid")
    tekst = _clean_text(tekst, field=veld, required=False)
    with transaction.atomic():
        Opgave.objects.select_for_update().filter(pk=opgave.pk).first()
        previous = opgave.versies.filter(veld=veld).order_by("-nummer").first()
        latest = previous.nummer if previous else 0
        if expected_version is not None and expected_version != latest:
            raise StaleEdit(
                current_version=latest, current={"text": previous.tekst if previous else ""}
            )
        return OpgaveVersie.objects.create(
            opgave=opgave,
            veld=veld,
            nummer=latest + 1,
            tekst=tekst,
            sessie=sessie,
            author_name=actor.name,
            author_user=actor.user,
            author_deelnemer=actor.deelnemer,
        )


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


# Partijen ---------------------------------------------------------------------------------


def partij_add(
    *,
    opgave: Opgave,
    name: str,
    wereld: str = Partij.Wereld.PUBLIEK,
    status: str = Partij.Status.AAN_TAFEL,
    toelichting: str = "",
) -> Partij:
    name = _clean_text(name, field="name", max_length=200)
    if wereld not in Partij.Wereld.values:
        raise ValidationError({"wereld": _("Unknown world.")}, code="invalid")
    if status not in Partij.Status.values:
        raise ValidationError({"status": _("Unknown status.")}, code="invalid")
    if opgave.partijen.filter(name__iexact=name).exists():
        raise ValidationError(
            {"name": _("This opgave already has a partij with this name.")}, code="unique"
        )
    return Partij.objects.create(
        opgave=opgave, name=name, wereld=wereld, status=status, toelichting=toelichting.strip()
    )


# Sessies, tafels and the join link --------------------------------------------------------


def sessie_create(
    *,
    opgave: Opgave,
    title: str,
    state: str = Sessie.State.GEPLAND,
    tafels: int = 1,
    actor: Actor = SYSTEM,
) -> Sessie:
    title = _clean_text(title, field="title", max_length=200)
    if state not in Sessie.State.values:
        raise ValidationError({"state": _("Unknown state.")}, code="invalid")
    with transaction.atomic():
        sessie = Sessie.objects.create(
            opgave=opgave, title=title, state=state, created_by=actor.user
        )
        for _i in range(tafels):
            tafel_add(sessie=sessie)
    return sessie


def sessie_set_step(*, sessie: Sessie, stap: int) -> Sessie:
    if stap not in (1, 2, 3):
        raise ValidationError({"stap": _("A sessie has steps 1, 2 and 3.")}, code="invalid")
    sessie.stap = stap
    # Each step has its own timer: a new step starts with the timer reset.
    sessie.timer_ends_at = None
    sessie.timer_remaining = None
    sessie.save(update_fields=["stap", "timer_ends_at", "timer_remaining"])
    transaction.on_commit(
        lambda: broadcast.sessie_changed(sessie_id=sessie.pk, kind="step", data={"stap": stap})
    )
    return sessie


def tafel_add(*, sessie: Sessie, name: str = "") -> Tafel:
    with transaction.atomic():
        Sessie.objects.select_for_update().filter(pk=sessie.pk).first()
        last = sessie.tafels.aggregate(n=Max("nummer"))["n"] or 0
        return Tafel.objects.create(sessie=sessie, nummer=last + 1, name=name.strip()[:100])


def sessie_revoke_link(*, sessie: Sessie) -> Sessie:
    """Revoke the join link: nobody joins by it, and who joined by it loses access."""
    sessie.join_revoked = True
    sessie.save(update_fields=["join_revoked"])
    transaction.on_commit(
        lambda: broadcast.sessie_changed(sessie_id=sessie.pk, kind="access_revoked")
    )
    return sessie


def sessie_regenerate_link(
    *, sessie: Sessie, expires_at: datetime.datetime | None = None
) -> Sessie:
    """A new join link replaces the old one; who joined by the old one must join again."""
    sessie.join_token = new_join_token()
    sessie.join_revoked = False
    sessie.join_expires_at = expires_at
    sessie.link_generation += 1
    sessie.save(update_fields=["join_token", "join_revoked", "join_expires_at", "link_generation"])
    transaction.on_commit(
        lambda: broadcast.sessie_changed(sessie_id=sessie.pk, kind="access_revoked")
    )
    return sessie


def deelnemer_join(
    *,
    sessie: Sessie,
    name: str,
    partij: Partij | None = None,
    new_partij_name: str = "",
) -> Deelnemer:
    """A participant joins with a display name and the partij they represent (or a new one).

    They are seated at the tafel with the fewest participants, if the sessie has tafels.
    """
    name = _clean_text(name, field="name", max_length=100)
    with transaction.atomic():
        if partij is None:
            new_partij_name = _clean_text(new_partij_name, field="new_partij", max_length=200)
            partij = sessie.opgave.partijen.filter(name__iexact=new_partij_name).first()
            if partij is None:
                partij = partij_add(opgave=sessie.opgave, name=new_partij_name)
        elif partij.opgave_id != sessie.opgave_id:
            raise ValidationError({"partij": _("This partij belongs to another opgave.")})
        tafel = sessie.tafels.annotate(n=Count("deelnemers")).order_by("n", "nummer").first()
        deelnemer = Deelnemer.objects.create(
            sessie=sessie,
            tafel=tafel,
            partij=partij,
            name=name,
            link_generation=sessie.link_generation,
        )
        _sessie_changed(sessie, "deelnemers")
        return deelnemer


# The kaart: every change is an event with the next sequence number ------------------------
#
# Each kaart change locks the tafel row first (then the item), so changes of one kaart are
# serialised and numbered without gaps. The event's data holds what undo needs.


def _lock(tafel: Tafel) -> None:
    Tafel.objects.select_for_update().filter(pk=tafel.pk).first()


class AlreadyApplied(Exception):
    """The change with this nonce is in the log already: it was sent again (after its answer was
    lost). The transaction rolls back; the sender is told it was applied."""


NONCE_WINDOW = 1000  # a resend comes within the tafel's last this many changes


def change_applied(*, tafel: Tafel, nonce: str, before_seq: int | None = None) -> bool:
    """Whether the change the sender marked with `nonce` is in the tafel's recent log."""
    if not nonce:
        return False
    events = tafel.events.filter(data__nonce=nonce)
    if before_seq is not None:
        events = events.filter(seq__gt=before_seq - NONCE_WINDOW)
    return events.exists()


def _record(*, tafel: Tafel, kind: str, data: dict[str, Any], actor: Actor) -> KaartEvent:
    """Append an event to the tafel's log (inside the caller's transaction, tafel locked) and
    ring the bell once the transaction commits."""
    seq = (tafel.events.aggregate(n=Max("seq"))["n"] or 0) + 1
    if actor.nonce:
        # Under the tafel's lock: of two copies of one message, one is applied.
        if change_applied(tafel=tafel, nonce=actor.nonce, before_seq=seq):
            raise AlreadyApplied
        data = {**data, "nonce": actor.nonce}
    event = KaartEvent.objects.create(
        tafel=tafel,
        seq=seq,
        kind=kind,
        data=data,
        actor_name=actor.name,
        actor_user=actor.user,
        actor_deelnemer=actor.deelnemer,
    )
    transaction.on_commit(
        lambda: broadcast.kaart_changed(
            sessie_id=tafel.sessie_id,
            tafel_id=tafel.pk,
            seq=seq,
            kind=kind,
            data=data,
            actor=actor.name,
            by=actor.key,
        )
    )
    return event


def _check_partij(tafel: Tafel, partij: Partij) -> None:
    if partij.opgave_id != tafel.sessie.opgave_id:
        raise ValidationError({"partij": _("This partij belongs to another opgave.")})


def _check_room(tafel: Tafel) -> None:
    items = tafel.bijdragen.count() + tafel.koppelingen.count() + tafel.vervolgstappen.count()
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
    item = model.objects.select_for_update().filter(tafel=tafel, pk=pk).first()
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


def _bijdrage_fields(
    soort: str, tekst: str, gewicht: int, breng_soort: str, toezegging: str
) -> dict[str, Any]:
    tekst = _clean_text(tekst, field="tekst")
    if soort not in Bijdrage.Soort.values:
        raise ValidationError({"soort": _("Choose haal or breng.")}, code="invalid")
    if gewicht not in (1, 2, 3):
        raise ValidationError({"gewicht": _("The weight is 1, 2 or 3.")}, code="invalid")
    if soort == Bijdrage.Soort.BRENG:
        breng_soort = breng_soort or Bijdrage.BrengSoort.ANDERS
        toezegging = toezegging or Bijdrage.Toezegging.MOGELIJK
        if breng_soort not in Bijdrage.BrengSoort.values:
            raise ValidationError({"breng_soort": _("Unknown kind.")}, code="invalid")
        if toezegging not in Bijdrage.Toezegging.values:
            raise ValidationError({"toezegging": _("Unknown commitment.")}, code="invalid")
    else:
        breng_soort = toezegging = ""
    return {
        "tekst": tekst,
        "gewicht": gewicht,
        "breng_soort": breng_soort,
        "toezegging": toezegging,
    }


def bijdrage_add(
    *,
    tafel: Tafel,
    partij: Partij,
    soort: str,
    tekst: str,
    gewicht: int = 1,
    breng_soort: str = "",
    toezegging: str = "",
    vertrouwelijk: bool = False,
    actor: Actor = SYSTEM,
) -> Bijdrage:
    _check_partij(tafel, partij)
    fields = _bijdrage_fields(soort, tekst, gewicht, breng_soort, toezegging)
    with transaction.atomic():
        _lock(tafel)
        _check_room(tafel)
        last = tafel.bijdragen.filter(partij=partij, soort=soort).aggregate(n=Max("position"))
        bijdrage = Bijdrage.objects.create(
            tafel=tafel,
            partij=partij,
            soort=soort,
            vertrouwelijk=vertrouwelijk,
            position=0 if last["n"] is None else last["n"] + 1,
            author=actor.deelnemer,
            **fields,
        )
        _record(
            tafel=tafel,
            kind="bijdrage_added",
            data={"id": bijdrage.pk, "partij": partij.pk, "version": 1, **_secret(vertrouwelijk)},
            actor=actor,
        )
    return bijdrage


def bijdrage_edit(
    *,
    tafel: Tafel,
    bijdrage_id: int,
    expected_version: int | None,
    tekst: str,
    gewicht: int,
    breng_soort: str = "",
    toezegging: str = "",
    actor: Actor = SYSTEM,
) -> Bijdrage:
    """Change a bijdrage; refused when it was changed since the version the editor saw."""
    with transaction.atomic():
        _lock(tafel)
        bijdrage = _item(Bijdrage, tafel, bijdrage_id, actor)
        _check_version(bijdrage, expected_version, {"text": bijdrage.tekst})
        fields = _bijdrage_fields(bijdrage.soort, tekst, gewicht, breng_soort, toezegging)
        before = {name: getattr(bijdrage, name) for name in fields}
        if before == fields:
            return bijdrage
        for name, value in fields.items():
            setattr(bijdrage, name, value)
        bijdrage.version += 1
        bijdrage.save(update_fields=[*fields, "version", "updated_at"])
        _record(
            tafel=tafel,
            kind="bijdrage_edited",
            data={
                "id": bijdrage.pk,
                "partij": bijdrage.partij_id,
                "version": bijdrage.version,
                "before": before,
                **_secret(bijdrage.vertrouwelijk),
            },
            actor=actor,
        )
    return bijdrage


def _bijdrage_snapshot(bijdrage: Bijdrage) -> dict[str, Any]:
    return {
        "partij": bijdrage.partij_id,
        "soort": bijdrage.soort,
        "tekst": bijdrage.tekst,
        "gewicht": bijdrage.gewicht,
        "breng_soort": bijdrage.breng_soort,
        "toezegging": bijdrage.toezegging,
        "vertrouwelijk": bijdrage.vertrouwelijk,
        "position": bijdrage.position,
        "author": bijdrage.author_id,
        "version": bijdrage.version,
    }


def bijdrage_delete(
    *, tafel: Tafel, bijdrage_id: int, expected_version: int | None = None, actor: Actor = SYSTEM
) -> None:
    """Delete a bijdrage and its koppelingen; refused if it changed since the deleter saw it."""
    with transaction.atomic():
        _lock(tafel)
        bijdrage = _item(Bijdrage, tafel, bijdrage_id, actor)
        _check_version(bijdrage, expected_version, {"text": bijdrage.tekst})
        koppelingen = list(
            Koppeling.objects.filter(tafel=tafel)
            .filter(Q(haal_id=bijdrage.pk) | Q(breng_id=bijdrage.pk))
            .values("haal_id", "breng_id")
        )
        snapshot = _bijdrage_snapshot(bijdrage)
        bijdrage.delete()
        _record(
            tafel=tafel,
            kind="bijdrage_deleted",
            data={
                "id": bijdrage_id,
                "partij": snapshot["partij"],
                "snapshot": snapshot,
                "koppelingen": [[k["haal_id"], k["breng_id"]] for k in koppelingen],
                **_secret(snapshot["vertrouwelijk"]),
            },
            actor=actor,
        )


def bijdrage_move(
    *, tafel: Tafel, bijdrage_id: int, direction: str, actor: Actor = SYSTEM
) -> Bijdrage:
    """Move a bijdrage one place up or down among the halen (or brengen) of its partij."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Move up or down.")}, code="invalid")
    with transaction.atomic():
        _lock(tafel)
        bijdrage = _item(Bijdrage, tafel, bijdrage_id, actor)
        if not _swap_with_neighbour(tafel, bijdrage, direction, actor):
            return bijdrage
        _record(
            tafel=tafel,
            kind="bijdrage_moved",
            data={
                "id": bijdrage.pk,
                "partij": bijdrage.partij_id,
                "direction": direction,
                **_secret(bijdrage.vertrouwelijk),
            },
            actor=actor,
        )
    return bijdrage


def _swap_with_neighbour(tafel: Tafel, bijdrage: Bijdrage, direction: str, actor: Actor) -> bool:
    """Swap a bijdrage with the nearest one above or below it that the actor sees (among its
    partij's halen or brengen), so that items hidden from them neither block nor reveal a
    move. False when it is first or last already."""
    siblings = list(
        tafel.bijdragen.filter(partij_id=bijdrage.partij_id, soort=bijdrage.soort).order_by(
            "position", "id"
        )
    )
    seen = [i for i, b in enumerate(siblings) if b.pk == bijdrage.pk or actor.sees(b)]
    here = seen.index(next(i for i, b in enumerate(siblings) if b.pk == bijdrage.pk))
    there = here - 1 if direction == "up" else here + 1
    if not 0 <= there < len(seen):
        return False
    a, b = seen[here], seen[there]
    siblings[a], siblings[b] = siblings[b], siblings[a]
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position"])
    return True


def perspectief_set(
    *,
    tafel: Tafel,
    partij: Partij,
    tekst: str,
    urgentie: int | None,
    vertrouwelijk: bool = False,
    expected_version: int | None = None,
    actor: Actor = SYSTEM,
) -> Perspectief:
    """Write a partij's perspectief on this kaart; it stays private until revealed."""
    _check_partij(tafel, partij)
    if actor.deelnemer is not None and actor.deelnemer.partij_id != partij.pk:
        raise ValidationError(_("Only the partij itself writes its perspectief."))
    tekst = _clean_text(tekst, field="tekst", required=False)
    if urgentie is not None and urgentie not in range(1, 6):
        raise ValidationError({"urgentie": _("Urgency is 1 to 5.")}, code="invalid")
    with transaction.atomic():
        _lock(tafel)
        perspectief = (
            Perspectief.objects.select_for_update().filter(tafel=tafel, partij=partij).first()
        )
        if perspectief is None:
            if expected_version not in (None, 0):
                raise StaleEdit(current_version=0)
            before = None
            perspectief = Perspectief.objects.create(
                tafel=tafel,
                partij=partij,
                tekst=tekst,
                urgentie=urgentie,
                vertrouwelijk=vertrouwelijk,
                author=actor.deelnemer,
            )
        else:
            if not actor.sees(perspectief):
                # One perspectief per partij: that one exists is on the kaart already ("written
                # privately"); what it says is not, and it is not theirs to overwrite.
                raise ValidationError(
                    _(
                        "Someone of your partij wrote this perspectief in confidence; only "
                        "they and the facilitator can change it."
                    ),
                    code="vertrouwelijk",
                )
            _check_version(
                perspectief,
                expected_version,
                {"text": perspectief.tekst, "urgentie": perspectief.urgentie},
            )
            before = {
                "tekst": perspectief.tekst,
                "urgentie": perspectief.urgentie,
                "vertrouwelijk": perspectief.vertrouwelijk,
            }
            if before == {"tekst": tekst, "urgentie": urgentie, "vertrouwelijk": vertrouwelijk}:
                return perspectief
            perspectief.tekst = tekst
            perspectief.urgentie = urgentie
            perspectief.vertrouwelijk = vertrouwelijk
            perspectief.version += 1
            perspectief.author = actor.deelnemer
            perspectief.save(
                update_fields=[
                    "tekst",
                    "urgentie",
                    "vertrouwelijk",
                    "version",
                    "author",
                    "updated_at",
                ]
            )
        _record(
            tafel=tafel,
            kind="perspectief_set",
            data={
                "id": perspectief.pk,
                "partij": partij.pk,
                "version": perspectief.version,
                "before": before,
                **_secret(vertrouwelijk),
            },
            actor=actor,
        )
    return perspectief


def perspectieven_reveal(*, tafel: Tafel, actor: Actor = SYSTEM) -> int:
    """Reveal the private perspectieven of a tafel to everyone at it; returns how many."""
    with transaction.atomic():
        _lock(tafel)
        revealed = tafel.perspectieven.filter(revealed=False).update(revealed=True)
        if revealed:
            _record(tafel=tafel, kind="perspectieven_revealed", data={}, actor=actor)
    return revealed


def koppeling_add(*, tafel: Tafel, haal_id: int, breng_id: int, actor: Actor = SYSTEM) -> Koppeling:
    """Link a haal of one partij to a breng of another partij on the same kaart."""
    with transaction.atomic():
        _lock(tafel)
        haal = _item(Bijdrage, tafel, haal_id, actor)
        breng = _item(Bijdrage, tafel, breng_id, actor)
        if haal.soort != Bijdrage.Soort.HAAL or breng.soort != Bijdrage.Soort.BRENG:
            raise ValidationError(_("A koppeling links a haal to a breng."), code="invalid")
        if haal.partij_id == breng.partij_id:
            raise ValidationError(
                _("A koppeling links two different partijen."), code="same_partij"
            )
        _check_room(tafel)
        if Koppeling.objects.filter(haal=haal, breng=breng).exists():
            raise ValidationError(_("These two are linked already."), code="unique")
        koppeling = Koppeling.objects.create(
            tafel=tafel, haal=haal, breng=breng, author=actor.deelnemer
        )
        _record(
            tafel=tafel,
            kind="koppeling_added",
            data={"id": koppeling.pk, "haal": haal.pk, "breng": breng.pk},
            actor=actor,
        )
    return koppeling


def koppeling_delete(*, tafel: Tafel, koppeling_id: int, actor: Actor = SYSTEM) -> None:
    with transaction.atomic():
        _lock(tafel)
        koppeling = _item(Koppeling, tafel, koppeling_id, actor)
        data = {"id": koppeling.pk, "haal": koppeling.haal_id, "breng": koppeling.breng_id}
        koppeling.delete()
        _record(tafel=tafel, kind="koppeling_deleted", data=data, actor=actor)


def _vervolgstap_fields(
    tafel: Tafel,
    title: str,
    eigenaar_id: int,
    partij_ids: list[int] | tuple[int, ...],
    datum: datetime.date | None,
) -> dict[str, Any]:
    title = _clean_text(title, field="title", max_length=300)
    opgave_partijen = set(
        Partij.objects.filter(opgave_id=tafel.sessie.opgave_id).values_list("pk", flat=True)
    )
    if eigenaar_id not in opgave_partijen:
        raise ValidationError({"eigenaar": _("Choose the owner among the partijen.")})
    partij_ids = sorted(set(partij_ids) - {eigenaar_id})
    if not set(partij_ids) <= opgave_partijen:
        raise ValidationError({"partijen": _("Unknown partij.")}, code="invalid")
    return {"title": title, "eigenaar_id": eigenaar_id, "partijen": partij_ids, "datum": datum}


def _vervolgstap_state(stap: Vervolgstap) -> dict[str, Any]:
    return {
        "title": stap.title,
        "eigenaar_id": stap.eigenaar_id,
        "partijen": sorted(p.pk for p in stap.partijen.all()),
        "datum": stap.datum.isoformat() if stap.datum else None,
    }


def vervolgstap_add(
    *,
    tafel: Tafel,
    title: str,
    eigenaar: Partij,
    partijen: list[Partij] | tuple[Partij, ...] = (),
    datum: datetime.date | None = None,
    actor: Actor = SYSTEM,
) -> Vervolgstap:
    fields = _vervolgstap_fields(tafel, title, eigenaar.pk, [p.pk for p in partijen], datum)
    with transaction.atomic():
        _lock(tafel)
        _check_room(tafel)
        last = tafel.vervolgstappen.aggregate(n=Max("position"))["n"]
        partij_ids = fields.pop("partijen")
        stap = Vervolgstap.objects.create(
            tafel=tafel,
            position=0 if last is None else last + 1,
            author=actor.deelnemer,
            **fields,
        )
        stap.partijen.set(partij_ids)
        _record(
            tafel=tafel, kind="vervolgstap_added", data={"id": stap.pk, "version": 1}, actor=actor
        )
    return stap


def vervolgstap_edit(
    *,
    tafel: Tafel,
    vervolgstap_id: int,
    expected_version: int | None,
    title: str,
    eigenaar_id: int,
    partij_ids: list[int] | tuple[int, ...] = (),
    datum: datetime.date | None = None,
    actor: Actor = SYSTEM,
) -> Vervolgstap:
    fields = _vervolgstap_fields(tafel, title, eigenaar_id, partij_ids, datum)
    with transaction.atomic():
        _lock(tafel)
        stap = _item(Vervolgstap, tafel, vervolgstap_id, actor)
        _check_version(stap, expected_version, {"text": stap.title})
        before = _vervolgstap_state(stap)
        after = {**fields, "datum": datum.isoformat() if datum else None}
        if before == after:
            return stap
        stap.title, stap.eigenaar_id, stap.datum = fields["title"], eigenaar_id, datum
        stap.version += 1
        stap.save(update_fields=["title", "eigenaar", "datum", "version"])
        stap.partijen.set(fields["partijen"])
        _record(
            tafel=tafel,
            kind="vervolgstap_edited",
            data={"id": stap.pk, "version": stap.version, "before": before},
            actor=actor,
        )
    return stap


def vervolgstap_delete(
    *,
    tafel: Tafel,
    vervolgstap_id: int,
    expected_version: int | None = None,
    actor: Actor = SYSTEM,
) -> None:
    with transaction.atomic():
        _lock(tafel)
        stap = _item(Vervolgstap, tafel, vervolgstap_id, actor)
        _check_version(stap, expected_version, {"text": stap.title})
        snapshot = {**_vervolgstap_state(stap), "position": stap.position, "version": stap.version}
        stap.delete()
        _record(
            tafel=tafel,
            kind="vervolgstap_deleted",
            data={"id": vervolgstap_id, "snapshot": snapshot},
            actor=actor,
        )


def kaart_opgave_text_set(
    *, tafel: Tafel, veld: str, tekst: str, expected_version: int, actor: Actor = SYSTEM
) -> OpgaveVersie:
    """Edit the opgave's formulering, ambitie or verbindende vraag from a kaart (a new version)."""
    with transaction.atomic():
        _lock(tafel)
        opgave = tafel.sessie.opgave
        previous = opgave.versies.filter(veld=veld).order_by("-nummer").first()
        versie = opgave_text_set(
            opgave=opgave,
            veld=veld,
            tekst=tekst,
            expected_version=expected_version,
            sessie=tafel.sessie,
            actor=actor,
        )
        _record(
            tafel=tafel,
            kind="opgave_text_set",
            data={
                "veld": veld,
                "nummer": versie.nummer,
                "before": previous.tekst if previous else "",
            },
            actor=actor,
        )
        sessie_id = tafel.sessie_id
        transaction.on_commit(lambda: broadcast.sessie_changed(sessie_id=sessie_id, kind="opgave"))
    return versie


def kaart_partij_add_missing(
    *, tafel: Tafel, name: str, toelichting: str = "", actor: Actor = SYSTEM
) -> Partij:
    """A participant notes a partij that is missing from the table (status ontbreekt)."""
    with transaction.atomic():
        _lock(tafel)
        partij = partij_add(
            opgave=tafel.sessie.opgave,
            name=name,
            status=Partij.Status.ONTBREEKT,
            toelichting=_clean_text(
                toelichting, field="toelichting", required=False, max_length=500
            ),
        )
        _record(tafel=tafel, kind="partij_added", data={"id": partij.pk}, actor=actor)
        sessie_id = tafel.sessie_id
        transaction.on_commit(
            lambda: broadcast.sessie_changed(sessie_id=sessie_id, kind="partijen")
        )
    return partij


# Undo ---------------------------------------------------------------------------------------


class NothingToUndo(ValidationError):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("There is nothing of yours to undo."), code="nothing_to_undo")


def _own_events(tafel: Tafel, actor: Actor):
    events = tafel.events.all()
    if actor.deelnemer is not None:
        return events.filter(actor_deelnemer=actor.deelnemer)
    if actor.user is not None:
        return events.filter(actor_user=actor.user, actor_deelnemer__isnull=True)
    return events.none()


def undo_last(*, tafel: Tafel, actor: Actor) -> KaartEvent:
    """Undo the actor's own last change on this kaart that is not undone yet.

    Refused when someone else changed the item since: undo never overwrites another's work.
    """
    with transaction.atomic():
        _lock(tafel)
        undone = {e.data.get("undoes") for e in tafel.events.filter(kind="undone").only("data")}
        event = next(
            (
                e
                for e in _own_events(tafel, actor).exclude(kind="undone").order_by("-seq")
                if e.seq not in undone
            ),
            None,
        )
        if event is None or event.kind not in _UNDO:
            raise NothingToUndo()
        if _touched_by_others_since(tafel, event, actor):
            raise NothingToUndo(_("Someone else changed this since; it cannot be undone."))
        regions = _UNDO[event.kind](tafel, event.data, actor)
        return _record(
            tafel=tafel,
            kind="undone",
            data={"undoes": event.seq, "kind": event.kind, "item": _item_key(event), **regions},
            actor=actor,
        )


def _item_key(event: KaartEvent) -> str:
    """Which item an event changed: 'bijdrage:12', 'opgave:ambitie', ..."""
    if event.kind == "undone":
        return event.data.get("item", "")
    family = event.kind.split("_", 1)[0]
    ident = event.data.get("veld") if family == "opgave" else event.data.get("id")
    return f"{family}:{ident}"


def _touched_by_others_since(tafel: Tafel, event: KaartEvent, actor: Actor) -> bool:
    key = _item_key(event)
    later = tafel.events.filter(seq__gt=event.seq).exclude(pk__in=_own_events(tafel, actor))
    return any(_item_key(other) == key for other in later)


def _undo_bijdrage_added(tafel: Tafel, data: dict, actor: Actor) -> dict:
    bijdrage = Bijdrage.objects.filter(tafel=tafel, pk=data["id"]).first()
    if bijdrage is None:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    bijdrage.delete()
    return {"partij": data["partij"]}


def _undo_bijdrage_edited(tafel: Tafel, data: dict, actor: Actor) -> dict:
    bijdrage = Bijdrage.objects.filter(tafel=tafel, pk=data["id"]).first()
    if bijdrage is None:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    for name, value in data["before"].items():
        setattr(bijdrage, name, value)
    bijdrage.version += 1
    bijdrage.save(update_fields=[*data["before"], "version", "updated_at"])
    return {"partij": data["partij"]}


def _undo_bijdrage_deleted(tafel: Tafel, data: dict, actor: Actor) -> dict:
    snapshot = data["snapshot"]
    if not Partij.objects.filter(pk=snapshot["partij"]).exists():
        raise NothingToUndo(_("The partij of this item no longer exists."))
    # The same id and version again, so the actor's earlier changes to it can be undone too.
    same_id = not Bijdrage.objects.filter(pk=data["id"]).exists()
    bijdrage = Bijdrage.objects.create(
        pk=data["id"] if same_id else None,
        version=snapshot.get("version", 1),
        tafel=tafel,
        partij_id=snapshot["partij"],
        soort=snapshot["soort"],
        tekst=snapshot["tekst"],
        gewicht=snapshot["gewicht"],
        breng_soort=snapshot["breng_soort"],
        toezegging=snapshot["toezegging"],
        vertrouwelijk=snapshot["vertrouwelijk"],
        position=snapshot["position"],
        author_id=snapshot["author"]
        if Deelnemer.objects.filter(pk=snapshot["author"]).exists()
        else None,
    )
    existing = set(tafel.bijdragen.values_list("pk", flat=True))
    for haal_id, breng_id in data["koppelingen"]:
        haal_id = bijdrage.pk if haal_id == data["id"] else haal_id
        breng_id = bijdrage.pk if breng_id == data["id"] else breng_id
        if haal_id in existing and breng_id in existing:
            Koppeling.objects.get_or_create(tafel=tafel, haal_id=haal_id, breng_id=breng_id)
    return {"partij": snapshot["partij"], "id": bijdrage.pk}


def _undo_bijdrage_moved(tafel: Tafel, data: dict, actor: Actor) -> dict:
    bijdrage = Bijdrage.objects.filter(tafel=tafel, pk=data["id"]).first()
    if bijdrage is None:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    _swap_with_neighbour(tafel, bijdrage, "down" if data["direction"] == "up" else "up", actor)
    return {"partij": data["partij"]}


def _undo_perspectief_set(tafel: Tafel, data: dict, actor: Actor) -> dict:
    perspectief = Perspectief.objects.filter(tafel=tafel, pk=data["id"]).first()
    if perspectief is None:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    if data["before"] is None:
        perspectief.delete()
    else:
        perspectief.tekst = data["before"]["tekst"]
        perspectief.urgentie = data["before"]["urgentie"]
        perspectief.vertrouwelijk = data["before"].get("vertrouwelijk", perspectief.vertrouwelijk)
        perspectief.version += 1
        perspectief.save(
            update_fields=["tekst", "urgentie", "vertrouwelijk", "version", "updated_at"]
        )
    return {"partij": data["partij"]}


def _undo_koppeling_added(tafel: Tafel, data: dict, actor: Actor) -> dict:
    deleted, _details = Koppeling.objects.filter(tafel=tafel, pk=data["id"]).delete()
    if not deleted:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    return {}


def _undo_koppeling_deleted(tafel: Tafel, data: dict, actor: Actor) -> dict:
    if tafel.bijdragen.filter(pk__in=[data["haal"], data["breng"]]).count() != 2:
        raise NothingToUndo(_("One of the linked items was deleted in the meantime."))
    Koppeling.objects.get_or_create(tafel=tafel, haal_id=data["haal"], breng_id=data["breng"])
    return {}


def _undo_vervolgstap_added(tafel: Tafel, data: dict, actor: Actor) -> dict:
    stap = Vervolgstap.objects.filter(tafel=tafel, pk=data["id"]).first()
    if stap is None:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    stap.delete()
    return {}


def _restore_vervolgstap(stap: Vervolgstap, state: dict) -> None:
    stap.title = state["title"]
    stap.eigenaar_id = state["eigenaar_id"]
    stap.datum = datetime.date.fromisoformat(state["datum"]) if state["datum"] else None


def _undo_vervolgstap_edited(tafel: Tafel, data: dict, actor: Actor) -> dict:
    stap = Vervolgstap.objects.filter(tafel=tafel, pk=data["id"]).first()
    if stap is None:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    _restore_vervolgstap(stap, data["before"])
    stap.version += 1
    stap.save(update_fields=["title", "eigenaar", "datum", "version"])
    stap.partijen.set(data["before"]["partijen"])
    return {}


def _undo_vervolgstap_deleted(tafel: Tafel, data: dict, actor: Actor) -> dict:
    snapshot = data["snapshot"]
    same_id = not Vervolgstap.objects.filter(pk=data["id"]).exists()
    stap = Vervolgstap(
        pk=data["id"] if same_id else None,
        tafel=tafel,
        position=snapshot["position"],
        version=snapshot.get("version", 1),
    )
    _restore_vervolgstap(stap, snapshot)
    stap.save()
    stap.partijen.set(snapshot["partijen"])
    return {}


def _undo_opgave_text_set(tafel: Tafel, data: dict, actor: Actor) -> dict:
    opgave = tafel.sessie.opgave
    latest = opgave.versies.filter(veld=data["veld"]).aggregate(n=Max("nummer"))["n"]
    if latest != data["nummer"]:
        raise NothingToUndo(_("Someone else changed this since; it cannot be undone."))
    OpgaveVersie.objects.create(
        opgave=opgave,
        veld=data["veld"],
        nummer=latest + 1,
        tekst=data["before"],
        sessie=tafel.sessie,
        author_name=actor.name,
        author_user=actor.user,
        author_deelnemer=actor.deelnemer,
    )
    sessie_id = tafel.sessie_id
    transaction.on_commit(lambda: broadcast.sessie_changed(sessie_id=sessie_id, kind="opgave"))
    return {"veld": data["veld"]}


def _undo_partij_added(tafel: Tafel, data: dict, actor: Actor) -> dict:
    partij = Partij.objects.filter(pk=data["id"], opgave_id=tafel.sessie.opgave_id).first()
    if partij is None:
        raise NothingToUndo(_("This item was deleted in the meantime."))
    if (
        partij.deelnemers.exists()
        or partij.bijdragen.exists()
        or partij.vervolgstappen_eigenaar.exists()
        or partij.vervolgstappen.exists()
    ):
        raise NothingToUndo(_("This partij is in use now; it cannot be undone."))
    partij.delete()
    sessie_id = tafel.sessie_id
    transaction.on_commit(lambda: broadcast.sessie_changed(sessie_id=sessie_id, kind="partijen"))
    return {}


_UNDO = {
    "bijdrage_added": _undo_bijdrage_added,
    "bijdrage_edited": _undo_bijdrage_edited,
    "bijdrage_deleted": _undo_bijdrage_deleted,
    "bijdrage_moved": _undo_bijdrage_moved,
    "perspectief_set": _undo_perspectief_set,
    "koppeling_added": _undo_koppeling_added,
    "koppeling_deleted": _undo_koppeling_deleted,
    "vervolgstap_added": _undo_vervolgstap_added,
    "vervolgstap_edited": _undo_vervolgstap_edited,
    "vervolgstap_deleted": _undo_vervolgstap_deleted,
    "opgave_text_set": _undo_opgave_text_set,
    "partij_added": _undo_partij_added,
}


# Presence ---------------------------------------------------------------------------------


def presence_join(*, tafel: Tafel, channel_name: str, actor: Actor, role: str) -> Presence:
    now = timezone.now()
    # Rows of connections that died without saying goodbye (a killed process) expire here.
    Presence.objects.filter(last_seen__lt=now - PRESENCE_TTL * 5).delete()
    presence, _created = Presence.objects.update_or_create(
        channel_name=channel_name,
        defaults={
            "tafel": tafel,
            "name": actor.name,
            "partij_name": actor.deelnemer.partij.name if actor.deelnemer else "",
            "role": role,
            "last_seen": now,
        },
    )
    _presence_changed(tafel.sessie_id, tafel.pk)
    return presence


def presence_touch(*, channel_name: str, editing: str | None = None) -> None:
    """The heartbeat of a connection, and what its user is editing now ('' for nothing)."""
    fields: dict[str, Any] = {"last_seen": timezone.now()}
    if editing is not None:
        fields["editing"] = editing[:100]
    presence = Presence.objects.select_related("tafel").filter(channel_name=channel_name).first()
    if presence is None:
        return
    changed = editing is not None and presence.editing != fields["editing"]
    Presence.objects.filter(pk=presence.pk).update(**fields)
    if changed:
        _presence_changed(presence.tafel.sessie_id, presence.tafel_id)


def presence_poll(*, tafel: Tafel, key: str, actor: Actor, role: str) -> None:
    """Someone on the HTTP fallback (websockets blocked) polled the kaart: they are present.
    The first poll, or the first after they were away for PRESENCE_TTL, tells the tafel;
    the others only keep them present. They leave the list PRESENCE_TTL after their last
    poll, at the tafel's next presence update."""
    channel_name = f"http.{key}.{tafel.pk}"
    now = timezone.now()
    kept = Presence.objects.filter(
        channel_name=channel_name, tafel=tafel, last_seen__gte=now - PRESENCE_TTL
    ).update(last_seen=now)
    if not kept:
        presence_join(tafel=tafel, channel_name=channel_name, actor=actor, role=role)


def presence_leave(*, channel_name: str) -> None:
    presence = Presence.objects.select_related("tafel").filter(channel_name=channel_name).first()
    if presence is not None:
        presence.delete()
        _presence_changed(presence.tafel.sessie_id, presence.tafel_id)


def _presence_changed(sessie_id: int, tafel_id: int) -> None:
    transaction.on_commit(
        lambda: broadcast.presence_changed(sessie_id=sessie_id, tafel_id=tafel_id)
    )


# Facilitation: opgave, partijen and sessies ------------------------------------------------


def opgave_update(*, opgave: Opgave, title: str) -> Opgave:
    opgave.title = _clean_text(title, field="title", max_length=200)
    opgave.save(update_fields=["title"])
    return opgave


def partij_update(
    *, partij: Partij, name: str, wereld: str, status: str, toelichting: str = ""
) -> Partij:
    name = _clean_text(name, field="name", max_length=200)
    if wereld not in Partij.Wereld.values:
        raise ValidationError({"wereld": _("Unknown world.")}, code="invalid")
    if status not in Partij.Status.values:
        raise ValidationError({"status": _("Unknown status.")}, code="invalid")
    if partij.opgave.partijen.filter(name__iexact=name).exclude(pk=partij.pk).exists():
        raise ValidationError(
            {"name": _("This opgave already has a partij with this name.")}, code="unique"
        )
    partij.name, partij.wereld, partij.status = name, wereld, status
    partij.toelichting = _clean_text(
        toelichting, field="toelichting", required=False, max_length=500
    )
    partij.save(update_fields=["name", "wereld", "status", "toelichting"])
    for sessie_id in partij.opgave.sessies.values_list("pk", flat=True):
        transaction.on_commit(
            lambda sessie_id=sessie_id: broadcast.sessie_changed(
                sessie_id=sessie_id, kind="partijen"
            )
        )
    return partij


def sessie_update(
    *,
    sessie: Sessie,
    title: str,
    starts_at: datetime.datetime | None = None,
    timer_seconds: int | None = None,
) -> Sessie:
    sessie.title = _clean_text(title, field="title", max_length=200)
    sessie.starts_at = starts_at
    if timer_seconds is not None:
        if not 10 <= timer_seconds <= 4 * 3600:
            raise ValidationError(
                {"timer_seconds": _("The timer runs between 10 seconds and 4 hours.")}
            )
        sessie.timer_seconds = timer_seconds
    sessie.save(update_fields=["title", "starts_at", "timer_seconds"])
    _sessie_changed(sessie, "sessie")
    return sessie


def sessie_duplicate(*, sessie: Sessie, actor: Actor = SYSTEM) -> Sessie:
    """A new, planned sessie of the same opgave with as many (empty) tafels; a new join link."""
    tafels = sessie.tafels.filter(plenair=False).count()
    copy = sessie_create(
        opgave=sessie.opgave,
        title=_("%(title)s (copy)") % {"title": sessie.title},
        tafels=max(tafels, 1),
        actor=actor,
    )
    copy.timer_seconds = sessie.timer_seconds
    copy.save(update_fields=["timer_seconds"])
    return copy


def _sessie_changed(sessie: Sessie, kind: str) -> None:
    sessie_id = sessie.pk
    transaction.on_commit(lambda: broadcast.sessie_changed(sessie_id=sessie_id, kind=kind))


def sessie_set_state(*, sessie: Sessie, state: str) -> Sessie:
    """Open or close a sessie; a closed sessie is read-only for everyone, still exportable."""
    if state not in Sessie.State.values:
        raise ValidationError({"state": _("Unknown state.")}, code="invalid")
    sessie.state = state
    sessie.save(update_fields=["state"])
    _sessie_changed(sessie, "state")
    return sessie


def sessie_set_locked(*, sessie: Sessie, locked: bool) -> Sessie:
    """Lock: the kaarten become read-only for participants (not for the facilitators)."""
    sessie.locked = locked
    sessie.save(update_fields=["locked"])
    _sessie_changed(sessie, "state")
    return sessie


def timer_start(*, sessie: Sessie) -> Sessie:
    """Start (or resume) the step timer; its end time is kept on the server."""
    if sessie.timer_ends_at is not None:
        return sessie
    seconds = sessie.timer_remaining if sessie.timer_remaining else sessie.timer_seconds
    sessie.timer_ends_at = timezone.now() + datetime.timedelta(seconds=seconds)
    sessie.timer_remaining = None
    sessie.save(update_fields=["timer_ends_at", "timer_remaining"])
    _sessie_changed(sessie, "timer")
    return sessie


def timer_pause(*, sessie: Sessie) -> Sessie:
    if sessie.timer_ends_at is None:
        return sessie
    left = (sessie.timer_ends_at - timezone.now()).total_seconds()
    sessie.timer_remaining = max(0, round(left))
    sessie.timer_ends_at = None
    sessie.save(update_fields=["timer_ends_at", "timer_remaining"])
    _sessie_changed(sessie, "timer")
    return sessie


def timer_reset(*, sessie: Sessie, seconds: int | None = None) -> Sessie:
    if seconds is not None:
        if not 10 <= seconds <= 4 * 3600:
            raise ValidationError(_("The timer runs between 10 seconds and 4 hours."))
        sessie.timer_seconds = seconds
    sessie.timer_ends_at = None
    sessie.timer_remaining = None
    sessie.save(update_fields=["timer_ends_at", "timer_remaining", "timer_seconds"])
    _sessie_changed(sessie, "timer")
    return sessie


def deelnemer_revoke(*, deelnemer: Deelnemer) -> Deelnemer:
    """Take a participant's access away; their open sockets close at once."""
    deelnemer.revoked = True
    deelnemer.save(update_fields=["revoked"])
    _sessie_changed(deelnemer.sessie, "access_revoked")
    return deelnemer


def deelnemer_move(*, deelnemer: Deelnemer, tafel: Tafel | None) -> Deelnemer:
    """Seat a participant at another tafel (or none); their screen follows."""
    if tafel is not None and (tafel.sessie_id != deelnemer.sessie_id or tafel.plenair):
        raise ValidationError(_("Choose a tafel of this sessie."))
    deelnemer.tafel = tafel
    deelnemer.save(update_fields=["tafel"])
    _sessie_changed(deelnemer.sessie, "tafels")
    return deelnemer


def tafel_remove(*, tafel: Tafel) -> None:
    """Remove a tafel nobody sits at; its kaart goes with it."""
    if tafel.deelnemers.filter(revoked=False).exists():
        raise ValidationError(_("Move the participants of this tafel first."))
    sessie = tafel.sessie
    tafel.delete()
    _sessie_changed(sessie, "tafels")


def tafels_form(*, sessie: Sessie) -> list[Tafel]:
    """Form tafels of 3 to 5 that mix the partijen, and seat every participant.

    Tafels that exist are used first (in their order); missing ones are added; tafels left
    without anyone stay, empty, so no kaart is lost.
    """
    from sessions.tafelindeling import form_groups

    with transaction.atomic():
        Sessie.objects.select_for_update().filter(pk=sessie.pk).first()
        deelnemers = list(sessie.deelnemers.filter(revoked=False).order_by("joined_at", "pk"))
        groups = form_groups([(d.pk, d.partij_id) for d in deelnemers])
        tafels = list(sessie.tafels.filter(plenair=False).order_by("nummer"))
        while len(tafels) < len(groups):
            tafels.append(tafel_add(sessie=sessie))
        seat = {pk: tafels[i] for i, group in enumerate(groups) for pk in group}
        for deelnemer in deelnemers:
            if deelnemer.tafel_id != seat[deelnemer.pk].pk:
                deelnemer.tafel = seat[deelnemer.pk]
                deelnemer.save(update_fields=["tafel"])
        _sessie_changed(sessie, "tafels")
    return tafels[: len(groups)]


def perspectieven_reveal_all(*, sessie: Sessie, actor: Actor = SYSTEM) -> int:
    return sum(perspectieven_reveal(tafel=tafel, actor=actor) for tafel in sessie.tafels.all())


def plenair_tafel(*, sessie: Sessie) -> Tafel:
    """The sessie's plenary kaart, where the facilitator gathers what the tafels found."""
    with transaction.atomic():
        Sessie.objects.select_for_update().filter(pk=sessie.pk).first()
        tafel = sessie.tafels.filter(plenair=True).first()
        if tafel is None:
            last = sessie.tafels.aggregate(n=Max("nummer"))["n"] or 0
            tafel = Tafel.objects.create(sessie=sessie, nummer=last + 1, plenair=True)
        return tafel


def plenair_carry(*, sessie: Sessie, kind: str, item_id: int, actor: Actor = SYSTEM) -> Any:
    """Copy a bijdrage or vervolgstap of one of the sessie's tafels onto the plenary kaart."""
    # The item is found before the plenary kaart is made: a refused carry leaves nothing.
    mine = {"pk": item_id, "tafel__sessie": sessie, "tafel__plenair": False}
    if kind == "bijdrage":
        item = Bijdrage.objects.filter(**mine).first()
        if item is None:
            raise ValidationError(_("This item is not on a tafel of this sessie."))
        plenair = plenair_tafel(sessie=sessie)
        existing = plenair.bijdragen.filter(
            partij_id=item.partij_id, soort=item.soort, tekst=item.tekst
        ).first()
        return existing or bijdrage_add(
            tafel=plenair,
            partij=item.partij,
            soort=item.soort,
            tekst=item.tekst,
            gewicht=item.gewicht,
            breng_soort=item.breng_soort,
            toezegging=item.toezegging,
            vertrouwelijk=item.vertrouwelijk,
            actor=actor,
        )
    if kind == "vervolgstap":
        item = Vervolgstap.objects.filter(**mine).first()
        if item is None:
            raise ValidationError(_("This item is not on a tafel of this sessie."))
        plenair = plenair_tafel(sessie=sessie)
        existing = plenair.vervolgstappen.filter(title=item.title).first()
        return existing or vervolgstap_add(
            tafel=plenair,
            title=item.title,
            eigenaar=item.eigenaar,
            partijen=list(item.partijen.all()),
            datum=item.datum,
            actor=actor,
        )
    raise ValidationError(_("Only bijdragen and vervolgstappen can be carried."))
