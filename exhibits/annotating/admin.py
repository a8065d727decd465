"""The curators' vocabulary of region annotation classes (permissions: museum/roles.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, Field, QuerySet, URLField
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from exhibits.annotating.models import AnnotationClass


@admin.register(AnnotationClass)
class AnnotationClassAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "name_fr",
        "group",
        "swatch",
        "damage_class",
        "order",
        "annotation_count",
    ]
    list_editable = ["order"]
    list_filter = ["group", "damage_class"]
    search_fields = ["name", "name_fr", "concept_uri"]
    fields = [("name", "name_fr"), ("group", "damage_class"), ("colour", "order"), "concept_uri"]

    def formfield_for_dbfield(self, db_field: Field, request: HttpRequest, **kwargs: Any) -> Any:
        if isinstance(db_field, URLField):
            kwargs["assume_scheme"] = "https"  # a concept URI typed without a scheme
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AnnotationClass]:
        return super().get_queryset(request).annotate(count=Count("annotations"))

    @admin.display(description=_("colour"))
    def swatch(self, obj: AnnotationClass) -> SafeString:
        return format_html(
            '<span style="display:inline-block;width:1.2em;height:1.2em;background:{};'
            'border:1px solid #0006;vertical-align:middle" aria-hidden="true"></span> {}',
            obj.colour,
            obj.colour,
        )

    @admin.display(description=_("annotations"), ordering="count")
    def annotation_count(self, obj: AnnotationClass) -> int:
        return int(getattr(obj, "count", 0))
