"""The counters' names (importable before Django's app registry is ready)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Metric(models.TextChoices):
    ROOM_VISIT = "room_visit", _("room visits")  # key: room id
    ROOM_DWELL = "room_dwell", _("room dwell histogram")  # key: room id, bucket: dwell bin
    ROOM_DWELL_SECONDS = "room_dwell_s", _("room dwell seconds")  # key: room id
    ROOM_PATH = "room_path", _("room to room")  # key: "<from id>><to id>"
    ARTIFACT_VIEW = "artifact_view", _("object views")  # key: artifact id
    ARTIFACT_DWELL = "artifact_dwell", _("object dwell histogram")  # key: artifact id, bin
    ARTIFACT_DWELL_SECONDS = "artifact_dwell_s", _("object dwell seconds")  # key: artifact id
    DEVICE = "device", _("devices")  # key: "<class>/<mode>"
    TOUR_FOLLOWERS = "tour_followers", _("tour followers")  # key: tour id
    TOUR_LAST_STOP = "tour_last_stop", _("tour followers at the last stop")  # key: tour id
    TOUR_SHARE = "tour_share", _("tour share of stops")  # key: tour id, bucket: quarter 0-4
