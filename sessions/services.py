"""Every write of Halen/Brengen: validate, save in a transaction, log, broadcast on commit.

Views and consumers call these functions and nothing else to change data.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils.translation import gettext as _

from sessions import broadcast
from sessions.models import (
    Bijdrage,
    Deelnemer,
    KaartEvent,
    Koppeling,
    Opgave,
    OpgaveVersie,
    Partij,
    Perspectief,
    Sessie,
    Tafel,
    Team,
    Vervolgstap,
    new_join_token,
)


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a team member (user) or a participant (deelnemer)."""

    user: Any = None
    deelnemer: Deelnemer | None = None

    @property
    def name(self) -> str:
        if self.deelnemer is not None:
            return self.deelnemer.name
        if self.user is not None:
            return self.user.get_full_name() or self.user.get_username()
        return ""


SYSTEM = Actor()


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
        latest = opgave.versies.filter(veld=veld).aggregate(n=Max("nummer"))["n"] or 0
        if expected_version is not None and expected_version != latest:
            raise StaleEdit(current_version=latest)
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
    """An edit made against an older version of an item."""

    def __init__(self, *, current_version: int) -> None:
        super().__init__(
            _(
                "Someone else changed this in the meantime. "
                "Their version is shown; your text is kept."
            ),
            code="stale",
        )
        self.current_version = current_version


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
    sessie.save(update_fields=["stap"])
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
        return Deelnemer.objects.create(
            sessie=sessie,
            tafel=tafel,
            partij=partij,
            name=name,
            link_generation=sessie.link_generation,
        )


# The kaart: every change is an event with the next sequence number ------------------------


def _record(*, tafel: Tafel, kind: str, data: dict[str, Any], actor: Actor) -> KaartEvent:
    """Append an event to the tafel's log (inside the caller's transaction) and ring the bell
    once the transaction commits."""
    Tafel.objects.select_for_update().filter(pk=tafel.pk).first()
    seq = (tafel.events.aggregate(n=Max("seq"))["n"] or 0) + 1
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
        lambda: broadcast.kaart_changed(tafel_id=tafel.pk, seq=seq, kind=kind, data=data)
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
    with transaction.atomic():
        _check_room(tafel)
        last = tafel.bijdragen.filter(partij=partij, soort=soort).aggregate(n=Max("position"))["n"]
        bijdrage = Bijdrage.objects.create(
            tafel=tafel,
            partij=partij,
            soort=soort,
            tekst=tekst,
            gewicht=gewicht,
            breng_soort=breng_soort,
            toezegging=toezegging,
            vertrouwelijk=vertrouwelijk,
            position=0 if last is None else last + 1,
            author=actor.deelnemer,
        )
        _record(tafel=tafel, kind="bijdrage_added", data={"id": bijdrage.pk}, actor=actor)
    return bijdrage


def perspectief_set(
    *,
    tafel: Tafel,
    partij: Partij,
    tekst: str,
    urgentie: int | None,
    expected_version: int | None = None,
    actor: Actor = SYSTEM,
) -> Perspectief:
    """Write a partij's perspectief on this kaart; it stays private until revealed."""
    _check_partij(tafel, partij)
    tekst = _clean_text(tekst, field="tekst", required=False)
    if urgentie is not None and urgentie not in range(1, 6):
        raise ValidationError({"urgentie": _("Urgency is 1 to 5.")}, code="invalid")
    with transaction.atomic():
        perspectief = (
            Perspectief.objects.select_for_update().filter(tafel=tafel, partij=partij).first()
        )
        if perspectief is None:
            if expected_version not in (None, 0):
                raise StaleEdit(current_version=0)
            perspectief = Perspectief.objects.create(
                tafel=tafel, partij=partij, tekst=tekst, urgentie=urgentie, author=actor.deelnemer
            )
        else:
            if expected_version is not None and expected_version != perspectief.version:
                raise StaleEdit(current_version=perspectief.version)
            perspectief.tekst = tekst
            perspectief.urgentie = urgentie
            perspectief.version += 1
            perspectief.author = actor.deelnemer
            perspectief.save(update_fields=["tekst", "urgentie", "version", "author", "updated_at"])
        _record(tafel=tafel, kind="perspectief_set", data={"id": perspectief.pk}, actor=actor)
    return perspectief


def perspectieven_reveal(*, tafel: Tafel, actor: Actor = SYSTEM) -> int:
    """Reveal the private perspectieven of a tafel to everyone at it; returns how many."""
    with transaction.atomic():
        revealed = tafel.perspectieven.filter(revealed=False).update(revealed=True)
        if revealed:
            _record(tafel=tafel, kind="perspectieven_revealed", data={}, actor=actor)
    return revealed


def koppeling_add(
    *, tafel: Tafel, haal: Bijdrage, breng: Bijdrage, actor: Actor = SYSTEM
) -> Koppeling:
    """Link a haal of one partij to a breng of another partij on the same kaart."""
    if haal.tafel_id != tafel.pk or breng.tafel_id != tafel.pk:
        raise ValidationError(_("Both items must be on this kaart."), code="invalid")
    if haal.soort != Bijdrage.Soort.HAAL or breng.soort != Bijdrage.Soort.BRENG:
        raise ValidationError(_("A koppeling links a haal to a breng."), code="invalid")
    if haal.partij_id == breng.partij_id:
        raise ValidationError(_("A koppeling links two different partijen."), code="same_partij")
    with transaction.atomic():
        _check_room(tafel)
        if Koppeling.objects.filter(haal=haal, breng=breng).exists():
            raise ValidationError(_("These two are linked already."), code="unique")
        koppeling = Koppeling.objects.create(
            tafel=tafel, haal=haal, breng=breng, author=actor.deelnemer
        )
        _record(tafel=tafel, kind="koppeling_added", data={"id": koppeling.pk}, actor=actor)
    return koppeling


def vervolgstap_add(
    *,
    tafel: Tafel,
    title: str,
    eigenaar: Partij,
    partijen: list[Partij] | tuple[Partij, ...] = (),
    datum: datetime.date | None = None,
    actor: Actor = SYSTEM,
) -> Vervolgstap:
    title = _clean_text(title, field="title", max_length=300)
    for partij in (eigenaar, *partijen):
        _check_partij(tafel, partij)
    with transaction.atomic():
        _check_room(tafel)
        last = tafel.vervolgstappen.aggregate(n=Max("position"))["n"]
        stap = Vervolgstap.objects.create(
            tafel=tafel,
            title=title,
            eigenaar=eigenaar,
            datum=datum,
            position=0 if last is None else last + 1,
            author=actor.deelnemer,
        )
        stap.partijen.set(partijen)
        _record(tafel=tafel, kind="vervolgstap_added", data={"id": stap.pk}, actor=actor)
    return stap
