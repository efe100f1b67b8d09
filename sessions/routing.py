from django.urls import path

from sessions.consumers import KaartConsumer

websocket_urlpatterns = [
    path("ws/tafels/<int:tafel_id>/", KaartConsumer.as_asgi()),
]
