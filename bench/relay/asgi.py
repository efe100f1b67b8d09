"""The bare relay: a websocket per client at /ws/tafels/<id>/, each message forwarded as it is
to every socket of that tafel through the channel layer. Nothing else: no auth, no database,
no rendering. Run with daphne the way the app runs (bench/load.py does).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.relay.settings")

import django  # noqa: E402

django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402


class RelayConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.group = f"tafel.{int(self.scope['url_route']['kwargs']['tafel_id'])}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if text_data:
            await self.channel_layer.group_send(
                self.group, {"type": "relay.message", "text": text_data}
            )

    async def relay_message(self, event) -> None:
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter(
    {
        "websocket": AllowedHostsOriginValidator(
            URLRouter([path("ws/tafels/<int:tafel_id>/", RelayConsumer.as_asgi())])
        )
    }
)
