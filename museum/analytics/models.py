"""The one table of visit analytics: aggregated counters per day, nothing about a person.

A row is (day, metric, key, bucket) -> value. There is no visitor, session, address or user
agent anywhere: collection (museum/analytics/collect.py) adds increments to an in-process
buffer that is flushed with `F("value") + n`, so no per-visitor row exists even briefly.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from museum.analytics.metrics import Metric


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
