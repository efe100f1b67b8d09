"""The opgave, its versioned texts, its partijen, and the kernboodschap of the bestuurlijke
samenvatting."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sessions.models import (
    Kernboodschap,
    Opgave,
    OpgaveVersie,
    Partij,
    Sessie,
    Team,
)
from sessions.services.common import SYSTEM, Actor, StaleEdit, _clean_text, sessie_changed


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


def _latest(versions, expected_version: int | None):
    """The newest of `versions` (None: none yet); refused when the editor saw another."""
    previous = versions.order_by("-nummer").first()
    latest = previous.nummer if previous else 0
    if expected_version is not None and expected_version != latest:
        raise StaleEdit(
            current_version=latest, current={"text": previous.tekst if previous else ""}
        )
    return previous


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
        previous = _latest(opgave.versies.filter(veld=veld), expected_version)
        latest = previous.nummer if previous else 0
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


def kernboodschap_set(
    *,
    opgave: Opgave,
    tekst: str,
    sessie: Sessie | None = None,
    expected_version: int | None = None,
    actor: Actor = SYSTEM,
) -> Kernboodschap:
    """Write a new version of the kernboodschap of the opgave (no sessie) or of one of its
    sessies; refuse an edit of an older version, as the opgave's texts do."""
    if sessie is not None and sessie.opgave_id != opgave.pk:
        raise ValidationError({"sessie": _("This sessie belongs to another opgave.")})
    tekst = _clean_text(tekst, field="tekst", required=False)
    with transaction.atomic():
        Opgave.objects.select_for_update().filter(pk=opgave.pk).first()
        previous = _latest(
            Kernboodschap.objects.filter(opgave=opgave, sessie=sessie), expected_version
        )
        latest = previous.nummer if previous else 0
        if previous is not None and previous.tekst == tekst:
            return previous  # nothing changed: no new version
        return Kernboodschap.objects.create(
            opgave=opgave,
            sessie=sessie,
            nummer=latest + 1,
            tekst=tekst,
            author_name=actor.name,
            author_user=actor.user,
        )


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
        sessie_changed(sessie_id, "partijen")
    return partij
