"""Annotations in the admin: placed by clicking on the artifact's model, with the current view
saved by a button, as tours' "Save this view for the stop" does (#22 item 2). The typed
[x, y, z] fields stay as the fallback; `Annotation.clean` validates them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from exhibits.annotating.payload import class_payload
from exhibits.models import Annotation, AnnotationClass


class AnnotationInline(admin.StackedInline):
    """Typed here; placed by clicking on the model from each annotation's own page (Change)."""

    model = Annotation
    extra = 0
    show_change_link = True
    fields = [
        ("title", "order"),
        "text",
        ("position", "normal"),
        ("camera_position", "camera_target"),
    ]


VECTOR_FIELDS = ("position", "normal", "camera_position", "camera_target")


class VectorField(forms.JSONField):
    """An [x, y, z] typed as JSON; empty until set (JSONField's form field shows None as
    "null", which reads like a value)."""

    def prepare_value(self, value: Any) -> Any:
        return "" if value in (None, []) else super().prepare_value(value)


class RegionField(forms.JSONField):
    """A drawn region as JSON (`shape` on the model, `region` on an image): written by the
    drawing tools (js/lib/region-drawing.js, the deep-zoom editor), typed as the fallback;
    empty means none."""

    def prepare_value(self, value: Any) -> Any:
        return "" if value is None else super().prepare_value(value)


REGION_FIELDS = ("shape", "region")


class AnnotationForm(forms.ModelForm):
    """The typed [x, y, z] fields stay as the fallback of the 3D placement (Annotation.clean
    validates them); the editor above them fills them in (js/pages/annotation-editor.js), and
    its drawing tools write `shape` (or, on an image, `region`)."""

    class Meta:
        model = Annotation
        fields = [
            "artifact",
            "title",
            "order",
            "text",
            "annotation_class",
            "media",
            "media_alt",
            *VECTOR_FIELDS,
            *REGION_FIELDS,
        ]
        field_classes = dict.fromkeys(VECTOR_FIELDS, VectorField) | dict.fromkeys(
            REGION_FIELDS, RegionField
        )
        widgets = {
            name: forms.Textarea(attrs={"rows": 1, "cols": 36, "spellcheck": "false"})
            for name in VECTOR_FIELDS
        } | {
            name: forms.Textarea(attrs={"rows": 2, "cols": 60, "spellcheck": "false"})
            for name in REGION_FIELDS
        }
        help_texts = {
            "position": _("Click on the model to set it, or type [x, y, z] in model metres."),
            "normal": _("Set with the position: the surface's outward direction [x, y, z]."),
            "camera_position": _("“Save this view” fills it from the viewer; [x, y, z]."),
            "camera_target": _("The point the saved view looks at; [x, y, z]."),
            "shape": _(
                "Drawn with the Polyline or Polygon tool, or typed: "
                '{"type": "polygon", "points": [[x, y, z], ...]} in model metres.'
            ),
            "region": _(
                'On an image: {"canvas": id, "type": "polygon", "points": [[x, y], ...]} or '
                '{"canvas": id, "xywh": [x, y, w, h]} in full-resolution pixels.'
            ),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # An empty typed vector is the model's "none" ([]), never JSON null.
        for name in VECTOR_FIELDS:
            if name in cleaned and cleaned[name] is None:
                cleaned[name] = []
        return cleaned


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    """Annotations are placed by clicking on the artifact's model and saving the current view
    (templates/admin/exhibits/annotation/change_form.html); the typed fields are the fallback."""

    form = AnnotationForm
    list_display = ["title", "artifact", "annotation_class", "order"]
    list_select_related = ["artifact", "annotation_class"]
    list_filter = ["annotation_class"]
    search_fields = ["title", "artifact__object_number", "artifact__title"]
    autocomplete_fields = ["artifact"]
    fieldsets = [
        (None, {"fields": ["artifact", ("title", "order"), "text", "annotation_class"]}),
        (
            _("Place and view"),
            {"fields": [("position", "normal"), ("camera_position", "camera_target")]},
        ),
        (_("Region drawn"), {"fields": ["shape", "region"]}),
        (_("Medium"), {"fields": ["media", "media_alt"]}),
    ]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Annotation | None = None,
    ) -> HttpResponse:
        context["annotation_editor"] = annotation_editor_config(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)


def annotation_editor_config(annotation: Annotation | None) -> dict[str, Any]:
    """What js/pages/annotation-editor.js needs (json_script): where to read the artifact's
    model and other annotations, the Draco decoder, and the UI strings."""
    return {
        "artifactApi": "/api/artifacts/{id}/",
        "annotationId": annotation.pk if annotation else None,
        # The curators' vocabulary (colours of the drawn regions, in the active language).
        "classes": [
            class_payload(annotation_class) for annotation_class in AnnotationClass.objects.all()
        ],
        "dracoDecoderPath": static("vendor/three/addons/libs/draco/gltf/"),
        "strings": {
            "chooseArtifact": gettext_now("Choose the artifact to see its model here."),
            "loading": gettext_now("Loading the 3D model…"),
            "loadError": gettext_now("The 3D model could not be loaded; type the values below."),
            "noModel": gettext_now(
                "This artifact has no 3D model yet (its intake may still run); type the values "
                "below or come back later."
            ),
            "ready": gettext_now(
                "Click on the model to place the annotation, then frame it and save the view."
            ),
            "placed": gettext_now("Placed at [{x}, {y}, {z}]."),
            "missed": gettext_now("That is not on the model; click on its surface."),
            "viewSaved": gettext_now("View saved. Save the annotation to keep it."),
            "noSavedView": gettext_now("No valid saved view yet."),
            "hotspot": gettext_now("Annotation {number}: {title}"),
        },
    }
