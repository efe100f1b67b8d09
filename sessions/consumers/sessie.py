"""The websocket of a sessie's control room, plenary view and waiting page: they follow the
sessie live. It only listens; the controls are plain forms. The plenary view connects with
`?view=plenair` and gets the tafels' kaarten instead of the control room."""

from __future__ import annotations

import asyncio
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.utils import translation

from sessions import access, broadcast, fragments, pushcache
from sessions.consumers.edge import (
    CLOSE_NO_ACCESS,
    CountedConsumer,
    database_work,
    language_of,
)
from sessions.models import Sessie


class SessieConsumer(CountedConsumer):
    """The control room, plenary view and waiting page of a sessie follow it live."""

    async def connect(self) -> None:
        self.sessie_id = int(self.scope["url_route"]["kwargs"]["sessie_id"])
        self.plenair = b"view=plenair" in self.scope.get("query_string", b"").split(b"&")
        self.language = language_of(self.scope)
        self.groups_joined: list[str] = []
        # The tafels whose kaart changed since their line (or plenary kaart) was last drawn.
        self.tafels_due: set[int] = set()
        self.activity_task: asyncio.Task | None = None
        await self.accept()
        _sessie, allowed = await database_work(self._access_now)()
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
        if self.activity_task is not None:
            self.activity_task.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        """A ping gets the room again; nothing else is read."""
        if text_data and len(text_data) <= 1024 and '"ping"' in text_data:
            await self.send_room()

    async def sessie_changed(self, event: dict[str, Any]) -> None:
        await self.send_room()

    async def tafel_activity(self, event: dict[str, Any]) -> None:
        """A tafel's kaart changed (or several: a gathered bell, broadcast.Gathered): its line
        is drawn again at the end of a window of HB_ACTIVITY_DELAY seconds (trailing), with
        every other tafel that changed in it, and rendered once per process for everyone who
        sees it alike."""
        ids = event.get("tafel_ids", [event.get("tafel_id")])
        self.tafels_due.update(int(pk) for pk in ids)
        if self.activity_task is None or self.activity_task.done():
            self.activity_task = asyncio.create_task(self._push_activity())

    async def _push_activity(self) -> None:
        while self.tafels_due:
            key = (self.sessie_id, "activity")
            window = await pushcache.activity.window(key, settings.HB_ACTIVITY_DELAY)
            due, self.tafels_due = sorted(self.tafels_due), set()
            try:
                html = await self._draw(due, window)
            except DatabaseError:
                return  # the next change, or the page's ping, draws them
            if html:
                await self.send(text_data=html)

    async def _draw(self, due: list[int], window: int) -> str:
        role = await database_work(access.sessie_role)(self.scope.get("user"), self.sessie_id)
        allowed = access.team_access(role or "")
        if not allowed.can_view:
            return ""  # only accounts watch tafels: one that lost its access sees no more lines
        key = (self.sessie_id, window, tuple(due), self.plenair, self.language, allowed.role)
        return await pushcache.cache.html(
            ["tafels"],
            key_of=lambda _region: key,
            render=lambda _regions: self._render_tafels(due, allowed),
        )

    async def send_room(self) -> None:
        html = await self._render_room()
        if html is None:
            await self.close(code=CLOSE_NO_ACCESS)
            return
        await self.send(text_data=html)

    def _access_now(self) -> tuple[Sessie | None, access.Access]:
        sessie = Sessie.objects.select_related("opgave__team").filter(pk=self.sessie_id).first()
        if sessie is None:
            return None, access.NO_ACCESS
        user, session = self.scope.get("user"), self.scope.get("session")
        return sessie, access.sessie_access(user, session, sessie)

    def _join_url(self, sessie: Sessie) -> str:
        headers = dict(self.scope.get("headers") or [])
        host = headers.get(b"host", b"localhost").decode("latin-1")
        scheme = "https" if self.scope.get("scheme") in ("wss", "https") else "http"
        return f"{scheme}://{host}{sessie.get_join_path()}"

    @database_work
    def _render_room(self) -> str | None:
        """The room as this person may see it now; None when they no longer may."""
        with translation.override(self.language):
            sessie, allowed = self._access_now()
            if not allowed.can_view:
                return None
            if self.plenair and allowed.deelnemer is None:
                return fragments.render_plenair(sessie, allowed, csrf_token=self._csrf_token())
            return fragments.render_room(
                sessie,
                allowed,
                join_url=self._join_url(sessie),
                csrf_token=self._csrf_token(),
            )

    def _csrf_token(self) -> str:
        """This browser's CSRF token: the pushed controls are plain POST forms."""
        return self.scope.get("cookies", {}).get(settings.CSRF_COOKIE_NAME, "")

    @database_work
    def _render_tafels(self, tafel_ids: list[int], allowed: access.Access) -> dict[str, str]:
        """These tafels' lines in the control room, or their kaarten in the plenary view."""
        with translation.override(self.language):
            if self.plenair:
                sessie = Sessie.objects.filter(pk=self.sessie_id).first()
                if sessie is None:
                    return {"tafels": ""}
                csrf_token = self._csrf_token()
                html = "".join(
                    fragments.render_compact_kaart(sessie, allowed, pk, csrf_token=csrf_token)
                    for pk in tafel_ids
                )
            else:
                html = fragments.render_tafel_overviews(self.sessie_id, allowed, tafel_ids)
            return {"tafels": html}
