from django.urls import path

from sessions.consumers import KaartConsumer, SessieConsumer

websocket_urlpatterns = [
    path("ws/tafels/<int:tafel_id>/", KaartConsumer.as_asgi()),
    path("ws/sessies/<int:sessie_id>/", SessieConsumer.as_asgi()),
]
