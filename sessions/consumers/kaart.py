"""The websocket of one open kaart page: pushes the tafel's kaart and applies the changes the
page sends.

Protocol, limits and close codes: docs/protocol.md. The consumer authorises through
sessions.access, hands each message to sessions.actions, and pushes what the bell carries
(rendered at commit, sessions.push) or regions rendered by sessions.fragments from the
database. PostgreSQL is the truth; Redis rings the bell."""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from typing import Any

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
    push,
    pushcache,
    selectors,
    services,
)
from sessions.consumers import heartbeat
from sessions.consumers.edge import (
    CLOSE_NO_ACCESS,
    CLOSE_TOO_LARGE,
    CLOSE_TOO_MANY,
    CountedConsumer,
    database_work,
    language_of,
    parse_frame,
)
from sessions.models import KaartEvent, Tafel
from sessions.services import at_once

logger = logging.getLogger(__name__)


# A bell normally arrives within milliseconds; one missing after this long was lost.
BELL_GRACE = datetime.timedelta(seconds=3)
# How long a bell that came before the one it follows is held for that one (the changes of a
# kaart are numbered in the order they commit, but their bells are rung by the threads that
# applied them, in the order those finish).
BELL_REORDER = 0.5
# At most this many changes whose bells did not come are read from the log and pushed one by
# one; more, and the whole card is cheaper.
CATCH_UP = 20
# The answer to a change the database could not take.
NOT_SAVED = gettext_lazy(
    "The change could not be saved right now; nothing was changed. Try again in a moment."
)


class KaartConsumer(CountedConsumer):
    """Pushes a tafel's kaart to one browser and applies the changes it sends."""

    async def connect(self) -> None:
        self.tafel_id = int(self.scope["url_route"]["kwargs"]["tafel_id"])
        self.language = language_of(self.scope)
        self.last_seq = 0
        self.groups_joined: list[str] = []
        # What this person may see and do, refreshed by every whole card, sessie change and
        # heartbeat; pushes of kaart changes use it as it is. Edits are authorised afresh.
        self.access = access.NO_ACCESS
        # The tafel and what a participant's access depends on when it was looked up
        # (access.participant_stamp): while the stamp holds, the access does (_access_kept).
        self.tafel: Tafel | None = None
        self.stamp: tuple | None = None
        # When the access was last looked at (a heartbeat looks again HB_ACCESS_RECHECK later).
        self.access_seen = float("-inf")
        self._stamp_read: tuple | None = None
        # Whether this person may have vertrouwelijk items of their own on the kaart: then
        # what they see is theirs alone, and their pushes are rendered for them alone.
        self.private = False
        # When this socket last took a bell: one that still takes bells is not deaf, its
        # missing changes are queued (under load), not lost.
        self.last_bell = float("-inf")
        # The sequence number the page must have: what this socket had sent by the previous
        # heartbeat. A heartbeat may overtake newer changes on their way to the page.
        self.page_has = 0
        # The number the page said it had at its previous heartbeat, and what this socket had
        # sent by then.
        self.page_said: Any = None
        self.sent_said: int | None = None
        # The balance chart and the map follow the changes a little later, at most once per
        # HB_PICTURE_DELAY seconds (pictures_later).
        self.pictures_due = False
        self.pictures_task: asyncio.Task | None = None
        # Bells that came before the one they follow, by number, held for BELL_REORDER.
        self.early: dict[int, dict[str, Any]] = {}
        self.gap_task: asyncio.Task | None = None
        # Whether the page shows them (kaart.js says so: in steps 1 and 2 the balance region is
        # condensed until someone opens it). Hidden pictures are not drawn; the page gets
        # them when it opens the region (`pictures` message) or prints (kaart_pictures view).
        self.pictures_shown = True
        self.pictures_missed = False
        # A push of the sessie's (the step, the timer, an opgave text) that could not be
        # rendered (the database was away): the next heartbeat brings the whole card (it is
        # not in the kaart's log of changes).
        self.sessie_owed = False
        # This socket's person as a change's `by` names them, for the access it was read with.
        self.me: tuple[access.Access, str] | None = None
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
        for task in (self.pictures_task, self.gap_task):
            if task is not None:
                task.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.groups_joined:
            await database_work(services.presence_leave)(channel_name=self.channel_name)

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
            payload = parse_frame(text_data or "")
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
        elif action == "pictures":
            await self._pictures_shown(payload.get("shown") is True)
        else:
            applied = await self._applied_in_loop(payload)
            answer, bells = applied if applied is not None else await self._apply(payload)
            # The others first: they wait for the change, the sender only for its ack.
            await broadcast.send_held(bells)
            # Its own change with it, after the ack: the form it came from is clean by then.
            await self.send(text_data=answer + self._own_push(bells))
            await self._push_early()

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
        heartbeat.last_seen.add(self.channel_name)
        seq = payload.get("seq")
        waiting = layer.waiting(self.channel_layer, self.channel_name)
        try:
            overdue = not self._heartbeat_quiet(waiting) and await self._heartbeat(waiting)
        except DatabaseError:
            logger.warning("heartbeat without database on tafel %s", self.tafel_id)
            return  # the next heartbeat tries again; the socket stays
        page_before, self.page_said = self.page_said, seq
        sent_before, self.sent_said = self.sent_said, self.last_seq
        if self.sessie_owed or heartbeat.heartbeat_wants_whole_card(
            page_seq=seq,
            sent=self.last_seq,
            page_had=self.page_has,
            overdue=overdue,
            page_before=page_before,
            sent_before=sent_before,
        ):
            await self.send_full()
        else:
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
        await database_work(services.presence_touch)(channel_name=self.channel_name, editing=item)

    def _access_due(self) -> bool:
        """Whether a heartbeat looks at the access again: always for an account's, for a
        participant's when it was last looked at HB_ACCESS_RECHECK ago (every change of their
        access rings a bell of its own; this catches one that was lost)."""
        since = time.monotonic() - self.access_seen
        return self.stamp is None or since >= settings.HB_ACCESS_RECHECK

    def _bells_coming(self, waiting: int) -> bool:
        """Whether this socket takes bells (one came within BELL_GRACE) or has them waiting in
        its channel's queue: then it is only behind, as under load, not deaf."""
        return waiting > 0 or time.monotonic() - self.last_bell < BELL_GRACE.total_seconds()

    def _heartbeat_quiet(self, waiting: int) -> bool:
        """Whether this heartbeat needs no look at the database (_heartbeat would answer
        False without one): most heartbeats, without a hop to a database thread."""
        return not self._access_due() and self._bells_coming(waiting)

    @database_work
    def _heartbeat(self, waiting: int) -> bool:
        """Whether the whole card is due: access changed (the card shows it, or the socket
        closes), or the log holds a change this socket was not sent that is older than
        BELL_GRACE while no bell came for as long and none waits for it: its bell was lost. A
        socket whose bells come is only behind; the whole card would lengthen its queue, and
        the next bell shows a gap if one was lost."""
        if self._access_due():
            _tafel, allowed = self._access_kept()
            if allowed != self.access:
                return True
        if self._bells_coming(waiting):
            return False
        return KaartEvent.objects.filter(
            tafel_id=self.tafel_id,
            seq__gt=self.last_seq,
            created_at__lt=timezone.now() - BELL_GRACE,
        ).exists()

    @database_work
    def _apply(self, payload: dict[str, Any]) -> tuple[str, list]:
        """One action, start to end in one thread hop: authorise, validate, apply, answer;
        with the bells the change rang, for the event loop to send (broadcast.held)."""
        with broadcast.held() as bells:
            try:
                return self._apply_now(payload), bells
            except BaseException:
                broadcast.send_now(bells)  # a committed change's bell rings whatever follows
                raise

    def _apply_now(self, payload: dict[str, Any]) -> str:
        with translation.override(self.language):
            form_id = actions.form_id_of(payload)
            nonce = actions.nonce_of(payload)
            try:
                tafel, allowed = self._access_kept()
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
                return fragments.render_error(NOT_SAVED, form_id=form_id, nonce=nonce)
            if outcome.ok:
                return fragments.render_ack(form_id, nonce)
            return fragments.render_error(
                outcome.message, form_id=form_id, conflict=outcome.conflict, nonce=nonce
            )

    async def _applied_in_loop(self, payload: dict[str, Any]) -> tuple[str, list] | None:
        """A bijdrage added by a participant whose access this socket keeps, in one call
        awaited in the event loop (services.at_once), which checks that access itself: the
        answer and the bells it rang. None: the ordinary way takes the message (_apply)."""
        if (
            self.stamp is None
            or self.tafel is None
            or self.access.deelnemer is None
            or not self.access.can_edit
            or not at_once.available()
        ):
            return None
        fields = at_once.bijdrage_fields(payload, self.tafel_id)
        if fields is None:
            return None
        with translation.override(self.language):
            form_id, nonce = actions.form_id_of(payload), actions.nonce_of(payload)
            try:
                bells = await at_once.bijdrage_add(
                    tafel=self.tafel,
                    deelnemer=self.access.deelnemer,
                    stamp=self.stamp,
                    fields=fields,
                )
            except DatabaseError:
                logger.exception("database error on tafel %s", self.tafel_id)
                return fragments.render_error(NOT_SAVED, form_id=form_id, nonce=nonce), []
            if bells is None:
                return None
            self.access_seen = time.monotonic()  # hb_bijdrage_add found the stamp unchanged
            return fragments.render_ack(form_id, nonce), bells

    # Outgoing -----------------------------------------------------------------------------

    async def send_error(self, message) -> None:
        """An error frame; `message` is lazy, translated here into the person's language."""
        with translation.override(self.language):
            await self.send(text_data=fragments.render_error(message))

    async def send_full(self) -> None:
        frames, seq, allowed = await self._render_card()
        if not allowed:
            await self.close(code=CLOSE_NO_ACCESS)
            return
        self.sessie_owed = False
        self.pictures_missed = False
        self.last_seq = max(self.last_seq, seq)
        await self.send_frames(frames)

    async def send_frames(self, frames: list[str]) -> None:
        """Several frames of HTML, in order (a large card or region comes in pieces)."""
        for frame in frames:
            await self.send(text_data=frame)

    async def kaart_changed(self, event: dict[str, Any]) -> None:
        self.last_bell = time.monotonic()
        if heartbeat.already_sent(event["seq"], self.last_seq):
            return
        self._note_private(event)
        if heartbeat.bell_missed(event["seq"], self.last_seq):
            # Two changes committed side by side may ring in either order: the bell before
            # this one gets BELL_REORDER to arrive, then its change is read from the log
            # (_gap_later).
            self.early[event["seq"]] = event
            if self.gap_task is None or self.gap_task.done():
                self.gap_task = asyncio.create_task(self._gap_later())
            return
        await self._push_change(event)
        await self._push_early()

    async def _push_early(self) -> None:
        """The held bells that now follow what the page was sent, in order."""
        while (following := self.early.pop(self.last_seq + 1, None)) is not None:
            await self._push_change(following)
        for seq in [seq for seq in self.early if seq <= self.last_seq]:
            del self.early[seq]

    def _own_push(self, bells: list[tuple[str, dict[str, Any]]]) -> str:
        """The push of the change this socket just applied, for its own page, to go out with
        its ack in one frame (its bell, when it comes back, finds it sent): only when it is
        the next change the page is owed and was rendered at commit for this socket's
        audience; otherwise "" and the bell brings it as it brings everyone's."""
        for _group, event in bells:
            if event.get("type") != "kaart.changed" or event.get("tafel_id") != self.tafel_id:
                continue
            if event["seq"] != self.last_seq + 1 or event["data"].get("vertrouwelijk"):
                return ""
            carried = self._carried(event, self._regions_to_push(event))
            if carried is not None:
                self.last_seq = event["seq"]
            return carried or ""
        return ""

    def _carried(self, event: dict[str, Any], regions: list[str]) -> str | None:
        """These regions of a change as its bell carries them for this socket's audience
        (rendered at commit by the process that applied it), or None."""
        carried = push.carried(event, self.language, self.access.editor)
        if carried is None or not all(region in carried for region in regions):
            return None
        return "".join(carried[region] for region in regions)

    def _regions_to_push(self, event: dict[str, Any]) -> list[str]:
        """The regions a change's push brings this socket's page; the pictures follow later
        (pictures_later), and another's change is announced."""
        regions = fragments.regions_for_event(event["kind"], event["data"])
        if "inzicht" in regions and (settings.HB_PICTURE_DELAY > 0 or not self.pictures_shown):
            regions.remove("inzicht")
            self.pictures_later()
        # Others' changes are announced; one's own was confirmed with the ack.
        mine = bool(event.get("by")) and event.get("by") == self._me()
        if event.get("kind") and not event["data"].get("vertrouwelijk") and not mine:
            regions.append("announce")
        return regions

    def _note_private(self, event: dict[str, Any]) -> None:
        if event["data"].get("vertrouwelijk") and self.access.role != "facilitator":
            self.private = True  # it may be this person's own: render for them alone

    async def _gap_later(self) -> None:
        """The bell a held one follows did not come in time: lost, or rung late by a process
        far behind. The changes it skipped are read from the log and pushed in order, the held
        ones in their places; the whole card only when that is cheaper (more than CATCH_UP)
        or the log cannot be read."""
        await asyncio.sleep(BELL_REORDER)
        upto = max((seq for seq in self.early if seq > self.last_seq), default=None)
        if upto is None:  # brought in the meantime (a whole card, the late bell)
            self.early.clear()
            return
        try:
            logged = await self._logged(self.last_seq, upto)
        except DatabaseError:
            logged = None
        if logged is None:
            self.early.clear()
            await self.send_full()
            return
        for event in logged:
            event = self.early.pop(event["seq"], event)  # a held bell carries its HTML
            if event["seq"] <= self.last_seq:
                continue
            self._note_private(event)
            await self._push_change(event)
            if self.last_seq < event["seq"]:
                break  # the database went away: the heartbeat finds the rest
        await self._push_early()
        if self.early:  # bells that came meanwhile, after another gap
            self.gap_task = asyncio.create_task(self._gap_later())

    @database_work
    def _logged(self, after: int, upto: int) -> list[dict[str, Any]] | None:
        """The changes after `after` up to `upto` from the log, as their bells would bring
        them (without HTML: rendered for this socket's audience); None for more than
        CATCH_UP or a log without them all."""
        if upto - after > CATCH_UP:
            return None
        rows = KaartEvent.objects.filter(
            tafel_id=self.tafel_id, seq__gt=after, seq__lte=upto
        ).order_by("seq")
        events = [
            broadcast.changed_event(
                tafel_id=self.tafel_id,
                seq=row.seq,
                kind=row.kind,
                data=row.data,
                actor=row.actor_name,
                by=services.actor_key(row.actor_deelnemer_id, row.actor_user_id),
            )
            for row in rows
        ]
        return events if len(events) == upto - after else None

    async def _push_change(self, event: dict[str, Any]) -> None:
        """The push of one change, the next this socket's page is owed."""
        try:
            regions = self._regions_to_push(event)
            carried = self._carried(event, regions)
            if carried is not None:  # forwarded as it is
                self.last_seq = max(self.last_seq, event["seq"])
                await self.send(text_data=carried)
                return
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

    def pictures_later(self) -> None:
        """The balance chart and the map after a change: not in the change's own push (they
        are most of its size and render time) but at the end of a window of HB_PICTURE_DELAY
        seconds that the change opens or falls in, drawn as the kaart is then (trailing). Not
        while the page does not show them: then when it does."""
        if not self.pictures_shown:
            self.pictures_missed = True
            return
        self.pictures_due = True
        if self.pictures_task is None or self.pictures_task.done():
            self.pictures_task = asyncio.create_task(self._push_pictures())

    async def _push_pictures(self) -> None:
        while self.pictures_due:
            window = await pushcache.pictures.window(self.tafel_id, settings.HB_PICTURE_DELAY)
            self.pictures_due = False  # a change from now on is drawn in a next window
            key = (self.tafel_id, "pictures", window, self._audience("inzicht"))
            try:
                html = await pushcache.cache.html(
                    ["inzicht"], key_of=lambda _region, key=key: key, render=self._render_pictures
                )
            except DatabaseError:
                return  # the next change, heartbeat gap or whole card brings them
            await self.send(text_data=html)

    async def _pictures_shown(self, shown: bool) -> None:
        """The page opened the balance region (or the step made it current), or closed it.
        Pictures it missed while they were hidden are drawn for it now."""
        self.pictures_shown = shown
        if not (shown and self.pictures_missed):
            return
        self.pictures_missed = False
        try:
            html = await self._render_pictures(["inzicht"])
        except DatabaseError:
            self.pictures_missed = True  # the next change or whole card brings them
            return
        await self.send(text_data=html["inzicht"])

    @database_work
    def _render_pictures(self, regions: list[str]) -> dict[str, str]:
        with translation.override(self.language):
            return {"inzicht": fragments.render_pictures(self.tafel_id, self.access)}

    def _audience(self, region: str) -> tuple:
        return fragments.audience(region, self.access, self.language, private=self.private)

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

    @database_work
    def _render_presence(self, regions: list[str]) -> dict[str, str]:
        with translation.override(self.language):
            return {"presence": fragments.render_presence(selectors.present_at(self.tafel_id))}

    @database_work
    def _render_each(self, regions: list[str], event: dict[str, Any]) -> dict[str, list[str]]:
        """These regions of the kaart as this socket's person sees it, each in pieces (and,
        for everyone alike, the announcement of the change)."""
        with translation.override(self.language):
            shown = [region for region in regions if region != "announce"]
            html = {}
            if fragments.lean(shown):
                # One bijdrage and the number: from that bijdrage's row, not the whole kaart.
                html = fragments.render_lean(
                    self.tafel_id, self.access, shown, seq=event["seq"], data=event["data"]
                )
            elif shown:
                kaart = selectors.kaart_for(self.tafel_id, self.access)
                # The page holds this change and those before it: later ones bring their own
                # bells (the heartbeat compares this number with what the socket was sent).
                kaart.seq = event["seq"]
                kaart.seq_prev = event["seq"] - 1
                html = fragments.render_pieces(kaart, self.access, shown, event["data"])
            if "announce" in regions:
                html["announce"] = [
                    fragments.render_announcement(event.get("actor", ""), event["kind"])
                ]
            return html

    async def sessie_changed(self, event: dict[str, Any]) -> None:
        regions = fragments.regions_for_sessie_change(event.get("kind", ""), event.get("data"))
        if regions == [] or (event.get("data") or {}).get("tafel") == self.tafel_id:
            return  # nothing on this kaart, or made at this tafel: its own change brings it
        state = fragments.sessie_state(event.get("data"))
        if event.get("kind") == "state" and state is not None:
            # What this person's page shows: every change is still authorised afresh.
            self.access = access.under(self.access, state=state[0], locked=state[1])
        if regions is not None:
            # That region alone (a step change, the timer, one text of the opgave: from its own
            # rows) or these regions of the kaart (a partij of the opgave added or changed),
            # once per tafel and audience in this process, for the access the socket knows,
            # as a change of the kaart's own is: every change of access comes with a bell of
            # its own (or is found by the stamp at the next change or heartbeat), and a sessie
            # of 200 sockets asks the database 200 times less.
            alone = fragments.without_kaart(regions)
            try:
                pieces = await pushcache.cache.values(
                    regions,
                    key_of=lambda region: (
                        self.tafel_id,
                        event.get("ring"),
                        region,
                        self._audience(region),
                    ),
                    render=self._render_alone if alone else self._render_regions,
                )
            except DatabaseError:
                self.sessie_owed = True
                return
            await self.send_frames(fragments.frames(p for region in pieces for p in region))
            return
        # A change of who may see what (tafels, access): the whole card, access looked at afresh.
        await self.send_full()

    @database_work
    def _render_alone(self, regions: list[str]) -> dict[str, list[str]]:
        """These regions from their own rows, not the kaart's (fragments.render_alone)."""
        with translation.override(self.language):
            return {
                region: [fragments.render_alone(self.tafel_id, self.access, region)]
                for region in regions
            }

    @database_work
    def _render_regions(self, regions: list[str]) -> dict[str, list[str]]:
        """These regions of the kaart as the socket's access sees it, each in pieces."""
        with translation.override(self.language):
            kaart = selectors.kaart_for(self.tafel_id, self.access)
            return fragments.render_pieces(kaart, self.access, regions)

    @database_work
    def _render_card(self) -> tuple[list[str], int, bool]:
        """The whole card as frames, with access looked at afresh."""
        with translation.override(self.language):
            tafel, allowed = self._access_now()
            self._know(tafel, allowed)
            if not allowed.can_view:
                return [], 0, False
            kaart = selectors.kaart_for(tafel.pk, allowed)
            self.private = fragments.seen_alone(kaart, allowed)
            return fragments.full_card_frames(kaart, allowed), kaart.seq, True

    # Access -------------------------------------------------------------------------------

    def _actor(self, allowed: access.Access) -> services.Actor:
        return services.Actor(user=self._user(), deelnemer=allowed.deelnemer)

    def _me(self) -> str:
        """This socket's person as services.Actor.key names them (read once per access: on
        every push)."""
        if self.me is None or self.me[0] is not self.access:
            self.me = (self.access, self._actor(self.access).key)
        return self.me[1]

    def _user(self):
        user = self.scope.get("user")
        return user if user is not None and user.is_authenticated else None

    def _access_now(self) -> tuple[Tafel, access.Access]:
        """Access looked up afresh (and the stamp of what it depends on: _know)."""
        tafel = Tafel.objects.select_related("sessie__opgave").filter(pk=self.tafel_id).first()
        if tafel is None:
            return Tafel(pk=self.tafel_id), access.NO_ACCESS
        # The stamp is read before the access: should something change in between, the
        # stamp is the older, and the next _access_kept looks the access up again.
        deelnemer_id = access.deelnemer_id_in(self.scope.get("session"), tafel.sessie_id)
        self._stamp_read = (
            access.participant_stamp(self.tafel_id, deelnemer_id) if deelnemer_id else None
        )
        return tafel, access.tafel_access(self.scope.get("user"), self.scope.get("session"), tafel)

    def _know(self, tafel: Tafel, allowed: access.Access) -> None:
        """This socket's access from now on (just looked up by _access_now), with its stamp."""
        deelnemer = allowed.deelnemer
        keep = (
            allowed.can_view
            and deelnemer is not None
            and self._user() is None
            and self._stamp_read is not None
        )
        self.access, self.tafel = allowed, tafel
        self.stamp = self._stamp_read if keep else None
        self.access_seen = time.monotonic()

    def _access_kept(self) -> tuple[Tafel, access.Access]:
        """The access this socket knows, while nothing it depends on changed (one plain
        query); otherwise looked up afresh. A participant's only: an account's access hangs on
        its team's memberships too, and is always looked up."""
        deelnemer = self.access.deelnemer
        if (
            self.stamp is not None
            and self.tafel is not None
            and deelnemer is not None
            and access.participant_stamp(self.tafel_id, deelnemer.pk) == self.stamp
        ):
            self.access_seen = time.monotonic()
            return self.tafel, self.access
        tafel, allowed = self._access_now()
        if allowed == self.access:
            self._know(tafel, allowed)  # the same access: kept from now on with its new stamp
        return tafel, allowed

    @database_work
    def _authorise(self) -> tuple[access.Access, int | None]:
        tafel, allowed = self._access_now()
        self._know(tafel, allowed)
        return allowed, tafel.sessie_id if tafel.sessie_id else None

    @database_work
    def _join_presence(self) -> None:
        tafel, allowed = self._access_now()
        services.presence_join(
            tafel=tafel,
            channel_name=self.channel_name,
            actor=self._actor(allowed),
            role=allowed.role,
        )
