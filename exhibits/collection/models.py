"""The collection (guided by Linked Art): artifacts, files, jobs, annotations, exhibitions."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from exhibits.collection.languages import in_active_language
from museum.common.names import unguessable


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class TextStatus(models.TextChoices):
    """Where a text came from: generated texts are marked until a curator edits or approves."""

    WRITTEN = "written", _("Written by a person")
    GENERATED = "generated", _("Generated, not yet reviewed")
    APPROVED = "approved", _("Generated and approved")


class DimensionsSource(models.TextChoices):
    """Who set an artifact's height, width and depth: intake measures, a person's value wins."""

    MEASURED = "measured", _("Measured from the scan")
    PERSON = "person", _("Entered by a person")


class ArtifactForm(models.TextChoices):
    """What a work is to the viewer: a 3D object (a scan) or a flat work (images on canvases)."""

    OBJECT = "object", _("Object (3D)")
    FLAT = "flat", _("Flat work (images)")


class PublishedQuerySet(models.QuerySet):
    def published(self) -> PublishedQuerySet:
        return self.filter(status=PublicationStatus.PUBLISHED)


class Artifact(models.Model):
    """A collection object: the registrar's record of one thing in the museum."""

    Form = ArtifactForm

    object_number = models.CharField(
        _("object number"), max_length=64, unique=True, help_text=_("Accession number.")
    )
    title = models.CharField(_("title"), max_length=300)
    classification = models.CharField(_("classification"), max_length=120, blank=True)
    object_name = models.CharField(_("object name"), max_length=200, blank=True)
    culture = models.CharField(_("culture"), max_length=200, blank=True)
    period = models.CharField(_("period"), max_length=200, blank=True)
    place_of_origin = models.CharField(_("place of origin"), max_length=300, blank=True)
    date_text = models.CharField(_("date"), max_length=120, blank=True)
    date_start_year = models.IntegerField(
        _("earliest year"), null=True, blank=True, help_text=_("Negative for BCE.")
    )
    date_end_year = models.IntegerField(_("latest year"), null=True, blank=True)
    materials = models.CharField(_("materials"), max_length=300, blank=True)
    dimensions = models.CharField(_("dimensions"), max_length=300, blank=True)
    height_m = models.FloatField(_("height (m)"), null=True, blank=True)
    width_m = models.FloatField(_("width (m)"), null=True, blank=True)
    depth_m = models.FloatField(_("depth (m)"), null=True, blank=True)
    dimensions_source = models.CharField(
        _("dimensions from"),
        max_length=16,
        choices=DimensionsSource.choices,
        blank=True,
        default="",
        help_text=_("Measured from the scan, or entered by a person (then intake keeps them)."),
    )
    form = models.CharField(
        _("form"),
        max_length=16,
        choices=ArtifactForm.choices,
        default=ArtifactForm.OBJECT,
        help_text=_("A 3D object, or a flat work (painting, print, page) shown as images."),
    )
    maker = models.CharField(_("maker"), max_length=300, blank=True)
    credit_line = models.CharField(_("credit line"), max_length=300, blank=True)
    rights = models.CharField(
        _("rights"), max_length=300, blank=True, help_text=_("Licence or rights statement.")
    )
    attribution = models.TextField(
        _("attribution"), blank=True, help_text=_("Credit for the digital surrogate (scan).")
    )
    description = models.TextField(_("description"), blank=True)
    # Further catalogue fields of collection exports (e.g. the Walters' CSV).
    style = models.CharField(_("style"), max_length=200, blank=True)
    dynasty = models.CharField(_("dynasty"), max_length=200, blank=True)
    reign = models.CharField(_("reign"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=120, blank=True)
    continent = models.CharField(_("continent"), max_length=60, blank=True)
    place_of_discovery = models.CharField(_("place of discovery"), max_length=300, blank=True)
    keywords = models.TextField(
        _("subjects and keywords"), blank=True, help_text=_("' | '-separated")
    )
    source_url = models.URLField(_("source record"), max_length=400, blank=True)
    external_id = models.CharField(
        _("external id"), max_length=64, blank=True, help_text=_("Id in the source system.")
    )
    imported_record = models.JSONField(
        _("last imported values"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("{field: value} of the last import; a field whose value differs was edited."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PublishedQuerySet.as_manager()

    class Meta:
        ordering = ["object_number"]
        verbose_name = _("artifact")
        verbose_name_plural = _("artifacts")
        constraints = [
            models.CheckConstraint(
                condition=Q(date_start_year__isnull=True)
                | Q(date_end_year__isnull=True)
                | Q(date_start_year__lte=models.F("date_end_year")),
                name="artifact_date_range_ordered",
                violation_error_message=_("The earliest year must not be after the latest year."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("artifact-detail", args=[self.pk])

    @property
    def is_published(self) -> bool:
        return self.status == PublicationStatus.PUBLISHED

    def web_model(self) -> Asset | None:
        """The asset the viewer loads, by the one rule `pick_web_model` (one query)."""
        return pick_web_model(
            self.assets.filter(
                Q(kind=Asset.Kind.LOD, label=WEB_LOD) | Q(kind=Asset.Kind.SOURCE, format="glb")
            )
        )

    def lods(self) -> dict[str, Asset]:
        """The newest LOD asset per label (thumb, web, inspection)."""
        newest: dict[str, Asset] = {}
        for asset in self.assets.filter(kind=Asset.Kind.LOD).order_by("-created_at", "-pk"):
            newest.setdefault(asset.label, asset)
        return newest

    def thumbnail(self) -> Asset | None:
        return self.assets.filter(kind=Asset.Kind.THUMBNAIL).order_by("-created_at").first()


class Job(models.Model):
    """A background job (intake, thumbnail, restoration...) with its progress for the UI."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=40)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    stage = models.CharField(_("stage"), max_length=120, blank=True)
    error = models.TextField(_("error"), blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    report = models.JSONField(
        _("report"), default=dict, blank=True, help_text=_("Validation report and results.")
    )
    attempts = models.PositiveSmallIntegerField(
        _("attempts"), default=0, help_text=_("Times a worker claimed the job (museum.jobs).")
    )
    artifact = models.ForeignKey(
        Artifact, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    input_asset = models.ForeignKey(
        "Asset", null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_percent")
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"


def asset_upload_to(instance: Asset, filename: str) -> str:
    """`artifacts/<id>/<kind>/<name>-<random>.<ext>`: ids are guessable, the random part is not."""
    return f"artifacts/{instance.artifact_id}/{instance.kind}/{unguessable(filename)}"


class Asset(models.Model):
    """A file of an artifact. Sources are stored untouched; everything else derives from one."""

    class Kind(models.TextChoices):
        SOURCE = "source", _("Source")
        LOD = "lod", _("Level of detail")
        RESTORED = "restored", _("Restored")
        THUMBNAIL = "thumbnail", _("Thumbnail")
        TEXTURE = "texture", _("Texture")
        IMAGE = "image", _("Image")  # a flat work's derived image: label "web" = the web copy

    artifact = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    label = models.CharField(
        _("label"), max_length=60, blank=True, help_text=_("For example 'web' or 'inspection'.")
    )
    file = models.FileField(_("file"), upload_to=asset_upload_to, max_length=400)
    original_filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    byte_size = models.PositiveBigIntegerField(_("size (bytes)"))
    format = models.CharField(_("format"), max_length=16, help_text=_("glb, gltf, obj, png..."))
    vertex_count = models.PositiveIntegerField(null=True, blank=True)
    face_count = models.PositiveIntegerField(null=True, blank=True)
    width_px = models.PositiveIntegerField(null=True, blank=True)
    height_px = models.PositiveIntegerField(null=True, blank=True)
    # Derivatives go with their origin: a derived file without its source has no provenance.
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="derivatives"
    )
    created_by_job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="outputs"
    )
    public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_(
            "Visitors may fetch this file (once the artifact is published): a source the curator "
            "released, or a restoration a curator accepted. Web copies (LODs, thumbnails, "
            "textures) of a published artifact are always public."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["artifact", "kind", "-created_at"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="source") | Q(derived_from__isnull=False),
                name="asset_derived_has_origin",
                violation_error_message=_("A derived asset must name the asset it derives from."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label} of {self.artifact_id}".replace("  ", " ")

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The source file is evidence: once stored it is never replaced (DESIGN: data flow 1).
        if self.pk and self.kind == self.Kind.SOURCE:
            stored = Asset.objects.filter(pk=self.pk).values_list("file", "sha256").first()
            if stored and (stored[0] != self.file.name or stored[1] != self.sha256):
                raise ValidationError(_("A source asset's file cannot be overwritten."))
        super().save(*args, **kwargs)


WEB_LOD = "web"  # the label of the LOD made for the browser


def newest_asset(
    assets: Iterable[Asset], kind: str, *, label: str | None = None, format: str | None = None
) -> Asset | None:
    """The newest asset (by creation, then id) of `kind` (and `label`, `format`) with a file."""
    matching = [
        asset
        for asset in assets
        if asset.kind == kind
        and asset.file
        and (label is None or asset.label == label)
        and (format is None or asset.format == format)
    ]
    return max(matching, key=lambda asset: (asset.created_at, asset.pk), default=None)


def pick_web_model(assets: Iterable[Asset]) -> Asset | None:
    """The one rule for which asset is the web model (the file the viewer, the API, IIIF and
    Linked Art point at): the newest web LOD, else the newest GLB source. Over loaded assets,
    so lists need no query per artifact; `Artifact.web_model()` applies it to one artifact."""
    assets = list(assets)
    return newest_asset(assets, Asset.Kind.LOD, label=WEB_LOD) or newest_asset(
        assets, Asset.Kind.SOURCE, format="glb"
    )


def annotation_media_upload_to(instance: Annotation, filename: str) -> str:
    """`annotations/<artifact id>/<name>-<random>.<ext>` (museum.media checks who may fetch)."""
    return f"annotations/{instance.artifact_id}/{unguessable(filename)}"


class Annotation(models.Model):
    """A hotspot on an artifact: a 3D point with its normal and the camera view that shows it,
    a region drawn on the model (`shape`), or, on a flat work, a region of one of its canvases
    (`region`; the 3D fields empty); with a class of the curators' vocabulary and a medium."""

    artifact = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="annotations")
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    position = models.JSONField(
        _("position"), default=list, blank=True, help_text=_("[x, y, z] in model metres.")
    )
    normal = models.JSONField(_("normal"), default=list, blank=True, help_text=_("[x, y, z]"))
    camera_position = models.JSONField(
        _("camera position"), default=list, blank=True, help_text=_("[x, y, z]")
    )
    camera_target = models.JSONField(
        _("camera target"), default=list, blank=True, help_text=_("[x, y, z]")
    )
    region = models.JSONField(
        _("region"),
        null=True,
        blank=True,
        help_text=_(
            'On a flat work: {"canvas": id, "xywh": [x, y, w, h]} or {"canvas": id, "type": '
            '"polygon"|"polyline", "points": [[x, y], ...]} (full-resolution pixels).'
        ),
    )
    shape = models.JSONField(
        _("shape"),
        null=True,
        blank=True,
        help_text=_(
            'On a 3D model: {"type": "polygon"|"polyline", "points": [[x, y, z], ...], '
            '"normals": [[x, y, z], ...]} in model metres.'
        ),
    )
    annotation_class = models.ForeignKey(
        "exhibits.AnnotationClass",
        verbose_name=_("class"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="annotations",
    )
    media = models.FileField(
        _("media"),
        upload_to=annotation_media_upload_to,
        max_length=400,
        blank=True,
        help_text=_("An image (JPEG, PNG, WebP) or a sound (MP3, OGG, M4A, WAV)."),
    )
    media_alt = models.TextField(
        _("media description"),
        blank=True,
        help_text=_("What the image shows or the sound says, for those who cannot see or hear it."),
    )

    class Meta:
        ordering = ["artifact", "order", "pk"]
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")

    def __str__(self) -> str:
        return self.title

    @property
    def is_region(self) -> bool:
        return self.region is not None

    def clean(self) -> None:
        """The one check (admin and API): a point with its view, a shape drawn on the model
        (its point and view optional), or a region of a canvas; and the medium."""
        errors: dict[str, Any] = {}
        if self.region is not None and self.shape is not None:
            errors["shape"] = _("A region is drawn on the model or on an image, not both.")
        elif self.region is not None:
            errors = self._region_errors()
        else:
            errors = self._shape_errors() if self.shape is not None else {}
            errors |= self._point_errors(optional=self.shape is not None)
        if self.media and not getattr(self.media, "_committed", True):
            from exhibits.annotating.validation import media_errors

            upload = self.media.file
            message = media_errors(upload, self.media.name or "", getattr(upload, "size", None))
            if message:
                errors["media"] = message
        if errors:
            raise ValidationError(errors)

    def _point_errors(self, *, optional: bool) -> dict[str, Any]:
        """The 3D point, normal and view; all may be empty when `optional` (a drawn shape)."""
        errors = {}
        fields = ("position", "camera_position", "camera_target", "normal")
        for field in fields:
            value = getattr(self, field)
            if value in (None, []) and (field == "normal" or optional):
                continue
            if not _is_vector(value, 3):
                errors[field] = _("Expected a list of three numbers [x, y, z].")
            elif field == "normal" and not any(value):
                errors[field] = _("A normal needs a direction: not [0, 0, 0].")
        view = (self.camera_position, self.camera_target)
        if not errors and optional and sum(v in (None, []) for v in view) == 1:
            errors["camera_target"] = _("Save both the camera position and its target, or none.")
        elif not errors and view[0] not in (None, []) and view[0] == view[1]:
            errors["camera_target"] = _("The camera must look at a point away from itself.")
        return errors

    def _shape_errors(self) -> dict[str, Any]:
        from exhibits.annotating.validation import shape_errors  # the one check (API, admin)

        artifact = Artifact.objects.filter(pk=self.artifact_id).first()
        if artifact is not None and artifact.form == ArtifactForm.FLAT:
            return {"shape": _("A flat work's regions are drawn on its images: use the region.")}
        dimensions = (
            (artifact.width_m, artifact.height_m, artifact.depth_m) if artifact else (None,) * 3
        )
        message = shape_errors(self.shape, dimensions_m=dimensions)
        return {"shape": message} if message else {}

    def _region_errors(self) -> dict[str, Any]:
        """A region: a canvas of this artifact, a box or a drawing inside it, 3D fields empty."""
        from exhibits.imaging.regions import region_errors  # the one check (API, admin)

        errors: dict[str, Any] = {}
        message = region_errors(self.region, artifact_id=self.artifact_id)
        if message:
            errors["region"] = message
        for field in ("position", "camera_position", "camera_target", "normal"):
            if getattr(self, field) not in (None, []):
                errors[field] = _("An annotation on a region has no 3D point or view: leave empty.")
        return errors


def _is_vector(value: object, size: int) -> bool:
    return (
        isinstance(value, list)
        and len(value) == size
        and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in value
        )
    )


class Exhibition(models.Model):
    """A curated, ordered selection of artifacts with an introduction."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    introduction = models.TextField(_("introduction"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
    )
    artifacts = models.ManyToManyField(
        Artifact, through="ExhibitionItem", related_name="exhibitions", blank=True
    )
    introduction_status = models.CharField(
        _("introduction status"),
        max_length=16,
        choices=TextStatus.choices,
        default=TextStatus.WRITTEN,
    )
    introduction_translations = models.JSONField(
        _("introduction in other languages"), default=dict, blank=True, help_text=_("{lang: text}")
    )
    suggested_by = models.CharField(
        _("suggested by"), max_length=60, blank=True, help_text=_("Tool that proposed it, if any.")
    )
    explanation = models.JSONField(
        _("explanation"), default=dict, blank=True, help_text=_("Why a suggestion groups these.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PublishedQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("exhibition")
        verbose_name_plural = _("exhibitions")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("exhibition-detail", args=[self.slug])

    @property
    def is_published(self) -> bool:
        return self.status == PublicationStatus.PUBLISHED

    @property
    def translated_introduction(self) -> str:
        """The introduction in the visitor's language where a translation is stored."""
        return in_active_language(self.introduction, self.introduction_translations)


class ExhibitionItem(models.Model):
    exhibition = models.ForeignKey(Exhibition, on_delete=models.CASCADE, related_name="items")
    artifact = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveIntegerField(_("order"), default=0)
    label_text = models.TextField(
        _("label text"), blank=True, help_text=_("Wall label for this exhibition; editable.")
    )
    label_status = models.CharField(
        _("label status"), max_length=16, choices=TextStatus.choices, default=TextStatus.WRITTEN
    )
    label_translations = models.JSONField(
        _("label in other languages"), default=dict, blank=True, help_text=_("{lang: text}")
    )
    room = models.ForeignKey(
        "museum.Room",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
        help_text=_("Where the artifact stands in the gallery."),
    )

    class Meta:
        ordering = ["exhibition", "order", "pk"]
        verbose_name = _("exhibition item")
        verbose_name_plural = _("exhibition items")
        constraints = [
            models.UniqueConstraint(
                fields=["exhibition", "artifact"], name="exhibition_item_unique_artifact"
            )
        ]

    def __str__(self) -> str:
        return f"{self.exhibition} #{self.order}: {self.artifact}"

    @property
    def translated_label(self) -> str:
        """The wall label in the visitor's language where a translation is stored."""
        return in_active_language(self.label_text, self.label_translations)
