"""The actions on a kaart, shared by the websocket consumer and the HTTP fallback.

A message is checked (well-formed, storable text, this tafel, may edit, not applied before),
then its action's form (sessions/kaart_forms.py) validates it and applies it through one
service. The outcome says what to tell the sender; what to tell everyone is the service's
broadcast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _

from sessions import services
from sessions.access import Access
from sessions.kaart_forms import ACTIONS
from sessions.models import Tafel

MAX_FIELDS = 40


class BadMessage(Exception):
    """A message that is not a well-formed action: answered with an error, never applied."""


@dataclass
class Outcome:
    ok: bool
    message: str = ""
    conflict: dict[str, Any] | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    nonce: str = ""  # the message's own id, returned in the answer


def check_text(data: QueryDict) -> None:
    """Refuse a message with invalid text in any field name or value."""
    for key, values in data.lists():
        if not services.is_valid_text(key) or not all(map(services.is_valid_text, values)):
            raise BadMessage(_("This message contains invalid text."))


def to_querydict(payload: Any) -> QueryDict:
    """A websocket message (JSON object of scalars and lists of scalars) as form data."""
    if not isinstance(payload, dict):
        raise BadMessage(_("A message must be a JSON object."))
    if len(payload) > MAX_FIELDS:
        raise BadMessage(_("Too many fields in one message."))
    data = QueryDict(mutable=True)
    for key, value in payload.items():
        if key == "HEADERS":
            continue
        if not services.is_valid_text(key):  # the values are checked by perform()
            raise BadMessage(_("This message contains invalid text."))
        values = value if isinstance(value, list) else [value]
        if len(values) > MAX_FIELDS:
            raise BadMessage(_("Too many values in one field."))
        for item in values:
            if (
                isinstance(item, bool)
                or not isinstance(item, str | int | float)
                and item is not None
            ):
                raise BadMessage(
                    _("Field %(field)s has a value of the wrong type.") % {"field": key}
                )
            data.appendlist(key, "" if item is None else str(item))
    return data


def form_id_of(payload: dict[str, Any]) -> str:
    """The id of the form a message came from (htmx sends it as the HX-Trigger header)."""
    headers = payload.get("HEADERS") if isinstance(payload, dict) else None
    trigger = headers.get("HX-Trigger") if isinstance(headers, dict) else None
    if isinstance(trigger, str) and trigger.isascii() and len(trigger) <= 100:
        return trigger
    return ""


NONCE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def nonce_of(data: Any) -> str:
    """The sender's id of a message (kaart.js sends one with every change), if well-formed."""
    value = data.get("nonce") if hasattr(data, "get") else None
    return value if isinstance(value, str) and NONCE.fullmatch(value) else ""


def perform(data: QueryDict, *, tafel: Tafel, access: Access, actor: services.Actor) -> Outcome:
    """Apply one action to the kaart of `tafel`, as `actor` with `access`. A message whose
    nonce is in the log already was applied before (this is a resend): it is answered as
    accepted and not applied again."""
    check_text(data)  # before a form sees it: a form's error may quote a value
    nonce = nonce_of(data)
    outcome = _perform(data, tafel=tafel, access=access, actor=replace(actor, nonce=nonce))
    outcome.nonce = nonce
    return outcome


def _perform(data: QueryDict, *, tafel: Tafel, access: Access, actor: services.Actor) -> Outcome:
    form_class = ACTIONS.get(data.get("action", ""))
    if form_class is None:
        raise BadMessage(_("Unknown action."))
    tafel_field = data.get("tafel")
    if tafel_field is not None and tafel_field != str(tafel.pk):
        raise BadMessage(_("This message is for another tafel."))
    if not access.can_edit:
        return Outcome(ok=False, message=_("This kaart is read-only for you now."))
    outcome = _apply_form(form_class(data), tafel=tafel, access=access, actor=actor)
    if not outcome.ok and services.change_applied(tafel=tafel, nonce=actor.nonce):
        # A resend of a change that was applied (its answer was lost): refused now only
        # because it was applied (the item moved on, or is gone). Asked only on a refusal.
        return Outcome(ok=True)
    return outcome


def _apply_form(form: forms.Form, *, tafel: Tafel, access: Access, actor: services.Actor):
    if not form.is_valid():
        return Outcome(
            ok=False,
            message=" ".join(_field_errors(form)),
            errors={k: [str(e) for e in v] for k, v in form.errors.items()},
        )
    try:
        form.apply(tafel=tafel, access=access, actor=actor)
    except services.AlreadyApplied:
        return Outcome(ok=True)
    except services.StaleEdit as stale:
        return Outcome(
            ok=False,
            message=stale.messages[0],
            conflict={"version": stale.current_version, "text": "", **stale.current},
        )
    except ValidationError as error:
        return Outcome(ok=False, message=" ".join(error.messages))
    return Outcome(ok=True)


def _field_errors(form: forms.Form) -> list[str]:
    messages = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.append(f"{label}: {error}" if label else str(error))
    return messages
