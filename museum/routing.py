"""Websocket routes (museum/realtime/PROTOCOL.md)."""

from django.urls import URLPattern, path

from museum.realtime.consumers import PresenceConsumer
from museum.realtime.tour_consumer import TourConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/rooms/<int:room_id>/", PresenceConsumer.as_asgi()),
    path("ws/tours/<str:code>/", TourConsumer.as_asgi()),
]
