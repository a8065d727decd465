"""Mouseion: the Django project and the visitor's experience."""

from .celery import app as celery_app

__all__ = ["celery_app"]
