"""The most frequent change of a live kaart, a bijdrage added by a participant, in one round
trip: on PostgreSQL one call of `hb_bijdrage_add` (migration 0009) instead of the form, the
service and their ten statements (bench/README.md, "Sixth round"), awaited in the socket's
event loop instead of on a database thread (sessions.asyncdb; "Tenth round").

It is a shortcut, not a second rule. It takes only a message the form would take as it is
(`bijdrage_fields`), only for a participant whose socket keeps their access
(KaartConsumer._access_kept), and the function writes only when everything the ordinary path
checks holds, in the same order under the same lock. Any other message, person or answer goes
the ordinary way (sessions.actions), which gives it its exact refusal; the two ways write the
same rows, the same event and ring the same bell (tests/services/test_at_once.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone
from psycopg.types.json import Jsonb

from sessions import actions, asyncdb, broadcast
from sessions.kinds import Change
from sessions.models import GEWICHTEN, Bijdrage, Deelnemer, Tafel
from sessions.services.changes import _secret, ring
from sessions.services.common import Actor, is_valid_text

# What a bijdrage_add message of kaart.js holds; one with anything else goes the ordinary way.
KEYS = frozenset(
    {
        "action",
        "tafel",
        "partij",
        "soort",
        "tekst",
        "gewicht",
        "breng_soort",
        "toezegging",
        "vertrouwelijk",
        "nonce",
        "HEADERS",
    }
)
# As gewicht_field takes it: a weight's digits, or empty for the lightest.
GEWICHT = {"": GEWICHTEN[0], **{str(weight): weight for weight in GEWICHTEN}}
BRENG_SOORTEN = frozenset(["", *Bijdrage.BrengSoort.values])
TOEZEGGINGEN = frozenset(["", *Bijdrage.Toezegging.values])
VERTROUWELIJK = {"": False, "false": False, "on": True, "true": True}  # a checkbox's values

CALL = "SELECT status, bijdrage_id, seq, place FROM hb_bijdrage_add(" + ", ".join(["%s"] * 14) + ")"


def available() -> bool:
    """Whether this database has the function (PostgreSQL; the others take the ordinary way)."""
    # From the settings, not django.db.connection: in the event loop that is a wrapper per
    # socket (per asyncio context), each kept as long as its socket.
    return settings.DATABASES[DEFAULT_DB_ALIAS]["ENGINE"] == "django.db.backends.postgresql"


def bijdrage_fields(payload: dict[str, Any], tafel_id: int) -> dict[str, Any] | None:
    """A bijdrage_add message as BijdrageAddForm and services.bijdrage_add would clean it, or
    None when it is anything but plainly well-formed: then the form says what is wrong."""
    if payload.get("action") != "bijdrage_add" or not KEYS.issuperset(payload):
        return None
    values = {key: value for key, value in payload.items() if key != "HEADERS"}
    if not all(isinstance(value, str) and is_valid_text(value) for value in values.values()):
        return None
    if values.get("tafel", str(tafel_id)) != str(tafel_id):
        return None
    partij = values.get("partij", "")
    soort = values.get("soort", "")
    tekst = values.get("tekst", "").strip()
    breng_soort = values.get("breng_soort", "")
    toezegging = values.get("toezegging", "")
    if not (partij.isascii() and partij.isdigit() and len(partij) <= 18):
        return None
    if soort not in Bijdrage.Soort.values:
        return None
    if not tekst or len(tekst) > settings.HB_MAX_TEXT_LENGTH:
        return None
    if breng_soort not in BRENG_SOORTEN:
        return None
    if toezegging not in TOEZEGGINGEN:
        return None
    gewicht = GEWICHT.get(values.get("gewicht", ""))
    vertrouwelijk = VERTROUWELIJK.get(values.get("vertrouwelijk", "").lower())
    if gewicht is None or vertrouwelijk is None:
        return None
    if soort == Bijdrage.Soort.BRENG:
        breng_soort = breng_soort or Bijdrage.BrengSoort.ANDERS
        toezegging = toezegging or Bijdrage.Toezegging.MOGELIJK
    else:
        breng_soort = toezegging = ""
    return {
        "partij_id": int(partij),
        "soort": soort,
        "tekst": tekst,
        "gewicht": gewicht,
        "breng_soort": breng_soort,
        "toezegging": toezegging,
        "vertrouwelijk": vertrouwelijk,
        "nonce": actions.nonce_of(values),
    }


async def bijdrage_add(
    *, tafel: Tafel, deelnemer: Deelnemer, stamp: tuple, fields: dict[str, Any]
) -> list | None:
    """Add the bijdrage in one call, as `deelnemer` whose access was `stamp`
    (access.participant_stamp), awaited in the event loop on a connection of its own
    (sessions.asyncdb): the bells it rang, with the HTML rendered from the row just written,
    held for the loop to send (broadcast.send_held). None when it wrote nothing: the ordinary
    way takes it."""
    now = timezone.now()
    answer = await asyncdb.fetchone(CALL, _params(tafel, deelnemer, stamp, fields, now))
    # Held only now: broadcast.held is the thread's, and no other socket's code runs between
    # here and the end of the block (nothing in it awaits).
    with broadcast.held() as bells:
        if not _landed(answer, tafel, deelnemer, fields, now):
            return None
    return bells


def _params(
    tafel: Tafel, deelnemer: Deelnemer, stamp: tuple, fields: dict[str, Any], now
) -> list[Any]:
    return [
        tafel.pk,
        deelnemer.pk,
        Jsonb(list(stamp)),
        fields["partij_id"],
        fields["soort"],
        fields["tekst"],
        fields["gewicht"],
        fields["breng_soort"],
        fields["toezegging"],
        fields["vertrouwelijk"],
        deelnemer.name,
        fields["nonce"],
        settings.HB_MAX_ITEMS_PER_KAART,
        now,
    ]


def _landed(answer: tuple, tafel: Tafel, deelnemer: Deelnemer, fields: dict[str, Any], now) -> bool:
    """The call's answer: when it wrote the bijdrage, its bell rung with the HTML rendered
    from the row as written (no query: this may run in the event loop)."""
    status, pk, seq, place = answer
    if status != "ok":
        return False
    bijdrage = Bijdrage(
        pk=pk,
        tafel_id=tafel.pk,
        partij_id=fields["partij_id"],
        soort=fields["soort"],
        tekst=fields["tekst"],
        gewicht=fields["gewicht"],
        breng_soort=fields["breng_soort"],
        toezegging=fields["toezegging"],
        vertrouwelijk=fields["vertrouwelijk"],
        position=place,
        version=1,
        author_id=deelnemer.pk,
        created_at=now,
        updated_at=now,
    )
    bijdrage._state.adding = False
    bijdrage._state.db = DEFAULT_DB_ALIAS
    data = {
        "id": pk,
        "partij": fields["partij_id"],
        "version": 1,
        **_secret(fields["vertrouwelijk"]),
        **({"nonce": fields["nonce"]} if fields["nonce"] else {}),
    }
    ring(
        tafel=tafel,
        seq=seq,
        kind=Change.BIJDRAGE_ADDED.value,
        data=data,
        actor=Actor(deelnemer=deelnemer),
        item=bijdrage,
    )
    return True
