"""A flat work's images: one Canvas per image (recto, verso, a page), and the IIIF Image API 3
level-0 service (static tiles under `iiif/<identifier>/`) of each published image asset."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from exhibits.collection.models import Artifact, Asset
from museum.common.names import unguessable

WEB_IMAGE = "web"  # the label of the web copy (Asset.Kind.IMAGE, sRGB JPEG)


class ScaleSource(models.TextChoices):
    """Where a canvas's pixels per centimetre came from."""

    CATALOGUE = "catalogue", _("The catalogue's dimensions")
    CURATOR = "curator", _("Entered by the curator at intake")
    FILE = "file", _("The image file's resolution")
    NONE = "", _("Unknown")


def new_identifier() -> str:
    """An IIIF identifier nobody can guess (the tiles' URLs are known only to those shown them)."""
    return unguessable("img")


class Canvas(models.Model):
    """One image of a flat work, in order: its untouched source and its size after orientation."""

    artifact = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="canvases")
    order = models.PositiveIntegerField(_("order"), default=0)
    label = models.CharField(
        _("label"), max_length=120, blank=True, help_text=_("'recto', 'verso', 'folio 1r'...")
    )
    source = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="canvases")
    width_px = models.PositiveIntegerField(_("width (px)"))
    height_px = models.PositiveIntegerField(_("height (px)"))
    pixels_per_cm = models.FloatField(_("pixels per cm"), null=True, blank=True)
    scale_source = models.CharField(
        _("scale from"), max_length=16, choices=ScaleSource.choices, blank=True, default=""
    )

    class Meta:
        ordering = ["artifact", "order", "pk"]
        verbose_name = _("canvas")
        verbose_name_plural = _("canvases")

    def __str__(self) -> str:
        return f"{self.artifact_id} canvas {self.order} {self.label}".rstrip()

    def web_image(self) -> Asset | None:
        """The newest web copy (Kind.IMAGE, label "web") derived from this canvas's source."""
        return (
            Asset.objects.filter(
                derived_from=self.source_id, kind=Asset.Kind.IMAGE, label=WEB_IMAGE
            )
            .order_by("-created_at", "-pk")
            .first()
        )

    def image_service(self) -> ImageService | None:
        """The IIIF Image service of this canvas's source, once its tiles are published."""
        return ImageService.objects.filter(asset=self.source_id).first()


class ImageService(models.Model):
    """An IIIF Image API 3 level-0 service: static tiles of one image asset (a source, or a
    restored image), stored under `root` = "iiif/<identifier>/" in the media storage."""

    asset = models.OneToOneField(Asset, on_delete=models.CASCADE, related_name="image_service")
    identifier = models.CharField(
        _("identifier"), max_length=64, unique=True, default=new_identifier, editable=False
    )
    width = models.PositiveIntegerField(_("width (px)"))
    height = models.PositiveIntegerField(_("height (px)"))
    tile_size = models.PositiveIntegerField(_("tile size (px)"), default=512)
    scale_factors = models.JSONField(_("scale factors"), default=list)
    sizes = models.JSONField(_("sizes"), default=list, help_text=_("[[w, h], ...]"))
    root = models.CharField(_("storage prefix"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("IIIF image service")
        verbose_name_plural = _("IIIF image services")

    def __str__(self) -> str:
        return f"IIIF {self.identifier} ({self.width}x{self.height})"
