"""The websocket edge of the live kaart: one socket per open kaart page.

Protocol, limits and close codes: docs/protocol.md. The consumer is thin: it authorises through
sessions.access, hands each message to sessions.actions, and renders regions with
sessions.fragments. Redis only rings the bell; every push is rendered from the database.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions import (
    access,
    actions,
    broadcast,
    fragments,
    layer,
    pushcache,
    selectors,
    services,
)
from sessions.framegate import FrameGate
from sessions.models import KaartEvent, Tafel

logger = logging.getLogger(__name__)

# Close codes (4xxx: final, the client does not reconnect).
CLOSE_NO_ACCESS = 4403
CLOSE_TOO_LARGE = 4413
CLOSE_TOO_MANY = 4429
# A bell normally arrives within milliseconds; one missing after this long was lost.
BELL_GRACE = datetime.timedelta(seconds=3)
# No message of the protocol is nested deeper than 2; json.loads itself gives up (with a
# RecursionError) near Python's recursion limit, 1000.
MAX_JSON_DEPTH = 20


def _parse(text: str) -> Any:
    """A frame's JSON; refused when it is not JSON or nested deeper than MAX_JSON_DEPTH."""
    try:
        value = json.loads(text)
    except RecursionError:  # how json.loads gives up on deep nesting: not a ValueError
        raise actions.BadMessage(gettext_lazy("This message is nested too deeply.")) from None
    except ValueError:
        raise actions.BadMessage(gettext_lazy("This message is not valid JSON.")) from None
    if _nested_deeper_than(value, MAX_JSON_DEPTH):
        raise actions.BadMessage(gettext_lazy("This message is nested too deeply."))
    return value


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether parsed JSON nests lists and objects more than `limit` deep (without recursion)."""
    level = [value]
    for _depth in range(limit):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return any(isinstance(item, dict | list) for item in level)


def _language(scope: dict[str, Any]) -> str:
    """The language of the person's pages: their language cookie, else Accept-Language."""
    from django.utils.translation import trans_real

    supported = dict(settings.LANGUAGES)
    code = scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME)
    if code in supported:
        return code
    headers = dict(scope.get("headers") or [])
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    for lang, _q in trans_real.parse_accept_lang_header(accept):
        try:
            return trans_real.get_supported_language_variant(lang)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class CountedConsumer(AsyncWebsocketConsumer):
    """A websocket consumer whose incoming frames are counted as they arrive, not as it gets
    to them (sessions/framegate.py): HB_WS_MESSAGES_PER_10S per connection, and that gives
    its channel back to the channel layer when it ends (sessions/layer.py)."""

    async def __call__(self, scope, receive, send):
        gate = FrameGate(
            receive, send, limit=settings.HB_WS_MESSAGES_PER_10S, refused=self.frames_refused
        )
        async with gate:
            try:
                await super().__call__(scope, gate.receive, gate.send)
            finally:
                await layer.release(
                    getattr(self, "channel_layer", None), getattr(self, "channel_name", None)
                )

    async def frames_refused(self, final: bool) -> None:
        """Frames arrive too fast and are dropped unread; `final`: far too fast, so the
        socket is closed (the gate passes nothing on any more either way)."""
        if final:
            await self.close(code=CLOSE_TOO_MANY)


class KaartConsumer(CountedConsumer):
    """Pushes a tafel's kaart to one browser and applies the changes it sends."""

    async def connect(self) -> None:
        self.tafel_id = int(self.scope["url_route"]["kwargs"]["tafel_id"])
        self.language = _language(self.scope)
        self.last_seq = 0
        self.groups_joined: list[str] = []
        # What this person may see and do, refreshed by every whole card, sessie change and
        # heartbeat; pushes of kaart changes use it as it is. Edits are authorised afresh.
        self.access = access.NO_ACCESS
        # Whether this person may have vertrouwelijk items of their own on the kaart: then
        # what they see is theirs alone, and their pushes are rendered for them alone.
        self.private = False
        # When this socket last took a bell: one that still takes bells is not deaf, its
        # missing changes are queued (under load), not lost.
        self.last_bell = float("-inf")
        # The sequence number the page must have: what this socket had sent by the previous
        # heartbeat. A heartbeat may overtake newer changes on their way to the page.
        self.page_has = 0
        await self.accept()
        allowed, sessie_id = await self._authorise()
        if not allowed.can_view:
            # Accept, then close with a 4xxx code: a refused handshake looks like a network
            # error (1006) to the browser, which would then retry forever.
            await self.close(code=CLOSE_NO_ACCESS)
            return
        for group in (broadcast.tafel_group(self.tafel_id), broadcast.sessie_group(sessie_id)):
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self._join_presence()
        await self.send_full()

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.groups_joined:
            await database_sync_to_async(services.presence_leave)(channel_name=self.channel_name)

    # Incoming -----------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        if not self.groups_joined:
            return
        if bytes_data is not None:
            await self.send_error(gettext_lazy("Binary messages are not accepted."))
            return
        if len(text_data or "") > settings.HB_WS_MAX_FRAME_BYTES:
            await self.send_error(gettext_lazy("This message is too large."))
            await self.close(code=CLOSE_TOO_LARGE)
            return
        try:
            payload = _parse(text_data or "")
        except actions.BadMessage as refusal:
            await self.send_error(refusal.args[0])
            return
        if not isinstance(payload, dict):
            await self.send_error(gettext_lazy("A message must be a JSON object."))
            return
        action = payload.get("action")
        if action == "ping":
            await self._ping(payload)
        elif action == "editing":
            await self._editing(payload)
        elif action == "card":
            # The page saw a gap in the sequence numbers of what it was pushed.
            await self.send_full()
        else:
            await self.send(text_data=await self._apply(payload))

    async def frames_refused(self, final: bool) -> None:
        """The page is told: its kaart-alert shows why its input was not applied."""
        if final:
            await self.send_error(gettext_lazy("Too many messages."))
            await self.close(code=CLOSE_TOO_MANY)
        else:
            await self.send_error(
                gettext_lazy(
                    "Too many messages; wait a moment. Messages sent just now were not applied."
                )
            )

    async def _ping(self, payload: dict[str, Any]) -> None:
        await self._rejoin_groups()
        seq = payload.get("seq")
        try:
            overdue = await self._heartbeat()
        except DatabaseError:
            logger.warning("heartbeat without database on tafel %s", self.tafel_id)
            return  # the next heartbeat tries again; the socket stays
        if (
            not isinstance(seq, int)
            or isinstance(seq, bool)
            or seq > self.last_seq  # the page knows more than this socket sent it
            or seq < self.page_has  # sent before the last heartbeat and still not there
            or overdue  # a change this socket was never sent, older than a bell takes
        ):
            await self.send_full()
        else:
            # Up to date, or its bells are still on their way (under load the queue can be
            # longer than a heartbeat): the whole card then would only make the queue longer.
            await self.send(text_data=self._pong(self.last_seq))
        # What was sent up to now has arrived by the next heartbeat; what is sent after this
        # one may still be on its way when the page sends it.
        self.page_has = self.last_seq

    async def _rejoin_groups(self) -> None:
        """Join this socket's groups again on every heartbeat: Redis may have lost them (a
        restart without persistence, FLUSHDB, a failover, channels-redis' group expiry) while
        the socket stayed open. Idempotent and cheap."""
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_add(group, self.channel_name)
            except Exception:  # noqa: BLE001 - Redis down: the card still comes from PostgreSQL
                logger.warning("could not rejoin %s", group, exc_info=True)
                return

    def _pong(self, seq: int) -> str:
        return f'<div id="kaart-pong" hx-swap-oob="true" data-seq="{seq}" hidden></div>'

    async def _editing(self, payload: dict[str, Any]) -> None:
        item = payload.get("item")
        if not isinstance(item, str) or len(item) > 100:
            await self.send_error(gettext_lazy("Unknown item."))
            return
        if not services.is_valid_text(item):
            await self.send_error(gettext_lazy("This message contains invalid text."))
            return
        await database_sync_to_async(services.presence_touch)(
            channel_name=self.channel_name, editing=item
        )

    @database_sync_to_async
    def _heartbeat(self) -> bool:
        """Touch presence and look at access again. Whether the whole card is due: access
        changed (the card shows it, or the socket closes), or the log holds a change this
        socket was not sent that is older than BELL_GRACE while no bell came for as long:
        its bell was lost. A socket that takes bells is only behind, as under load; the
        whole card would lengthen its queue, and the next bell shows a gap if one was lost."""
        services.presence_touch(channel_name=self.channel_name)
        _tafel, allowed = self._access_now()
        if allowed != self.access:
            return True
        if time.monotonic() - self.last_bell < BELL_GRACE.total_seconds():
            return False
        return KaartEvent.objects.filter(
            tafel_id=self.tafel_id,
            seq__gt=self.last_seq,
            created_at__lt=timezone.now() - BELL_GRACE,
        ).exists()

    @database_sync_to_async
    def _apply(self, payload: dict[str, Any]) -> str:
        """One action, start to end in one thread hop: authorise, validate, apply, answer."""
        with translation.override(self.language):
            form_id = actions.form_id_of(payload)
            nonce = actions.nonce_of(payload)
            try:
                tafel, allowed = self._access_now()
                if not allowed.can_view:
                    return fragments.render_error(_("You no longer have access to this kaart."))
                data = actions.to_querydict(payload)
                outcome = actions.perform(
                    data,
                    tafel=tafel,
                    access=allowed,
                    actor=self._actor(allowed),
                )
            except actions.BadMessage as error:
                return fragments.render_error(str(error), form_id=form_id, nonce=nonce)
            except DatabaseError:
                logger.exception("database error on tafel %s", self.tafel_id)
                return fragments.render_error(
                    _(
                        "The change could not be saved right now; nothing was changed. "
                        "Try again in a moment."
                    ),
                    form_id=form_id,
                    nonce=nonce,
                )
            if outcome.ok:
                return fragments.render_ack(form_id, nonce)
            return fragments.render_error(
                outcome.message, form_id=form_id, conflict=outcome.conflict, nonce=nonce
            )

    # Outgoing -----------------------------------------------------------------------------

    async def send_error(self, message) -> None:
        """An error frame; `message` is lazy, translated here into the person's language."""
        with translation.override(self.language):
            await self.send(text_data=fragments.render_error(message))

    async def send_full(self) -> None:
        frames, seq, allowed = await self._render(None)
        if not allowed:
            await self.close(code=CLOSE_NO_ACCESS)
            return
        self.last_seq = max(self.last_seq, seq)
        await self.send_frames(frames)

    async def send_frames(self, frames: list[str]) -> None:
        """Several frames of HTML, in order (a large card or region comes in pieces)."""
        for frame in frames:
            await self.send(text_data=frame)

    async def kaart_changed(self, event: dict[str, Any]) -> None:
        self.last_bell = time.monotonic()
        if event["seq"] <= self.last_seq:
            return  # already sent, in a full card
        if event["data"].get("vertrouwelijk") and self.access.role != "facilitator":
            self.private = True  # it may be this person's own: render for them alone
        try:
            if event["seq"] > self.last_seq + 1:
                await self.send_full()  # a bell was lost: send the truth
                return
            regions = fragments.regions_for_event(event["kind"], event["data"])
            # Others' changes are announced; one's own was confirmed with the ack.
            mine = bool(event.get("by")) and event.get("by") == self._me()
            if event.get("kind") and not event["data"].get("vertrouwelijk") and not mine:
                regions.append("announce")
            pieces = await pushcache.cache.values(
                regions,
                key_of=lambda region: (self.tafel_id, event["seq"], region, self._audience(region)),
                render=lambda missing: self._render_each(missing, event),
            )
        except DatabaseError:
            # The database is away for a moment: keep the socket. last_seq stays behind, so the
            # next bell is a gap (whole card) and the heartbeat notices too.
            logger.warning("push without database on tafel %s", self.tafel_id)
            return
        self.last_seq = max(self.last_seq, event["seq"])
        await self.send_frames(fragments.frames(piece for region in pieces for piece in region))

    def _audience(self, region: str) -> tuple:
        """Everything a region's HTML depends on besides the kaart: who sees it alike."""
        if region in ("seq", "announce"):
            return (self.language,)
        allowed, deelnemer = self.access, self.access.deelnemer
        who = (
            self.language,
            allowed.role,
            allowed.can_edit,
            deelnemer.pk if deelnemer is not None and self.private else None,
        )
        partij_id = deelnemer.partij_id if deelnemer is not None else None
        if region.startswith("partij:"):
            # A partij's own people see its perspectief before the reveal, and may write it.
            return (*who, partij_id == int(region.split(":", 1)[1]))
        if region == "partijen":
            return (*who, partij_id)
        # The rest, a partij's halen and brengen ("bijdragen:<id>") too, look the same from
        # every partij.
        return who

    async def presence_changed(self, event: dict[str, Any]) -> None:
        try:
            html = await pushcache.cache.html(
                ["presence"],
                key_of=lambda region: (self.tafel_id, event.get("ring"), region, self.language),
                render=self._render_presence,
            )
        except DatabaseError:
            return  # presence is refreshed by the next change or heartbeat
        await self.send(text_data=html)

    @database_sync_to_async
    def _render_presence(self, regions: list[str]) -> dict[str, str]:
        with translation.override(self.language):
            return {"presence": fragments.render_presence(selectors.present_at(self.tafel_id))}

    @database_sync_to_async
    def _render_each(self, regions: list[str], event: dict[str, Any]) -> dict[str, list[str]]:
        """These regions of the kaart as this socket's person sees it, each in pieces (and,
        for everyone alike, the announcement of the change)."""
        with translation.override(self.language):
            shown = [region for region in regions if region != "announce"]
            html = {}
            if shown:
                kaart = selectors.kaart_for(self.tafel_id, self.access)
                # The page holds this change and those before it: later ones bring their own
                # bells (the heartbeat compares this number with what the socket was sent).
                kaart.seq = event["seq"]
                kaart.seq_prev = event["seq"] - 1
                html = fragments.render_pieces(kaart, self.access, shown)
            if "announce" in regions:
                html["announce"] = [
                    fragments.render_announcement(event.get("actor", ""), event["kind"])
                ]
            return html

    async def sessie_changed(self, event: dict[str, Any]) -> None:
        regions = fragments.regions_for_sessie_change(event.get("kind", ""))
        if regions == []:
            return
        frames, seq, allowed = await self._render(regions)
        if not allowed:
            await self.close(code=CLOSE_NO_ACCESS)
            return
        if regions is None:
            self.last_seq = max(self.last_seq, seq)
        await self.send_frames(frames)

    @database_sync_to_async
    def _render(self, regions) -> tuple[list[str], int, bool]:
        """These regions (None: the whole card) as frames, with access looked at afresh."""
        with translation.override(self.language):
            tafel, allowed = self._access_now()
            self.access = allowed
            if not allowed.can_view:
                return [], 0, False
            kaart = selectors.kaart_for(tafel.pk, allowed)
            if regions is None:
                self.private = allowed.role != "facilitator" and _has_vertrouwelijk(kaart)
                return fragments.full_card_frames(kaart, allowed), kaart.seq, True
            pieces = fragments.render_pieces(kaart, allowed, regions)
            frames = fragments.frames(p for region in regions for p in pieces[region])
            return frames, kaart.seq, True

    # Access -------------------------------------------------------------------------------

    def _actor(self, allowed: access.Access) -> services.Actor:
        return services.Actor(user=self._user(), deelnemer=allowed.deelnemer)

    def _me(self) -> str:
        """This socket's person as services.Actor.key names them."""
        return self._actor(self.access).key

    def _user(self):
        user = self.scope.get("user")
        return user if user is not None and user.is_authenticated else None

    def _access_now(self) -> tuple[Tafel, access.Access]:
        tafel = Tafel.objects.select_related("sessie__opgave").filter(pk=self.tafel_id).first()
        if tafel is None:
            return Tafel(pk=self.tafel_id), access.NO_ACCESS
        return tafel, access.tafel_access(self.scope.get("user"), self.scope.get("session"), tafel)

    @database_sync_to_async
    def _authorise(self) -> tuple[access.Access, int | None]:
        tafel, allowed = self._access_now()
        self.access = allowed
        return allowed, tafel.sessie_id if tafel.sessie_id else None

    @database_sync_to_async
    def _join_presence(self) -> None:
        tafel, allowed = self._access_now()
        services.presence_join(
            tafel=tafel,
            channel_name=self.channel_name,
            actor=self._actor(allowed),
            role=allowed.role,
        )


def _has_vertrouwelijk(kaart: selectors.Kaart) -> bool:
    """Whether a vertrouwelijk item is on the kaart as one person sees it (for a participant:
    their own)."""
    items = [*kaart.halen, *kaart.brengen, *(b.perspectief for b in kaart.blocks)]
    return any(item is not None and item.vertrouwelijk for item in items)


class SessieConsumer(CountedConsumer):
    """The control room, plenary view and waiting page of a sessie follow it live."""

    async def connect(self) -> None:
        self.sessie_id = int(self.scope["url_route"]["kwargs"]["sessie_id"])
        self.language = _language(self.scope)
        self.groups_joined: list[str] = []
        await self.accept()
        allowed = await self._access()
        if not allowed.can_view:
            await self.close(code=CLOSE_NO_ACCESS)
            return
        groups = [broadcast.sessie_group(self.sessie_id)]
        if allowed.role in ("facilitator", "coordinator"):
            groups.append(broadcast.watch_group(self.sessie_id))
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.send_room()

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        """This socket only listens; the controls are plain forms. A ping gets the room again."""
        if text_data and len(text_data) <= 1024 and '"ping"' in text_data:
            await self.send_room()

    async def sessie_changed(self, event: dict[str, Any]) -> None:
        await self.send_room()

    async def tafel_activity(self, event: dict[str, Any]) -> None:
        html = await self._render_tafel(event["tafel_id"])
        if html:
            await self.send(text_data=html)

    async def send_room(self) -> None:
        html = await self._render_room()
        if html is None:
            await self.close(code=CLOSE_NO_ACCESS)
            return
        await self.send(text_data=html)

    @database_sync_to_async
    def _access(self) -> access.Access:
        from sessions.models import Sessie

        sessie = Sessie.objects.select_related("opgave").filter(pk=self.sessie_id).first()
        if sessie is None:
            return access.NO_ACCESS
        return access.sessie_access(self.scope.get("user"), self.scope.get("session"), sessie)

    def _join_url(self, sessie) -> str:
        headers = dict(self.scope.get("headers") or [])
        host = headers.get(b"host", b"localhost").decode("latin-1")
        scheme = "https" if self.scope.get("scheme") in ("wss", "https") else "http"
        return f"{scheme}://{host}{sessie.get_join_path()}"

    @database_sync_to_async
    def _render_room(self) -> str | None:
        from django.template.loader import render_to_string
        from django.urls import reverse

        from sessions.models import Sessie

        with translation.override(self.language):
            sessie = Sessie.objects.select_related("opgave__team").filter(pk=self.sessie_id).first()
            if sessie is None:
                return None
            allowed = access.sessie_access(
                self.scope.get("user"), self.scope.get("session"), sessie
            )
            if not allowed.can_view:
                return None
            if allowed.deelnemer is not None:
                deelnemer = allowed.deelnemer
                target = (
                    reverse("sessions:kaart", args=[deelnemer.tafel_id])
                    if deelnemer.tafel_id
                    else ""
                )
                return render_to_string(
                    "sessions/waiting.html#wait",
                    {"sessie": sessie, "deelnemer": deelnemer, "target": target},
                )
            context = {
                **selectors.sessie_room(sessie, allowed),
                "join_url": self._join_url(sessie),
                # The controls are plain POST forms: they need this browser's CSRF token.
                "csrf_token": self.scope.get("cookies", {}).get(settings.CSRF_COOKIE_NAME, ""),
            }
            parts = ["status", "tafels"] + (["invite"] if allowed.can_manage else [])
            return "".join(
                render_to_string(f"sessions/sessie.html#{part}", context) for part in parts
            )

    @database_sync_to_async
    def _render_tafel(self, tafel_id: int) -> str:
        from django.template.loader import render_to_string

        from sessions.models import Sessie

        with translation.override(self.language):
            sessie = Sessie.objects.select_related("opgave").filter(pk=self.sessie_id).first()
            if sessie is None:
                return ""
            allowed = access.opgave_access(self.scope.get("user"), sessie.opgave)
            if not allowed.can_view:
                return ""
            _tafels, overviews = selectors.tafel_overviews(sessie, allowed, [tafel_id])
            if tafel_id not in overviews:
                return ""
            return render_to_string(
                "sessions/includes/tafel_overview.html", {"overview": overviews[tafel_id]}
            )
