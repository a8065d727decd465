"""IIIF Presentation 3 canvases of a flat work (painting, print, page, photograph).

One Canvas per image of the work (`exhibits.models.Canvas`), in order, sized in the image's
full-resolution pixels. Its painting annotation's body is the public web copy (a JPEG any client
can show) carrying the image's IIIF Image API 3 level-0 service, so deep-zoom clients (Mirador,
Universal Viewer) read the tiles instead. Region annotations of the work are commenting
annotations on the canvas (its `annotations`): a box targets the canvas with a media fragment,
`<canvas id>#xywh=x,y,w,h`; a drawn polygon or polyline a SpecificResource of the canvas with
an SvgSelector.
The builders read prefetched rows (`canvases` with `source__image_service`, the reader's
visible assets, annotations): no query per canvas.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse

from exhibits.annotating.web_annotation import image_selector
from exhibits.curation.iiif import Resource, absolute, comment, lang_map, painting_page
from exhibits.models import WEB_IMAGE, Artifact, Asset, Canvas, ImageService
from exhibits.models import Annotation as Hotspot

IMAGE_SERVICE_TYPE = "ImageService3"
IMAGE_SERVICE_PROFILE = "level0"

# (canvas, its visible web copy, its image service), in the canvases' order.
FlatCanvas = tuple[Canvas, Asset | None, ImageService | None]


def image_service_of(asset: Asset) -> ImageService | None:
    """The asset's IIIF image service, or None (reads a select_related/prefetched row)."""
    try:
        return asset.image_service
    except ObjectDoesNotExist:
        return None


def image_service_url(service: ImageService, base_url: str) -> str:
    """The service's base URI (no trailing slash): `<base>/iiif/3/<identifier>`."""
    return absolute(base_url, f"/iiif/3/{service.identifier}")


def _newest(assets: list[Asset]) -> Asset | None:
    return max(assets, key=lambda a: (a.created_at, a.pk), default=None)


def flat_canvases(artifact: Artifact) -> list[FlatCanvas]:
    """The canvases of a flat work with their web copy (among the assets the reader may see,
    i.e. the prefetched `artifact.assets`) and image service; [] for a 3D object."""
    if artifact.form != Artifact.Form.FLAT:
        return []
    visible = [a for a in artifact.assets.all() if a.kind == Asset.Kind.IMAGE and a.file]
    rows = []
    for canvas in artifact.canvases.all():
        copies = [
            a for a in visible if a.label == WEB_IMAGE and a.derived_from_id == canvas.source_id
        ]
        rows.append((canvas, _newest(copies), image_service_of(canvas.source)))
    return rows


def canvas_id(artifact: Artifact, canvas: Canvas, base_url: str) -> str:
    manifest_path = reverse("interop:iiif-artifact", args=[artifact.pk])
    return absolute(base_url, manifest_path.rsplit("/", 1)[0] + f"/canvas/{canvas.pk}")


def _image_body(web: Asset | None, service: ImageService | None, base_url: str) -> Resource | None:
    """The web copy, with the image service; or, before the web copy exists, the largest
    full-image size the level-0 service has."""
    body: Resource
    if web is not None:
        body = {"id": absolute(base_url, web.file.url), "type": "Image", "format": "image/jpeg"}
        if web.width_px and web.height_px:
            body |= {"width": web.width_px, "height": web.height_px}
    elif service is not None and service.sizes:
        width, height = max(service.sizes, key=lambda size: size[0] * size[1])
        url = f"{image_service_url(service, base_url)}/full/{width},{height}/0/default.jpg"
        body = {
            "id": url,
            "type": "Image",
            "format": "image/jpeg",
            "width": width,
            "height": height,
        }
    else:
        return None
    if service is not None:
        body["service"] = [
            {
                "id": image_service_url(service, base_url),
                "type": IMAGE_SERVICE_TYPE,
                "profile": IMAGE_SERVICE_PROFILE,
            }
        ]
    return body


def xywh(region: dict[str, Any]) -> str:
    """The media fragment of a region, in whole pixels: "xywh=10,20,300,400"."""
    return "xywh=" + ",".join(str(round(v)) for v in region["xywh"])


def region_target(canvas_ref: str, region: dict[str, Any]) -> str | Resource:
    """A box: the canvas with a media fragment; a drawn polygon or polyline: a SpecificResource
    of the canvas with an SvgSelector (exhibits.annotating.web_annotation, the W3C export)."""
    if region.get("type") in ("polygon", "polyline"):
        return {
            "type": "SpecificResource",
            "source": canvas_ref,
            "selector": image_selector(region),
        }
    return f"{canvas_ref}#{xywh(region)}"


def _region_page(canvas_ref: str, canvas: Canvas, hotspots: list[Hotspot]) -> Resource | None:
    annotations = [
        comment(
            hotspot, f"{canvas_ref}/region/{hotspot.pk}", region_target(canvas_ref, hotspot.region)
        )
        for hotspot in hotspots
        if hotspot.region is not None and hotspot.region.get("canvas") == canvas.pk
    ]
    if not annotations:
        return None
    return {"id": f"{canvas_ref}/page/regions", "type": "AnnotationPage", "items": annotations}


def flat_canvas(artifact: Artifact, row: FlatCanvas, base_url: str) -> Resource:
    """One image of the work as a Canvas: the image painted, its regions as comments."""
    canvas, web, service = row
    canvas_ref = canvas_id(artifact, canvas, base_url)
    body = _image_body(web, service, base_url)
    resource: Resource = {
        "id": canvas_ref,
        "type": "Canvas",
        "label": lang_map(canvas.label or artifact.title),
        "width": canvas.width_px,
        "height": canvas.height_px,
        "items": [painting_page(canvas_ref, body)],
    }
    if page := _region_page(canvas_ref, canvas, list(artifact.annotations.all())):
        resource["annotations"] = [page]
    if body is not None:
        thumbnail = {k: v for k, v in body.items() if k != "service"}
        if service is not None and service.sizes:
            # The smallest full image the service serves: a thumbnail that costs one request.
            width, height = min(service.sizes, key=lambda size: size[0] * size[1])
            thumbnail = {
                "id": f"{image_service_url(service, base_url)}/full/{width},{height}/0/default.jpg",
                "type": "Image",
                "format": "image/jpeg",
                "width": width,
                "height": height,
            }
        resource["thumbnail"] = [thumbnail]
    return resource
