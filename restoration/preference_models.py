"""What curators' reviews taught the restoration planner: one bandit state per restoration kind."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MethodPreference(models.Model):
    """The LinUCB bandit (restoration.planner.MethodBandit) for one kind of restoration, as
    JSON; updated with every accept / reject, read when a planned restoration chooses."""

    kind = models.CharField(_("restoration kind"), max_length=16, unique=True)
    state = models.JSONField(_("bandit state"), default=dict)
    reviews = models.PositiveIntegerField(_("reviews learnt from"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("method preference")
        verbose_name_plural = _("method preferences")

    def __str__(self) -> str:
        return f"Method preference for {self.kind} ({self.reviews} reviews)"
