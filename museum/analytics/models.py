"""The one table of visit analytics: aggregated counters per day, nothing about a person.

A row is (day, metric, key, bucket) -> value. There is no visitor, session, address or user
agent anywhere: collection (museum/analytics/collect.py) adds increments to an in-process
buffer that is flushed with `F("value") + n`, so no per-visitor row exists even briefly.
"""

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


class VisitCount(models.Model):
    """How many (or how many seconds) of one metric for one key on one day."""

    day = models.DateField(_("day"))
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    key = models.CharField(_("key"), max_length=40)
    bucket = models.SmallIntegerField(_("bucket"), default=0)
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("visit count")
        verbose_name_plural = _("visit counts")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "metric", "key", "bucket"], name="visitcount_one_cell"
            )
        ]
        indexes = [models.Index(fields=["metric", "day"], name="visitcount_metric_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.key}[{self.bucket}] = {self.value}"
