"""Websocket routes (museum/realtime/PROTOCOL.md)."""

from typing import Any

from django.urls import path

from museum.realtime.presence_consumer import PresenceConsumer
from museum.realtime.tour_consumer import TourConsumer

# Channels routes ASGI applications with django.urls.path; Django's stubs only know views there,
# and the Channels stubs want their own URLPattern subclass (so: list[Any]).
websocket_urlpatterns: list[Any] = [
    path("ws/rooms/<int:room_id>/", PresenceConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/tours/<str:code>/", TourConsumer.as_asgi()),  # type: ignore[arg-type]
]
