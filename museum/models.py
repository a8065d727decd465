"""Authored guided tours. (The floor plan as a graph joins here with the real-time issue.)"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tour(models.Model):
    """A guided tour an educator authors and later leads live."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    educator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tours"
    )
    exhibition = models.ForeignKey(
        "exhibits.Exhibition",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tours",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("tour")
        verbose_name_plural = _("tours")

    def __str__(self) -> str:
        return self.title


class TourStop(models.Model):
    tour = models.ForeignKey(Tour, on_delete=models.CASCADE, related_name="stops")
    order = models.PositiveIntegerField(_("order"), default=0)
    artifact = models.ForeignKey("exhibits.Artifact", on_delete=models.CASCADE, related_name="+")
    annotation = models.ForeignKey(
        "exhibits.Annotation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    narration = models.TextField(_("narration"), blank=True)
    camera_position = models.JSONField(_("camera position"), null=True, blank=True)
    camera_target = models.JSONField(_("camera target"), null=True, blank=True)

    class Meta:
        ordering = ["tour", "order", "pk"]
        verbose_name = _("tour stop")
        verbose_name_plural = _("tour stops")

    def __str__(self) -> str:
        return f"{self.tour} #{self.order}"
