"""An artifact's annotations as a W3C Web Annotation `AnnotationPage` (JSON-LD,
http://www.w3.org/ns/anno.jsonld), and the selectors the IIIF manifests reuse.

Each annotation (motivation "commenting") has bodies: a TextualBody with its title and text
(purpose "describing"), its class's name (a TextualBody, purpose "tagging") and concept (a
SpecificResource whose source is the concept URI, purpose "classifying"), and its medium (an
external Image or Sound resource; the alt text as its `label`). Its target is a
SpecificResource:

- On a flat work the source is the IIIF Canvas of the image (`<manifest>/canvas/<id>`,
  full-resolution pixels): a box is a FragmentSelector conforming to Media Fragments
  (`xywh=x,y,w,h`), a drawn polygon or polyline an SvgSelector (one `<polygon>` or
  `<polyline>` element in canvas pixels).
- On a 3D object the source is the web model (glTF binary; the artifact's page when the reader
  may not fetch it) and the selector a FragmentSelector that conforms to MODEL_FRAGMENT, a
  fragment syntax of ours, since the W3C model has no 3D selector:
  `point=x,y,z[;normal=x,y,z]`, `polyline=x,y,z x,y,z ...` or `polygon=x,y,z x,y,z ...`
  (optionally `;normals=x,y,z ...`, one per point): coordinates in the model's metres and
  axes (glTF: Y up, standing on y = 0, footprint centred). The same numbers are in the
  artifact API (`position`, `shape`).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from exhibits.annotating.media_kind import claimed
from exhibits.collection.models import Annotation

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
CONTENT_TYPE = f'application/ld+json; profile="{ANNO_CONTEXT}"'
MEDIA_FRAGMENTS = "http://www.w3.org/TR/media-frags/"
MODEL_FRAGMENT = "urn:x-mouseion:model-fragment:1"
SVG_NS = "http://www.w3.org/2000/svg"
LANG = "en"
MEDIA_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "m4a": "audio/mp4",
    "wav": "audio/wav",
}

Resource = dict[str, Any]


def _number(value: float) -> str:
    """A coordinate without float noise: up to micrometres (or 0.001 px), no trailing zeros."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _points(points: Iterable[Sequence[float]]) -> str:
    return " ".join(",".join(_number(v) for v in point) for point in points)


def svg_value(region: dict[str, Any]) -> str:
    """The SVG of a drawn region: one <polygon> or <polyline> in canvas pixels."""
    element = "polygon" if region.get("type") == "polygon" else "polyline"
    return f'<svg xmlns="{SVG_NS}"><{element} points="{_points(region["points"])}"/></svg>'


def image_selector(region: dict[str, Any]) -> Resource:
    """A canvas region's selector: SvgSelector for a drawing, FragmentSelector for a box."""
    if region.get("type") in ("polygon", "polyline"):
        return {"type": "SvgSelector", "value": svg_value(region)}
    xywh = ",".join(str(round(v)) for v in region["xywh"])
    return {"type": "FragmentSelector", "conformsTo": MEDIA_FRAGMENTS, "value": f"xywh={xywh}"}


def model_fragment(annotation: Annotation) -> str:
    """The MODEL_FRAGMENT value of a 3D annotation (module docstring)."""
    shape = annotation.shape
    if shape:
        value = f"{shape['type']}={_points(shape['points'])}"
        if shape.get("normals"):
            value += f";normals={_points(shape['normals'])}"
        return value
    value = f"point={_points([annotation.position])}"
    if annotation.normal:
        value += f";normal={_points([annotation.normal])}"
    return value


def bodies(annotation: Annotation, media_url: str | None) -> list[Resource]:
    """The annotation's bodies (module docstring), in the class's English name."""
    text = f"<p><b>{html.escape(annotation.title)}</b></p>"
    if annotation.text:
        text += f"<p>{html.escape(annotation.text)}</p>"
    found: list[Resource] = [
        {
            "type": "TextualBody",
            "value": text,
            "format": "text/html",
            "language": LANG,
            "purpose": "describing",
        }
    ]
    annotation_class = annotation.annotation_class
    if annotation_class is not None:
        found.append(
            {
                "type": "TextualBody",
                "value": annotation_class.name,
                "format": "text/plain",
                "language": LANG,
                "purpose": "tagging",
            }
        )
        if annotation_class.concept_uri:
            found.append(
                {
                    "type": "SpecificResource",
                    "source": annotation_class.concept_uri,
                    "purpose": "classifying",
                }
            )
    if media_url and (claim := claimed(annotation.media.name or "")):
        kind, media_format = claim
        medium: Resource = {
            "id": media_url,
            "type": "Image" if kind == "image" else "Sound",
            "format": MEDIA_TYPES[media_format],
        }
        if annotation.media_alt:
            medium["label"] = annotation.media_alt
        found.append(medium)
    return found


def target(
    annotation: Annotation, *, canvas_ref: Callable[[int], str | None], model_source: Resource
) -> Resource | None:
    """The SpecificResource the annotation targets, or None when it cannot be said (a region
    on a canvas the reader cannot see)."""
    if annotation.region is not None:
        source = canvas_ref(annotation.region["canvas"])
        if source is None:
            return None
        return {
            "type": "SpecificResource",
            "source": source,
            "selector": image_selector(annotation.region),
        }
    if not annotation.shape and not annotation.position:
        return None
    return {
        "type": "SpecificResource",
        "source": model_source,
        "selector": {
            "type": "FragmentSelector",
            "conformsTo": MODEL_FRAGMENT,
            "value": model_fragment(annotation),
        },
    }


def annotation_page(
    page_id: str,
    annotations: Iterable[Annotation],
    *,
    annotation_id: Callable[[Annotation], str],
    media_url: Callable[[Annotation], str | None],
    canvas_ref: Callable[[int], str | None],
    model_source: Resource,
    label: str,
) -> Resource:
    """The AnnotationPage of an artifact's annotations (module docstring)."""
    items = []
    for annotation in annotations:
        aimed = target(annotation, canvas_ref=canvas_ref, model_source=model_source)
        if aimed is None:
            continue
        items.append(
            {
                "id": annotation_id(annotation),
                "type": "Annotation",
                "motivation": "commenting",
                "body": bodies(annotation, media_url(annotation)),
                "target": aimed,
            }
        )
    return {
        "@context": ANNO_CONTEXT,
        "id": page_id,
        "type": "AnnotationPage",
        "label": label,
        "items": items,
    }
