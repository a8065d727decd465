"""Websocket routes. Presence and guided tours (museum/realtime) add theirs here."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
