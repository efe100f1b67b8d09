"""Who is at a tafel now, and what they edit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from sessions import broadcast
from sessions.models import (
    Presence,
    Tafel,
)
from sessions.selectors import PRESENCE_TTL
from sessions.services.common import Actor


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


def presence_seen(*, channel_names: Iterable[str]) -> None:
    """The heartbeats of these connections came: they are still here."""
    Presence.objects.filter(channel_name__in=list(channel_names)).update(last_seen=timezone.now())


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
