"""Linked Art JSON-LD of artifacts, built with cromulent (its model and vocab modules).

Framework-light: `artifact_object` takes an Artifact (assets ideally prefetched with their jobs)
and the site's base URL and returns a JSON-ready dict. Only Getty AAT ids that cromulent's
vocabulary itself defines are used (accession number, primary name, height, metres...); free-text
catalogue values (classification, object name, materials, maker, places) become label-only
entities (blank nodes), never guessed ids. Empty fields are left out, never printed empty.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urljoin

from cromulent import model, vocab
from cromulent.model import factory
from django.urls import reverse

from exhibits.collection.models import pick_web_model
from exhibits.collection.serializers import pick_thumbnail
from exhibits.curation.iiif import CONTENT_TYPE as IIIF_CONTENT_TYPE
from exhibits.curation.iiif import MEDIA_TYPES
from exhibits.models import Artifact, Asset

LINKED_ART_CONTEXT = "https://linked.art/ns/v1/linked-art.json"
CONTENT_TYPE = f'application/ld+json;profile="{LINKED_ART_CONTEXT}"'
IIIF_PRESENTATION_API = "http://iiif.io/api/presentation"  # versioned by the format's profile
VIRTUAL_RESTORATION = "Virtual (digital) restoration"
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


def _split(text: str) -> list[str]:
    """Comma-, semicolon- or pipe-separated parts of a free-text field."""
    return [part.strip() for part in re.split(r"[,;|]", text) if part.strip()]


def _statement(cls: type, content: str) -> model.LinguisticObject:
    return cls(ident=_BLANK, content=content)


def _type(label: str, *, work_type: bool = False) -> model.Type:
    """A label-only Type; object types are classified as 'type of work' (AAT, per cromulent)."""
    concept = model.Type(ident=_BLANK, label=label)
    if work_type:
        concept.classified_as = vocab.instances["work type"]
    return concept


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
    if artifact.maker:
        production.carried_out_by = model.Actor(ident=_BLANK, label=artifact.maker)
    if artifact.place_of_origin:
        production.took_place_at = model.Place(ident=_BLANK, label=artifact.place_of_origin)
    return production


def _restoration(asset: Asset, base_url: str) -> model.Modification:
    """A virtual restoration as a Modification whose outcome is a digital 3D model.

    The physical object is not changed; the restored model represents the Modification.
    """
    label = VIRTUAL_RESTORATION + (f": {asset.label}" if asset.label else "")
    modification = model.Modification(ident=_BLANK, label=label)
    modification.classified_as = _type(VIRTUAL_RESTORATION)
    modification.referred_to_by = _statement(
        vocab.Note,
        "A digital restoration of the 3D model, shown apart from the original scan; "
        "the physical object was not modified.",
    )
    job = asset.created_by_job
    started = job.started_at or job.finished_at if job is not None else None
    finished = job.finished_at or job.started_at if job is not None else None
    if started is not None and finished is not None:
        modification.timespan = _timespan(
            xsd_datetime(started),
            xsd_datetime(finished),
        )
    if asset.file:
        result = model.VisualItem(ident=_BLANK, label=f"{label} (3D model)")
        result.digitally_shown_by = _digital(
            absolute(base_url, asset.file.url), _media_type(asset), label
        )
        modification.representation = result
    return modification


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
    if artifact.classification:
        obj.classified_as = _type(artifact.classification, work_type=True)
    if artifact.object_name and artifact.object_name != artifact.classification:
        obj.classified_as = _type(artifact.object_name, work_type=True)
    for material in _split(artifact.materials):
        obj.made_of = model.Material(ident=_BLANK, label=material)
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
    for asset in sorted(restored, key=lambda a: (a.created_at, a.pk)):
        obj.modified_by = _restoration(asset, base_url)
    for item in _representations(artifact, base_url):
        obj.representation = item
    obj.subject_of = _web_page(absolute(base_url, artifact.get_absolute_url()), artifact.title)
    manifest = reverse("interop:iiif-artifact", args=[artifact.pk])
    obj.subject_of = _iiif_manifest(absolute(base_url, manifest))
    if artifact.source_url:
        obj.subject_of = _web_page(artifact.source_url, "Source record")
    return obj


def artifact_object(artifact: Artifact, base_url: str) -> dict[str, Any]:
    """The artifact as Linked Art JSON-LD (a dict with its @context)."""
    return factory.toJSON(build_object(artifact, base_url))
