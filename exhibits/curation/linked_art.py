"""Linked Art JSON-LD of artifacts, built with cromulent (its model and vocab modules).

Framework-light: `artifact_object` takes an Artifact (assets ideally prefetched with their jobs)
and the site's base URL and returns a JSON-ready dict that validates against the Linked Art 1.0
API schema (`schemas/linked-art/object.json`). Getty AAT ids come from cromulent's vocabulary
(accession number, primary name, height, metres...); classifications, object names and materials
are concepts the museum serves (`concepts.py`, `concept_record`), with their AAT equivalent there
for common terms, never a guessed id. Makers and places, which 1.0 references only by the URI of
a Person, Group or Place record the museum does not publish, are production statements. Virtual
restorations are representations of the object (the object itself was not modified). Empty
fields are left out, never printed empty.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urljoin

from cromulent import model, vocab
from cromulent.model import factory
from django.urls import reverse

from exhibits.collection.models import pick_web_model
from exhibits.collection.serializers import pick_thumbnail
from exhibits.curation import concepts
from exhibits.curation.iiif import CONTENT_TYPE as IIIF_CONTENT_TYPE
from exhibits.curation.iiif import MEDIA_TYPES
from exhibits.curation.iiif_flat import flat_canvases, image_service_of, image_service_url
from exhibits.models import Artifact, Asset

LINKED_ART_CONTEXT = "https://linked.art/ns/v1/linked-art.json"
CONTENT_TYPE = f'application/ld+json;profile="{LINKED_ART_CONTEXT}"'
IIIF_PRESENTATION_API = "http://iiif.io/api/presentation"  # versioned by the format's profile
IIIF_IMAGE_API = "http://iiif.io/api/image"
IIIF_IMAGE_CONTENT_TYPE = 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"'
VIRTUAL_RESTORATION = concepts.VIRTUAL_RESTORATION.label
_BLANK = ""  # cromulent: an explicit empty ident makes a blank node (no auto-assigned URI)


def absolute(base_url: str, path: str) -> str:
    return urljoin(base_url, path)


def xsd_year(year: int, *, end: bool) -> str:
    """The first (or last) instant of a historical year as xsd:dateTime.

    The catalogue counts BCE years as negative without a year zero (-150 is 150 BCE);
    xsd:dateTime 1.1 counts astronomically (-0149 is 150 BCE), so BCE years shift by one.
    """
    astronomical = year + 1 if year < 0 else year
    sign = "-" if astronomical < 0 else ""
    day = "12-31T23:59:59Z" if end else "01-01T00:00:00Z"
    return f"{sign}{abs(astronomical):04d}-{day}"


def xsd_datetime(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _statement(cls: type, content: str) -> model.LinguisticObject:
    return cls(ident=_BLANK, content=content)


def concept_url(concept: concepts.Concept, base_url: str) -> str:
    """The URI the museum serves `concept` at."""
    path = reverse("interop:linked-art-concept", args=[concept.scheme, concept.slug])
    return absolute(base_url, path)


def _type(concept: concepts.Concept, base_url: str, *, work_type: bool = False) -> model.Type:
    """A reference to one of the museum's concepts; object types are classified as 'type of
    work' (AAT, per cromulent)."""
    reference = model.Type(ident=concept_url(concept, base_url), label=concept.label)
    if work_type:
        reference.classified_as = vocab.instances["work type"]
    return reference


def concept_record(concept: concepts.Concept, base_url: str) -> dict[str, Any]:
    """The Linked Art record of one of the museum's concepts, with its AAT equivalent."""
    cls = model.Material if concept.linked_art_class == "Material" else model.Type
    record = cls(ident=concept_url(concept, base_url), label=concept.label)
    record.identified_by = vocab.PrimaryName(ident=_BLANK, content=concept.label)
    if concept.aat:
        # A Type even for a material: 1.0's schema allows no other class in `equivalent`.
        record.equivalent = model.Type(ident=concept.aat, label=concept.aat_label)
    return factory.toJSON(record)


def _digital(url: str, fmt: str, label: str, cls: type = model.DigitalObject) -> Any:
    """A DigitalObject reachable at `url` (its access point) in the media type `fmt`."""
    digital = cls(ident=_BLANK, label=label)
    digital.access_point = model.DigitalObject(ident=url)
    digital.format = fmt
    return digital


def _media_type(asset: Asset) -> str:
    return MEDIA_TYPES.get(asset.format.lower(), ("", "application/octet-stream"))[1]


def _timespan(start: str | None, end: str | None, name: str = "") -> model.TimeSpan | None:
    if not (start or end or name):
        return None
    timespan = model.TimeSpan(ident=_BLANK)
    if name:
        timespan.identified_by = model.Name(ident=_BLANK, content=name)
    if start:
        timespan.begin_of_the_begin = start
    if end:
        timespan.end_of_the_end = end
    return timespan


def _production(artifact: Artifact) -> model.Production | None:
    start = artifact.date_start_year
    end = artifact.date_end_year
    timespan = _timespan(
        xsd_year(start, end=False) if start is not None else None,
        xsd_year(end, end=True) if end is not None else None,
        artifact.date_text,
    )
    if not (timespan or artifact.maker or artifact.place_of_origin):
        return None
    production = model.Production(ident=_BLANK)
    if timespan:
        production.timespan = timespan
    for label, text in (("Maker", artifact.maker), ("Place of origin", artifact.place_of_origin)):
        if text:
            production.referred_to_by = vocab.ProductionStatement(
                ident=_BLANK, content=text, label=label
            )
    return production


def _restoration(asset: Asset, base_url: str) -> model.VisualItem:
    """An accepted virtual restoration: a representation of the object, classified as such.

    Not a Modification: the physical object was not changed (and Linked Art 1.0 objects have no
    `modified_by`); when it was computed goes into the note.
    """
    label = VIRTUAL_RESTORATION + (f": {asset.label}" if asset.label else "")
    is_model = MEDIA_TYPES.get(asset.format.lower(), ("",))[0] == "Model"
    item = model.VisualItem(ident=_BLANK, label=label)
    item.classified_as = _type(concepts.VIRTUAL_RESTORATION, base_url)
    note = (
        "A digital restoration of the "
        + ("3D model, shown apart from the original scan" if is_model else "image, shown apart")
        + "; the physical object was not modified."
    )
    job = asset.created_by_job
    started = job.started_at or job.finished_at if job is not None else None
    finished = job.finished_at or job.started_at if job is not None else None
    if started is not None and finished is not None:
        note += f" Computed from {xsd_datetime(started)} to {xsd_datetime(finished)}."
    item.referred_to_by = _statement(vocab.Note, note)
    if asset.file:
        item.digitally_shown_by = _digital(
            absolute(base_url, asset.file.url), _media_type(asset), label
        )
    if (service := image_service_of(asset)) is not None:
        item.digitally_shown_by = _image_service(service, base_url)
    return item


def _image_service(service: Any, base_url: str) -> model.DigitalObject:
    """The IIIF Image API service of an image, as Linked Art describes one."""
    digital = model.DigitalObject(ident=_BLANK, label="IIIF Image API 3 service (level 0)")
    digital.access_point = model.DigitalObject(
        ident=image_service_url(service, base_url) + "/info.json"
    )
    digital.format = IIIF_IMAGE_CONTENT_TYPE
    digital.conforms_to = model.InformationObject(ident=IIIF_IMAGE_API, label="IIIF Image API")
    return digital


def _web_page(url: str, label: str) -> model.LinguisticObject:
    text = model.LinguisticObject(ident=_BLANK, label=label)
    text.digitally_carried_by = _digital(url, "text/html", label, vocab.WebPage)
    return text


def _iiif_manifest(url: str) -> model.LinguisticObject:
    text = model.LinguisticObject(ident=_BLANK, label="IIIF manifest")
    carrier = _digital(url, IIIF_CONTENT_TYPE, "IIIF Presentation 3 manifest")
    carrier.conforms_to = model.InformationObject(
        ident=IIIF_PRESENTATION_API, label="IIIF Presentation API"
    )
    text.digitally_carried_by = carrier
    return text


def _representations(artifact: Artifact, base_url: str) -> list[model.VisualItem]:
    assets = list(artifact.assets.all())
    items = []
    for canvas, web, service in flat_canvases(artifact):
        if web is None and service is None:
            continue
        title = f"{artifact.title} ({canvas.label})" if canvas.label else artifact.title
        image = model.VisualItem(ident=_BLANK, label=f"Image of {title}")
        if web is not None:
            image.digitally_shown_by = _digital(
                absolute(base_url, web.file.url), _media_type(web), "Web image", vocab.DigitalImage
            )
        if service is not None:
            image.digitally_shown_by = _image_service(service, base_url)
        items.append(image)
    if (thumbnail := pick_thumbnail(assets)) and thumbnail.file:
        image = model.VisualItem(ident=_BLANK, label=f"Image of {artifact.title}")
        image.digitally_shown_by = _digital(
            absolute(base_url, thumbnail.file.url),
            _media_type(thumbnail),
            "Thumbnail",
            vocab.DigitalImage,
        )
        items.append(image)
    if (web_model := pick_web_model(assets)) and web_model.file:
        scan = model.VisualItem(ident=_BLANK, label=f"3D model of {artifact.title}")
        scan.digitally_shown_by = _digital(
            absolute(base_url, web_model.file.url), _media_type(web_model), "3D model"
        )
        items.append(scan)
    return items


def _dimensions(artifact: Artifact) -> list[model.Dimension]:
    dimensions = []
    for cls, value in (
        (vocab.Height, artifact.height_m),
        (vocab.Width, artifact.width_m),
        (vocab.Depth, artifact.depth_m),
    ):
        if value is not None:
            dimension = cls(ident=_BLANK, value=value)
            dimension.unit = vocab.instances["meters"]
            dimensions.append(dimension)
    return dimensions


def build_object(artifact: Artifact, base_url: str) -> model.HumanMadeObject:
    """The artifact as a cromulent HumanMadeObject."""
    object_id = absolute(base_url, reverse("interop:linked-art-object", args=[artifact.pk]))
    obj = model.HumanMadeObject(ident=object_id, label=artifact.title)
    obj.identified_by = vocab.PrimaryName(ident=_BLANK, content=artifact.title)
    obj.identified_by = vocab.AccessionNumber(ident=_BLANK, content=artifact.object_number)
    if artifact.external_id:
        obj.identified_by = vocab.SystemNumber(ident=_BLANK, content=artifact.external_id)
    for concept in concepts.concepts("types", [artifact.classification, artifact.object_name]):
        obj.classified_as = _type(concept, base_url, work_type=True)
    for concept in concepts.concepts("materials", concepts.material_terms(artifact.materials)):
        obj.made_of = model.Material(ident=concept_url(concept, base_url), label=concept.label)
    for dimension in _dimensions(artifact):
        obj.dimension = dimension
    for cls, text in (
        (vocab.Description, artifact.description),
        (vocab.MaterialStatement, artifact.materials),
        (vocab.DimensionStatement, artifact.dimensions),
        (vocab.CultureStatement, artifact.culture),
        (vocab.PeriodStatement, artifact.period),
        (vocab.CreditStatement, artifact.credit_line),
        (vocab.RightsStatement, artifact.rights),
    ):
        if text:
            obj.referred_to_by = _statement(cls, text)
    if production := _production(artifact):
        obj.produced_by = production
    # Only accepted restorations (restoration's review sets `public`), for every reader: an
    # export is public data, whoever asks for it.
    restored = [a for a in artifact.assets.all() if a.kind == Asset.Kind.RESTORED and a.public]
    for item in _representations(artifact, base_url):
        obj.representation = item
    for asset in sorted(restored, key=lambda a: (a.created_at, a.pk)):
        obj.representation = _restoration(asset, base_url)
    obj.subject_of = _web_page(absolute(base_url, artifact.get_absolute_url()), artifact.title)
    manifest = reverse("interop:iiif-artifact", args=[artifact.pk])
    obj.subject_of = _iiif_manifest(absolute(base_url, manifest))
    if artifact.source_url:
        obj.subject_of = _web_page(artifact.source_url, "Source record")
    return obj


def artifact_object(artifact: Artifact, base_url: str) -> dict[str, Any]:
    """The artifact as Linked Art JSON-LD (a dict with its @context)."""
    return factory.toJSON(build_object(artifact, base_url))
