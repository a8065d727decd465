"""A flat work's canvases on its artifact's admin page: order and label editable (recto, verso,
the pages of a manuscript), the image, its size, scale and IIIF service shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from exhibits.models import Canvas


class CanvasInline(admin.TabularInline):
    model = Canvas
    fk_name = "artifact"
    extra = 0
    can_delete = False  # a canvas goes with its source image (delete the asset)
    fields = ["web_preview", "order", "label", "size", "pixels_per_cm", "scale_source", "iiif"]
    readonly_fields = ["web_preview", "size", "pixels_per_cm", "scale_source", "iiif"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # canvases come from image uploads (intake)

    @admin.display(description=_("image"))
    def web_preview(self, canvas: Canvas) -> str:
        web = canvas.web_image()
        if web is None or not web.file:
            return "—"
        return format_html(
            '<img src="{}" alt="" style="max-height:80px;max-width:120px">', web.file.url
        )

    @admin.display(description=_("size (px)"))
    def size(self, canvas: Canvas) -> str:
        return f"{canvas.width_px} × {canvas.height_px}"

    @admin.display(description=_("IIIF image"))
    def iiif(self, canvas: Canvas) -> str:
        service = canvas.image_service()
        if service is None:
            return "—"
        return format_html('<a href="/iiif/3/{}/info.json">info.json</a>', service.identifier)
