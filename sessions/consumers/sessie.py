"""The websocket of a sessie's control room, plenary view and waiting page: they follow the
sessie live. It only listens; the controls are plain forms. The plenary view connects with
`?view=plenair` and gets the tafels' kaarten instead of the control room."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import translation

from sessions import access, broadcast, fragments
from sessions.consumers.edge import CLOSE_NO_ACCESS, CountedConsumer, language_of
from sessions.models import Sessie


class SessieConsumer(CountedConsumer):
    """The control room, plenary view and waiting page of a sessie follow it live."""

    async def connect(self) -> None:
        self.sessie_id = int(self.scope["url_route"]["kwargs"]["sessie_id"])
        self.plenair = b"view=plenair" in self.scope.get("query_string", b"").split(b"&")
        self.language = language_of(self.scope)
        self.groups_joined: list[str] = []
        await self.accept()
        _sessie, allowed = await database_sync_to_async(self._access_now)()
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
        """A ping gets the room again; nothing else is read."""
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

    @database_sync_to_async
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

    @database_sync_to_async
    def _render_tafel(self, tafel_id: int) -> str:
        """One tafel's line in the control room, or its kaart in the plenary view."""
        with translation.override(self.language):
            sessie = Sessie.objects.select_related("opgave").filter(pk=self.sessie_id).first()
            if sessie is None:
                return ""
            allowed = access.opgave_access(self.scope.get("user"), sessie.opgave)
            if not allowed.can_view:
                return ""
            if self.plenair:
                return fragments.render_compact_kaart(
                    sessie, allowed, tafel_id, csrf_token=self._csrf_token()
                )
            return fragments.render_tafel_overview(sessie, allowed, tafel_id)
