"""GET /api/artifacts/<id>/annotations.jsonld: the artifact's annotations as a W3C Web
Annotation AnnotationPage (exhibits.annotating.web_annotation), under the artifact's rule:
published artifacts for everyone, drafts for those who read drafts, else 404."""

from __future__ import annotations

import json

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_safe

from exhibits.annotating import web_annotation
from exhibits.collection.models import Annotation, Artifact, pick_web_model
from exhibits.collection.visibility import visible_artifacts, visible_assets
from exhibits.curation.iiif_flat import canvas_id


@require_safe
def artifact_annotations(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    artifact: Artifact = get_object_or_404(
        visible_artifacts(user).prefetch_related(
            Prefetch("assets", queryset=visible_assets(user)),
            Prefetch("annotations", Annotation.objects.select_related("annotation_class")),
            "canvases",
        ),
        pk=pk,
    )
    base = request.build_absolute_uri("/")
    canvases = {canvas.pk: canvas for canvas in artifact.canvases.all()}
    model = pick_web_model(artifact.assets.all())
    page_url = request.build_absolute_uri(artifact.get_absolute_url())
    model_source = (
        {
            "id": request.build_absolute_uri(model.file.url),
            "type": "Dataset",
            "format": "model/gltf-binary",
        }
        if model is not None
        else {"id": page_url, "type": "Text", "format": "text/html"}
    )

    def canvas_ref(pk: int) -> str | None:
        canvas = canvases.get(pk)
        return canvas_id(artifact, canvas, base) if canvas is not None else None

    data = web_annotation.annotation_page(
        request.build_absolute_uri(),
        artifact.annotations.all(),
        annotation_id=lambda a: request.build_absolute_uri(
            reverse("api:annotation-detail", args=[a.pk])
        ),
        media_url=lambda a: request.build_absolute_uri(a.media.url) if a.media else None,
        canvas_ref=canvas_ref,
        model_source=model_source,
        label=artifact.title,
    )
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type=web_annotation.CONTENT_TYPE
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["Vary"] = "Cookie"
    return response
