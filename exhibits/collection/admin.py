"""The curators' admin: the collection, its files (sources stay untouched), exhibitions, jobs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from exhibits.collection import services
from exhibits.collection.annotation_admin import AnnotationInline
from exhibits.collection.upload_form import SourceUploadForm
from exhibits.curation.admin import (
    CuratedTextAdminMixin,
    accept_suggestion_action,
    approve_texts_action,
    generate_labels_action,
    may_suggest_exhibitions,
    suggest_exhibitions_action,
)
from exhibits.curation.suggestion_admin import suggested_rooms_html
from exhibits.imaging.admin import CanvasInline
from exhibits.models import (
    Artifact,
    Asset,
    Exhibition,
    ExhibitionItem,
    Job,
    PublicationStatus,
)
from museum.jobs_admin import JobInline

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups

    # Mixins are checked as what they are mixed into.
    _AdminMixinBase = admin.ModelAdmin
else:
    _AdminMixinBase = object

PREVIEW_SIZE = {"small": 48, "large": 240}
# Everything that describes a stored file; fixed once the asset exists.
ASSET_INTEGRITY_FIELDS = (
    "artifact",
    "kind",
    "file",
    "original_filename",
    "sha256",
    "byte_size",
    "format",
    "vertex_count",
    "face_count",
    "width_px",
    "height_px",
    "derived_from",
    "created_by_job",
    "created_at",
)


def preview(asset: Asset | None, size: str = "small") -> str:
    """An <img> of a thumbnail or image asset, or a dash."""
    if asset is None or not asset.file:
        return "-"
    pixels = PREVIEW_SIZE[size]
    return format_html(
        '<img src="{}" alt="" width="{}" height="{}" style="object-fit: contain">',
        asset.file.url,
        pixels,
        pixels,
    )


def previewable(asset: Asset) -> Asset | None:
    """The asset itself if it is an image, else its newest thumbnail derivative."""
    if asset.format in services.IMAGE_FORMATS:
        return asset
    return asset.derivatives.filter(kind=Asset.Kind.THUMBNAIL).order_by("-created_at").first()


class PublicationActionsMixin(_AdminMixinBase):
    """`publish` and `unpublish` actions for models with a publication status."""

    actions: Sequence[Any] = ["publish", "unpublish"]

    def _set_status(self, request: HttpRequest, queryset: QuerySet, status: str) -> None:
        changed = services.set_publication_status(objects=queryset, status=status)
        message = ngettext("%(count)d record changed.", "%(count)d records changed.", changed)
        self.message_user(request, message % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Publish the selected records"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_status(request, queryset, PublicationStatus.PUBLISHED)

    @admin.action(description=_("Unpublish the selected records"), permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_status(request, queryset, PublicationStatus.DRAFT)


class AssetInline(admin.TabularInline):
    """The artifact's files, read-only: sources come from uploads, the rest from jobs."""

    model = Asset
    fk_name = "artifact"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["preview", "kind", "label", "format", "byte_size", "face_count", "created_at"]
    readonly_fields = cast(list[str], fields)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("preview"))
    def preview(self, asset: Asset) -> str:
        return preview(previewable(asset))


# Actions other apps offer on artifacts (restoration: condition check, restore), added with
# add_artifact_action from their admin modules instead of editing this admin's instance.
EXTRA_ARTIFACT_ACTIONS: list[Callable[..., None]] = []


def add_artifact_action(action: Callable[..., None]) -> None:
    if action not in EXTRA_ARTIFACT_ACTIONS:
        EXTRA_ARTIFACT_ACTIONS.append(action)


@admin.register(Artifact)
class ArtifactAdmin(PublicationActionsMixin, admin.ModelAdmin):
    actions = [*PublicationActionsMixin.actions, suggest_exhibitions_action]

    def has_suggest_exhibitions_permission(self, request: HttpRequest) -> bool:
        return may_suggest_exhibitions(request)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        found = super().get_actions(request)
        for action in EXTRA_ARTIFACT_ACTIONS:
            described = self.get_action(action)
            # _filter_actions_by_permissions: private Django API, not in the stubs.
            allowed = self._filter_actions_by_permissions  # type: ignore[attr-defined]
            if described is not None and allowed(request, [described]):
                found[described[1]] = described
        return found

    list_display = ["thumbnail", "object_number", "title", "classification", "culture", "status"]
    list_display_links = ["object_number", "title"]
    list_filter = ["status", "classification", "culture"]
    search_fields = ["object_number", "title", "culture", "maker"]
    inlines = [CanvasInline, AnnotationInline, AssetInline, JobInline]
    readonly_fields = ["created_at", "updated_at", "dimensions_source"]
    fieldsets = [
        (None, {"fields": ["object_number", "title", "status", "description"]}),
        (
            _("Classification"),
            {"fields": ["classification", "object_name", "culture", "period", "place_of_origin"]},
        ),
        (_("Date"), {"fields": ["date_text", ("date_start_year", "date_end_year")]}),
        (
            _("Physical description"),
            {
                "fields": [
                    "materials",
                    "dimensions",
                    ("height_m", "width_m", "depth_m"),
                    "dimensions_source",
                    "maker",
                ]
            },
        ),
        (_("Rights"), {"fields": ["credit_line", "rights", "attribution"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_inlines(self, request: HttpRequest, obj: Artifact | None) -> list[Any]:
        """Canvases only on a flat work's page (a scan's form keeps its formsets)."""
        inlines = list(super().get_inlines(request, obj))
        if obj is None or not obj.canvases.exists():
            inlines.remove(CanvasInline)
        return inlines

    def get_queryset(self, request: HttpRequest) -> QuerySet[Artifact]:
        thumbnails = Asset.objects.filter(kind=Asset.Kind.THUMBNAIL).order_by("-created_at")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("assets", thumbnails, to_attr="thumbnails"))
        )

    def save_model(self, request: HttpRequest, obj: Artifact, form: Any, change: bool) -> None:
        services.save_artifact(artifact=obj, changed_fields=form.changed_data)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        # An artifact owns its files and jobs: deleting it needs no permission on those.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        owned = {str(Asset._meta.verbose_name), str(Job._meta.verbose_name)}
        perms_needed = {name for name in perms_needed if str(name) not in owned}
        return deleted, counts, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: Artifact) -> None:
        services.delete_artifact(artifact=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Artifact]) -> None:
        for artifact in queryset:
            services.delete_artifact(artifact=artifact)

    @admin.display(description=_("thumbnail"))
    def thumbnail(self, artifact: Artifact) -> str:
        thumbnails = getattr(artifact, "thumbnails", None)
        return preview(thumbnails[0] if thumbnails else artifact.thumbnail())


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    """Files of artifacts. Only the label of a stored asset can change; sources stay untouched."""

    list_display = ["preview", "artifact", "kind", "label", "public", "byte_size", "created_at"]
    list_display_links = ["artifact", "kind"]
    list_filter = ["kind", "public", "format"]
    actions = ["make_sources_public", "make_sources_private"]
    list_select_related = ["artifact"]
    search_fields = ["artifact__object_number", "artifact__title", "sha256", "original_filename"]
    autocomplete_fields = ["artifact"]

    def get_form(
        self, request: HttpRequest, obj: Asset | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = SourceUploadForm
        return super().get_form(request, obj, change, **kwargs)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if object_id is None and request.method == "POST":
            # Not in the admin's transaction: on SQLite its write lock would be held while the
            # upload is copied (up to MOUSEION_MAX_UPLOAD_BYTES); add_source_asset commits the
            # rows in one short transaction of its own after writing the file.
            return self._changeform_view(  # type: ignore[attr-defined]  # not in the stubs
                request, object_id, form_url, extra_context
            )
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_fields(self, request: HttpRequest, obj: Asset | None = None) -> _FieldGroups:
        if obj is None:
            return ["artifact", "upload", ("unit", "up_axis"), "label"]
        return ["large_preview", "label", *ASSET_INTEGRITY_FIELDS]

    def get_readonly_fields(self, request: HttpRequest, obj: Asset | None = None) -> list[str]:
        if obj is None:
            return []
        return ["large_preview", *ASSET_INTEGRITY_FIELDS]

    def save_model(self, request: HttpRequest, obj: Asset, form: Any, change: bool) -> None:
        if not change:
            # Stored by SourceUploadForm through the intake service.
            if (
                isinstance(form, SourceUploadForm)
                and form.job is not None
                and obj.canvases.exists()
            ):
                message = _(
                    "Intake queued for “%(file)s”, an image of a flat work: web copy, thumbnail "
                    "and deep-zoom tiles. Its progress shows under Jobs."
                )
            elif isinstance(form, SourceUploadForm) and form.job is not None:
                message = _(
                    "Intake queued for “%(file)s”: validation, units and up axis, web copies "
                    "and a thumbnail. Its progress shows under Jobs."
                )
            else:
                message = _("“%(file)s” stored; an image needs no intake.")
            self.message_user(request, message % {"file": obj.original_filename}, messages.INFO)
            return
        services.relabel_asset(asset=obj, label=obj.label)

    def response_add(
        self, request: HttpRequest, obj: Asset, post_url_continue: str | None = None
    ) -> HttpResponse:
        """After an upload, the artifact's page: its jobs and files are there (Django's own
        "added" message would repeat ours)."""
        if "_addanother" in request.POST or "_continue" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        if request.user.has_perm("exhibits.view_artifact"):
            url = reverse("admin:exhibits_artifact_change", args=[obj.artifact_id])
        else:
            url = reverse("admin:exhibits_asset_change", args=[obj.pk])
        return HttpResponseRedirect(url)

    @admin.action(description=_("Let visitors fetch the selected sources"), permissions=["change"])
    def make_sources_public(self, request: HttpRequest, queryset: QuerySet[Asset]) -> None:
        count = services.set_source_public(assets=queryset, public=True)
        self.message_user(request, _("%(n)d source files made public.") % {"n": count})

    @admin.action(description=_("Make the selected sources private"), permissions=["change"])
    def make_sources_private(self, request: HttpRequest, queryset: QuerySet[Asset]) -> None:
        count = services.set_source_public(assets=queryset, public=False)
        self.message_user(request, _("%(n)d source files made private.") % {"n": count})

    def has_delete_permission(self, request: HttpRequest, obj: Asset | None = None) -> bool:
        # A source is evidence: only a superuser may delete one (e.g. a mistaken upload).
        if obj is not None and obj.kind == Asset.Kind.SOURCE and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Asset) -> None:
        if obj.kind == Asset.Kind.SOURCE:
            services.delete_source_asset(asset=obj)  # superusers only: has_delete_permission
        else:
            services.delete_derived_asset(asset=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Asset]) -> None:
        for asset in queryset:
            self.delete_model(request, asset)

    @admin.display(description=_("preview"))
    def preview(self, asset: Asset) -> str:
        return preview(previewable(asset))

    @admin.display(description=_("preview"))
    def large_preview(self, asset: Asset) -> str:
        return preview(previewable(asset), size="large")


class ExhibitionItemInline(admin.TabularInline):
    model = ExhibitionItem
    extra = 0
    ordering = ["order", "pk"]
    fields = ["order", "artifact", "room", "label_text", "label_status"]
    readonly_fields = ["label_status"]
    autocomplete_fields = ["artifact"]


@admin.register(Exhibition)
class ExhibitionAdmin(CuratedTextAdminMixin, PublicationActionsMixin, admin.ModelAdmin):
    actions = [
        *PublicationActionsMixin.actions,
        generate_labels_action,
        accept_suggestion_action,
        approve_texts_action,
    ]
    list_display = ["title", "slug", "status", "updated_at"]
    list_filter = ["status"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    fields = [
        "title",
        "slug",
        "status",
        "introduction",
        "introduction_status",
        "suggested_by",
        "suggested_rooms",
        "created_by",
    ]
    readonly_fields = ["created_by", "introduction_status", "suggested_by", "suggested_rooms"]
    inlines = [ExhibitionItemInline]

    class Media:
        # Long titles, labels and suggested rooms wrap within the window (#22 item 13).
        css = {"all": ["css/admin-curation.css"]}

    def get_fields(self, request: HttpRequest, obj: Exhibition | None = None) -> _FieldGroups:
        fields = list(super().get_fields(request, obj))
        if obj is None or not obj.explanation.get("rooms"):
            fields.remove("suggested_rooms")
        return fields

    @admin.display(description=_("suggested rooms"))
    def suggested_rooms(self, exhibition: Exhibition) -> str:
        return suggested_rooms_html(exhibition)

    def save_model(self, request: HttpRequest, obj: Exhibition, form: Any, change: bool) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = cast(User, request.user)  # the admin is for staff only
        super().save_model(request, obj, form, change)
