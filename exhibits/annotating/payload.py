"""The one description of an annotation's region, class and medium for the API, the artifact
page's viewer config and the deep-zoom config (camelCase keys where a page reads them)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from exhibits.annotating.media_kind import media_kind
from exhibits.annotating.models import AnnotationClass
from exhibits.collection.models import Annotation


def class_payload(annotation_class: AnnotationClass | None) -> dict[str, Any] | None:
    """{id, name (in the active language), group, colour, damageClass}, or None."""
    if annotation_class is None:
        return None
    return {
        "id": annotation_class.pk,
        "name": annotation_class.localized_name(),
        "group": annotation_class.group,
        "colour": annotation_class.colour,
        "damageClass": annotation_class.damage_class or None,
    }


def media_payload(
    annotation: Annotation, request: HttpRequest | None = None
) -> dict[str, Any] | None:
    """{url, kind "image"|"audio", alt}, or None. The URL is /media/'s, which applies the
    artifact's visibility rule (museum.media)."""
    if not annotation.media:
        return None
    url = annotation.media.url
    return {
        "url": request.build_absolute_uri(url) if request is not None else url,
        "kind": media_kind(annotation.media.name or ""),
        "alt": annotation.media_alt,
    }


def annotation_extras(annotation: Annotation, request: HttpRequest | None = None) -> dict[str, Any]:
    """`shape`, `region`, `class` and `media` of one annotation (the contract of #23)."""
    return {
        "shape": annotation.shape,
        "region": annotation.region,
        "class": class_payload(annotation.annotation_class),
        "media": media_payload(annotation, request),
    }
