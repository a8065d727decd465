"""IIIF Presentation 3 manifests of artifacts and exhibitions, built as plain dictionaries.

Framework-light: the builders take model instances (with their assets and annotations, ideally
prefetched) and the site's base URL, and return plain JSON-ready dicts in the shape of the
Presentation 3 API (resources with `id` and `type`, language maps, annotation pages). No IIIF
library is used: the one there was (iiif-prezi3) capped Pillow below its security fixes and
added nothing here but validation. Presentation 3 has no Scene (that is the 3D work of
Presentation 4), so the 3D model is painted on a Canvas as a content resource of type "Model",
the way the IIIF 3D community group publishes 3D in Presentation 3. Hotspots go in a commenting
AnnotationPage; their 3D points cannot be expressed (Presentation 3's PointSelector has x/y
only) and target the Canvas.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urljoin

from django.urls import reverse

from exhibits.collection.models import pick_web_model
from exhibits.collection.serializers import pick_thumbnail
from exhibits.models import Annotation as Hotspot
from exhibits.models import Artifact, Asset, Exhibition, ExhibitionItem

# A IIIF resource as JSON: a dict with at least "id" and "type" (or a label/value pair).
Resource = dict[str, Any]

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
CONTENT_TYPE = f'application/ld+json;profile="{PRESENTATION_CONTEXT}"'
LANG = "en"
# A Canvas needs a 2D extent even when it carries a 3D model: a nominal square.
NOMINAL_EXTENT = 1000

MEDIA_TYPES = {
    "glb": ("Model", "model/gltf-binary"),
    "gltf": ("Model", "model/gltf+json"),
    "obj": ("Model", "model/obj"),
    "stl": ("Model", "model/stl"),
    "ply": ("Model", "model/ply"),
    "png": ("Image", "image/png"),
    "jpg": ("Image", "image/jpeg"),
    "jpeg": ("Image", "image/jpeg"),
    "webp": ("Image", "image/webp"),
}

# (label, field) of the catalogue fields shown as IIIF metadata, in reading order.
METADATA_FIELDS = (
    ("Object number", "object_number"),
    ("Classification", "classification"),
    ("Object name", "object_name"),
    ("Maker", "maker"),
    ("Date", "date_text"),
    ("Culture", "culture"),
    ("Period", "period"),
    ("Dynasty", "dynasty"),
    ("Reign", "reign"),
    ("Style", "style"),
    ("Place of origin", "place_of_origin"),
    ("Place of discovery", "place_of_discovery"),
    ("Country", "country"),
    ("Continent", "continent"),
    ("Materials", "materials"),
    ("Dimensions", "dimensions"),
    ("Credit line", "credit_line"),
    ("Rights", "rights"),
    ("Source record", "source_url"),
)

_CC_LICENCES = {"by", "by-sa", "by-nd", "by-nc", "by-nc-sa", "by-nc-nd"}
_CC_URI = re.compile(r"^https?://creativecommons\.org/(licenses|publicdomain)/([a-z-]+)/(\d\.\d)")
_RS_URI = re.compile(r"^https?://rightsstatements\.org/(?:vocab|page)/([A-Za-z-]+)/(\d\.\d)")
_CC_SHORT = re.compile(r"\bCC[ -]?(BY(?:-(?:NC|SA|ND)){0,2})[ -]?(\d\.\d)\b", re.IGNORECASE)


def lang_map(*values: str) -> dict[str, list[str]]:
    """A IIIF language map in English of the non-empty `values`."""
    return {LANG: [value for value in values if value]}


def absolute(base_url: str, path: str) -> str:
    """`path` (or an already absolute URL) resolved against the site's base URL."""
    return urljoin(base_url, path)


def rights_uri(text: str) -> str | None:
    """The Creative Commons or RightsStatements.org URI that `text` names, if it names one.

    IIIF `rights` takes only such URIs; anything else stays a metadata entry.
    """
    text = text.strip()
    if match := _CC_URI.match(text):
        kind, code, version = match.groups()
        return f"http://creativecommons.org/{kind}/{code}/{version}/"
    if match := _RS_URI.match(text):
        code, version = match.groups()
        return f"http://rightsstatements.org/vocab/{code}/{version}/"
    if re.search(r"\bCC0\b", text, re.IGNORECASE):
        return "http://creativecommons.org/publicdomain/zero/1.0/"
    if re.search(r"\bpublic domain mark\b", text, re.IGNORECASE):
        return "http://creativecommons.org/publicdomain/mark/1.0/"
    if (match := _CC_SHORT.search(text)) and match.group(1).lower() in _CC_LICENCES:
        return f"http://creativecommons.org/licenses/{match.group(1).lower()}/{match.group(2)}/"
    return None


def _key_value(label: str, *values: str) -> Resource:
    """A label/value pair (metadata entry or requiredStatement) of English language maps."""
    return {"label": lang_map(label), "value": lang_map(*values)}


def _annotation(
    annotation_id: str, motivation: str, body: Resource, target: str | Resource
) -> Resource:
    return {
        "id": annotation_id,
        "type": "Annotation",
        "motivation": motivation,
        "body": body,
        "target": target,
    }


def artifact_metadata(artifact: Artifact) -> list[Resource]:
    """The filled catalogue fields as IIIF metadata pairs; empty fields are left out."""
    pairs = [
        _key_value(label, str(getattr(artifact, field)))
        for label, field in METADATA_FIELDS
        if getattr(artifact, field)
    ]
    subjects = [word.strip() for word in artifact.keywords.split("|") if word.strip()]
    if subjects:
        pairs.append(_key_value("Subjects", *subjects))
    return pairs


def _required_statement(artifact: Artifact) -> Resource | None:
    if not (artifact.credit_line or artifact.attribution):
        return None
    return _key_value("Attribution", artifact.credit_line, artifact.attribution)


def _media_body(asset: Asset, base_url: str, label: dict[str, list[str]] | None = None) -> Resource:
    kind, media_type = MEDIA_TYPES.get(
        asset.format.lower(), ("Dataset", "application/octet-stream")
    )
    body: Resource = {"id": absolute(base_url, asset.file.url), "type": kind, "format": media_type}
    if label is not None:
        body["label"] = label
    if asset.width_px and asset.height_px and kind == "Image":
        body |= {"width": asset.width_px, "height": asset.height_px}
    return body


def _page(page_id: str, annotations: list[Resource]) -> Resource:
    return {"id": page_id, "type": "AnnotationPage", "items": annotations}


def comment(hotspot: Hotspot, annotation_id: str, target: str | Resource) -> Resource:
    """An annotation of the artifact as a commenting annotation (an HTML text body)."""
    text = f"<p><b>{html.escape(hotspot.title)}</b></p>"
    if hotspot.text:
        text += f"<p>{html.escape(hotspot.text)}</p>"
    body = {"type": "TextualBody", "value": text, "format": "text/html", "language": LANG}
    annotation = _annotation(annotation_id, "commenting", body, target)
    annotation["label"] = lang_map(hotspot.title)
    return annotation


def painting_page(canvas_id: str, body: Resource | None) -> Resource:
    """The Canvas's painting AnnotationPage: `body` painted on the whole Canvas (or nothing)."""
    painting = (
        []
        if body is None
        else [_annotation(f"{canvas_id}/annotation/painting", "painting", body, canvas_id)]
    )
    return _page(f"{canvas_id}/page/painting", painting)


def _hotspot_page(canvas_id: str, hotspots: Iterable[Hotspot]) -> Resource | None:
    """The artifact's 3D hotspots as commenting annotations on the Canvas (HTML text bodies)."""
    annotations = [
        comment(hotspot, f"{canvas_id}/hotspot/{hotspot.pk}", canvas_id)
        for hotspot in hotspots
        if hotspot.region is None
    ]
    return _page(f"{canvas_id}/page/hotspots", annotations) if annotations else None


def _canvas_id(artifact: Artifact, base_url: str) -> str:
    manifest_path = reverse("interop:iiif-artifact", args=[artifact.pk])
    return absolute(base_url, manifest_path.rsplit("/", 1)[0] + "/canvas/model")


def artifact_canvas(artifact: Artifact, base_url: str, *, describe: bool = False) -> Resource:
    """The Canvas on which a 3D artifact's web model is painted (its thumbnail if no model).

    With `describe`, the Canvas carries the artifact's own descriptive properties (for
    exhibition manifests, where each Canvas is a different artifact).
    """
    assets = list(artifact.assets.all())
    model, thumbnail = pick_web_model(assets), pick_thumbnail(assets)
    canvas_id = _canvas_id(artifact, base_url)
    width = (thumbnail and thumbnail.width_px) or NOMINAL_EXTENT
    height = (thumbnail and thumbnail.height_px) or NOMINAL_EXTENT
    painted = (
        model if model and model.file else (thumbnail if thumbnail and thumbnail.file else None)
    )
    body = None
    if painted is not None:
        label = lang_map(f"3D model ({painted.label})" if painted.label else "3D model")
        body = _media_body(painted, base_url, label=label if painted is model else None)
    canvas: Resource = {
        "id": canvas_id,
        "type": "Canvas",
        "label": lang_map(artifact.title),
        "width": width,
        "height": height,
        "items": [painting_page(canvas_id, body)],
    }
    if hotspots := _hotspot_page(canvas_id, artifact.annotations.all()):
        canvas["annotations"] = [hotspots]
    if thumbnail is not None and thumbnail.file:
        canvas["thumbnail"] = [_media_body(thumbnail, base_url)]
        if painted is model:
            # 2D viewers that cannot render a Model show the rendered thumbnail instead.
            placeholder_id = f"{canvas_id}/placeholder"
            image = _annotation(
                f"{placeholder_id}/annotation/painting",
                "painting",
                _media_body(thumbnail, base_url),
                placeholder_id,
            )
            canvas["placeholderCanvas"] = {
                "id": placeholder_id,
                "type": "Canvas",
                "width": width,
                "height": height,
                "items": [_page(f"{placeholder_id}/page/painting", [image])],
            }
    return _described(canvas, artifact, base_url) if describe else canvas


def _described(canvas: Resource, artifact: Artifact, base_url: str) -> Resource:
    """`canvas` with its artifact's descriptive properties and a link to its manifest."""
    canvas |= _descriptive(artifact, base_url)
    manifest_id = absolute(base_url, reverse("interop:iiif-artifact", args=[artifact.pk]))
    canvas["partOf"] = [{"id": manifest_id, "type": "Manifest"}]
    return canvas


def artifact_canvases(artifact: Artifact, base_url: str) -> list[Resource]:
    """The artifact's Canvases: one per image of a flat work, else the one of its 3D model."""
    from exhibits.curation.iiif_flat import flat_canvas, flat_canvases  # it imports this module

    rows = flat_canvases(artifact)
    if not rows:
        return [artifact_canvas(artifact, base_url)]
    return [flat_canvas(artifact, row, base_url) for row in rows]


def _homepage(base_url: str, path: str, title: str) -> list[Resource]:
    return [
        {
            "id": absolute(base_url, path),
            "type": "Text",
            "label": lang_map(title),
            "format": "text/html",
        }
    ]


def _descriptive(artifact: Artifact, base_url: str) -> dict[str, Any]:
    """metadata, summary, requiredStatement, rights and homepage of an artifact, when known."""
    properties: dict[str, Any] = {}
    if metadata := artifact_metadata(artifact):
        properties["metadata"] = metadata
    if artifact.description:
        properties["summary"] = lang_map(artifact.description)
    if statement := _required_statement(artifact):
        properties["requiredStatement"] = statement
    if uri := rights_uri(artifact.rights):
        properties["rights"] = uri
    properties["homepage"] = _homepage(base_url, artifact.get_absolute_url(), artifact.title)
    return properties


def _manifest(
    manifest_id: str, title: str, canvases: list[Resource], properties: dict[str, Any]
) -> dict[str, Any]:
    """The manifest as JSON-LD, its @context first."""
    return {
        "@context": PRESENTATION_CONTEXT,
        "id": manifest_id,
        "type": "Manifest",
        "label": lang_map(title),
        **properties,
        "items": canvases,
    }


def artifact_manifest(artifact: Artifact, base_url: str) -> dict[str, Any]:
    """A Presentation 3 manifest of one artifact: one Canvas with its 3D model, or one per
    image of a flat work (recto, verso, pages), in order."""
    manifest_id = absolute(base_url, reverse("interop:iiif-artifact", args=[artifact.pk]))
    canvases = artifact_canvases(artifact, base_url)
    properties = _descriptive(artifact, base_url)
    thumbnail = pick_thumbnail(list(artifact.assets.all()))
    if thumbnail is not None and thumbnail.file:
        properties["thumbnail"] = [_media_body(thumbnail, base_url)]
    elif canvases[0].get("thumbnail"):
        properties["thumbnail"] = canvases[0]["thumbnail"]
    return _manifest(manifest_id, artifact.title, canvases, properties)


def exhibition_manifest(
    exhibition: Exhibition, items: Sequence[ExhibitionItem], base_url: str
) -> dict[str, Any]:
    """A Presentation 3 manifest of an exhibition: one described Canvas per item, in order.

    A Manifest (not a Collection of the artifact manifests) because an exhibition is one
    curated, ordered presentation: viewers page through its canvases as a sequence, in one
    request. Each Canvas keeps its artifact's metadata, rights and attribution, uses the same
    id as in the artifact's own manifest and names that manifest in `partOf`. The wall label,
    when written, is the Canvas summary. A flat work shows its first image (its manifest has
    the others).
    """
    manifest_id = absolute(base_url, reverse("interop:iiif-exhibition", args=[exhibition.slug]))
    canvases = []
    for item in items:
        canvas = _described(artifact_canvases(item.artifact, base_url)[0], item.artifact, base_url)
        if item.label_text:
            canvas["summary"] = lang_map(item.label_text)
        canvases.append(canvas)
    properties: dict[str, Any] = {
        "homepage": _homepage(base_url, exhibition.get_absolute_url(), exhibition.title)
    }
    if exhibition.introduction:
        properties["summary"] = lang_map(exhibition.introduction)
    if first_thumbnail := next((c["thumbnail"] for c in canvases if c.get("thumbnail")), None):
        properties["thumbnail"] = first_thumbnail
    return _manifest(manifest_id, exhibition.title, canvases, properties)
