"""Condition services: queue and run damage detection on an artifact's textures and store the
findings (small typed functions, one transaction each). The curators' mask corrections are in
restoration.condition.corrections (re-exported here).

The detection itself is the framework-free core in restoration/damage; this module reads the
textures out of the artifact's model files, stores what the core returns, and reports progress
on an exhibits.Job of kind "condition".
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_noop

from exhibits.collection.services import mark_job, start_job
from exhibits.intake.errors import IntakeError
from exhibits.intake.glb_document import GltfDocument
from exhibits.intake.limits import IntakeLimits
from exhibits.intake.services import INTAKE_KIND
from exhibits.models import Artifact, Asset, Job
from museum import jobs
from restoration.condition import change, corrections, images
from restoration.condition.corrections import (  # re-exported: callers use services.*
    export_corrections,
    retire_mask_correction,
    save_mask_correction,
)
from restoration.condition.textures import (
    BaseColourTexture,
    base_colour_textures,
    glb_has_base_colour,
)
from restoration.models import ConditionRecord, DamageFinding

__all__ = ["export_corrections", "retire_mask_correction", "save_mask_correction"]

logger = logging.getLogger(__name__)
CONDITION_KIND = "condition"
# The stage a check ends with when the model has no texture to analyse: not a plain "done"
# (museum.jobs_admin shows it translated instead of 100 %).
NOTHING_ANALYSED = gettext_noop("nothing analysed: the model has no base-colour texture")
NOTHING_ANALYSED_FLAT = gettext_noop("nothing analysed: the work has no image")
PROGRESS_INTERVAL_S = 0.5


def damage_weights() -> str | None:
    """The checkpoint the condition job uses (setting MOUSEION_DAMAGE_WEIGHTS; None: committed)."""
    return getattr(settings, "MOUSEION_DAMAGE_WEIGHTS", None) or None


# --------------------------------------------------------------------------- queueing


def request_condition_check(*, artifact: Artifact, requested_by: Any = None) -> Job:
    """Queue a condition check of `artifact` on the `gpu` queue (after commit).

    A check already queued or running for the artifact is returned instead of a second one.
    """
    with transaction.atomic():
        pending = artifact.jobs.filter(
            kind=CONDITION_KIND, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
        ).first()
        if pending is not None:
            return pending
        job = start_job(kind=CONDITION_KIND, artifact=artifact)
        if requested_by is not None and getattr(requested_by, "pk", None):
            job.options = {"requested_by": requested_by.pk}
            job.save(update_fields=["options"])
        jobs.enqueue_on_commit(job)
    return job


def check_condition_after_intake(*, artifact_id: int, **_signal: Any) -> Job | None:
    """Receiver of exhibits' `intake_published` (connected in RestorationConfig.ready): queue a
    check when the new web model has a base-colour texture (untextured scans have nothing to
    analyse). Never raises."""
    try:
        artifact = Artifact.objects.get(pk=artifact_id)
        if artifact.form == Artifact.Form.FLAT:  # a flat work: its images, by tiles
            if not artifact.canvases.exists():
                return None
            return request_condition_check(artifact=artifact)
        model = artifact.web_model()
        if model is None or not _has_base_colour(model):
            return None
        return request_condition_check(artifact=artifact)
    except Exception:
        logger.exception("the condition check of artifact %s was not queued", artifact_id)
        return None


def _has_base_colour(asset: Asset) -> bool:
    with asset.file.open("rb") as handle:
        return glb_has_base_colour(handle)


# --------------------------------------------------------------------------- the job


@dataclass
class _TextureSource:
    asset: Asset | None
    origin: str
    textures: list[BaseColourTexture]
    problems: list[str]


def texture_sources(artifact: Artifact) -> _TextureSource:
    """The base-colour textures to analyse: the source file's (full resolution, the scan as
    received) when it has any, else the web LOD's. Geometry scale comes from the source, whose
    coordinates the intake's normalisation matrix takes to metres. `problems` says why a file
    gave nothing."""
    # Imported here (the worker's path): the scan reader brings trimesh, ~0.5 s of a web start.
    from exhibits.intake.sources import open_source

    problems: list[str] = []
    web = artifact.web_model()
    source = web.derived_from if web is not None and web.kind == Asset.Kind.LOD else web
    if source is not None and source.kind == Asset.Kind.SOURCE:
        try:
            with source.file.open("rb") as handle:
                data = handle.read()
            scan = open_source(
                data,
                source.original_filename or source.file.name or "",
                IntakeLimits.from_settings(),
            )
            textures = base_colour_textures(scan.document, _normalisation(source))
        except (IntakeError, OSError, ValueError) as exc:
            problems.append(f"source file: {exc}")
            textures = []
        if textures:
            return _TextureSource(source, ConditionRecord.Origin.SOURCE, textures, problems)
    if web is not None and web.kind == Asset.Kind.LOD:
        try:
            with web.file.open("rb") as handle:
                document = GltfDocument.from_glb(handle.read())
            textures = base_colour_textures(document)
        except (IntakeError, OSError, ValueError) as exc:
            problems.append(f"web LOD: {exc}")
            textures = []
        if textures:
            return _TextureSource(web, ConditionRecord.Origin.WEB, textures, problems)
    return _TextureSource(None, "", [], problems)


def _normalisation(source: Asset) -> np.ndarray | None:
    intake = (
        Job.objects.filter(input_asset=source, kind=INTAKE_KIND, status=Job.Status.DONE)
        .order_by("-finished_at", "-pk")
        .first()
    )
    matrix = intake.report.get("normalisation_matrix") if intake else None
    return np.asarray(matrix, dtype=np.float64) if matrix else None


def run_condition_job(*, job_id: int, model: Any = None) -> Job:
    """Body of the condition task, run by the job runner (museum.jobs): a duplicate delivery
    writes nothing, any exception fails the job with its reason, and a job whose worker died
    starts again and replaces what it had stored."""
    return jobs.run(Job, job_id, lambda job: _check(job, model))


def _check(job: Job, model: Any) -> None:
    assert job.artifact is not None  # condition jobs are always for an artifact
    if job.artifact.form == Artifact.Form.FLAT:  # a flat work: its images, by strips
        from restoration.condition import flat

        flat.check(job, model)
        return
    mark_job(job, status=Job.Status.RUNNING, progress=1, stage="reading textures")
    found = texture_sources(job.artifact)
    if not found.textures:
        report = {"textures": 0, "note": "no base-colour texture", "problems": found.problems}
        _finish(job, [], report=report, stage=NOTHING_ANALYSED)
        return
    from restoration.damage import load_model

    model = model or load_model(damage_weights())
    outputs = []
    for number, texture in enumerate(found.textures):
        progress = _progress(job, number, len(found.textures))
        outputs.append(_analyse(texture, found, model, progress, job=job))
    report = {
        "textures": len(outputs),
        "origin": found.origin,
        "asset_id": found.asset.pk if found.asset else None,
        "problems": found.problems,
        "model_version": outputs[0].record.model_version if outputs else "",
    }
    _finish(job, outputs, report=report)


def remove_attempt_files(job: Job) -> None:
    """Clean-up of a failed condition attempt (museum.jobs): its records and their files."""
    with transaction.atomic():
        for record in ConditionRecord.objects.filter(job=job):
            _delete_files_on_commit(record)
        ConditionRecord.objects.filter(job=job).delete()


def _progress(
    job: Job, number: int, total: int, *, unit: str = "texture"
) -> Callable[[float], None]:
    """detect() reports the done fraction of one texture (or image); the job shows all."""
    last = [0.0]

    def report(fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_INTERVAL_S:
            return
        last[0] = now
        share = (number + min(max(fraction, 0.0), 1.0)) / max(total, 1)
        stage = f"detecting damage: {unit} {number + 1} of {total}"
        mark_job(job, status=Job.Status.RUNNING, progress=min(95, 5 + int(90 * share)), stage=stage)

    return report


@dataclass
class _Output:
    record: ConditionRecord
    files: dict[str, tuple[str, bytes]]
    # (finding, mask name, mask, probability name, probability[, overlay name, overlay])
    findings: list[tuple[Any, ...]]


def _analyse(
    texture: BaseColourTexture,
    found: _TextureSource,
    model: Any,
    progress: Callable[[float], None],
    *,
    job: Job,
) -> _Output:
    from restoration.damage import detect, load_image, write_outputs

    assert found.asset is not None  # there are textures, so they came from an asset
    image = load_image(texture.data)
    height, width = image.shape[:2]
    metres = texture.metres_per_pixel(width, height)
    result = detect(image, model=model, explain=True, progress=progress)
    # Areas count only texels the mesh uses: a detection in an atlas gutter is no damage.
    covered = texture.coverage(width, height)
    with tempfile.TemporaryDirectory() as folder:
        paths = write_outputs(result, Path(folder), explanation_format="jpeg")
        written = {name: Path(path) for name, path in paths.items()}
        by_file = {path.name: path.read_bytes() for path in written.values()}
    stem = f"t{texture.image_index}"
    record = ConditionRecord(
        artifact=found.asset.artifact,
        source_asset=found.asset,
        origin=found.origin,
        image_index=texture.image_index,
        texture_name=texture.name[:200],
        material_names=texture.material_names,
        width_px=width,
        height_px=height,
        metres_per_pixel=metres,
        model_version=result.model_version[:120],
        summary={
            **json.loads(json.dumps(result.summary(metres_per_pixel=metres), default=str)),
            "uv_covered_share": round(float(covered.mean()), 6) if covered is not None else None,
        },
        seconds=round(float(result.seconds), 3),
        texture_key=corrections.texture_key(image),
    )
    files = {
        "texture": (f"{stem}-texture.jpg", images.encode_jpeg(image)),
        "overlay": (
            f"{stem}-overlay.png",
            images.encode_png(images.overlay_image(image, result.masks)),
        ),
    }
    if "probability.png" in by_file:
        files["probability"] = (f"{stem}-probability.png", by_file["probability.png"])
    previous = change.previous_record(
        artifact=found.asset.artifact, image_index=texture.image_index, job=job
    )
    if previous is not None:
        record.summary["change"], heat_map = change.change_since(
            previous, image, record.texture_key
        )
        if heat_map is not None:
            files["change_map"] = (f"{stem}-change.png", heat_map)
    # JPEG like the texture: the PDF decodes it at reduced size (Image.draft), a PNG whole.
    if "gradcam.jpg" in by_file:
        files["explanation"] = (f"{stem}-gradcam.jpg", by_file["gradcam.jpg"])
    elif "gradcam.png" in by_file:
        files["explanation"] = (f"{stem}-gradcam.jpg", images.jpeg_of_png(by_file["gradcam.png"]))
    findings = []
    for name, mask in result.masks.items():
        pixels = int((mask & covered).sum() if covered is not None else mask.sum())
        area = pixels * metres**2 * 1e4 if metres is not None else None
        finding = DamageFinding(
            damage_class=name,
            pixel_share=float(result.pixel_share.get(name, mask.mean())),
            area_cm2=round(area, 4) if area is not None else None,
        )
        probability = by_file.get(f"probability_{name}.png", b"")
        findings.append(
            (
                finding,
                f"{stem}-{name}-mask.png",
                by_file.get(f"{name}_mask.png") or images.mask_png(mask),  # written already
                f"{stem}-{name}-p.png",
                probability,
            )
        )
    return _Output(record, files, findings)


def _finish(
    job: Job, outputs: list[_Output], *, report: dict[str, Any], stage: str = "done"
) -> Job:
    """Store every record and file of a job at once, replacing what an earlier try stored. The
    curators' corrections are never removed: those pointing at a replaced record move to the new
    record of the same texture (they apply by texture in any case)."""
    saved: list[Any] = []
    try:
        with transaction.atomic():
            jobs.hold(job)  # only the attempt that holds the claim writes files
            old_records = list(ConditionRecord.objects.filter(job=job))
            for output in outputs:
                record = output.record
                record.job = job
                for field, (name, content) in output.files.items():
                    getattr(record, field).save(name, ContentFile(content), save=False)
                    saved.append(getattr(record, field))
                record.save()
                for finding, mask_name, mask, p_name, probability, *overlay in output.findings:
                    finding.record = record
                    finding.mask.save(mask_name, ContentFile(mask), save=False)
                    saved.append(finding.mask)
                    if probability:
                        finding.probability.save(p_name, ContentFile(probability), save=False)
                        saved.append(finding.probability)
                    if overlay:  # a flat work's class overlay at the web copy's size
                        finding.overlay.save(overlay[0], ContentFile(overlay[1]), save=False)
                        saved.append(finding.overlay)
                    finding.save()
            corrections.carry_forward(old=old_records, new=[o.record for o in outputs])
            for old in old_records:
                _delete_files_on_commit(old)
                old.delete()
            jobs.complete(job, report=report, stage=stage)
    except Exception:
        for field in saved:  # files of a rolled-back publication are never referenced
            field.storage.delete(field.name)
        raise
    return job


def _delete_files_on_commit(record: ConditionRecord) -> None:
    """The record's own files (texture, maps, findings); never the corrections' masks, which
    belong to the texture and outlive the record."""
    fields = [*record.file_fields()]
    for finding in record.findings.all():
        fields += [finding.mask, finding.probability, finding.overlay]
    for field in fields:
        if field and field.name:
            transaction.on_commit(partial(field.storage.delete, field.name))


# --------------------------------------------------------------------------- reading


def latest_records(artifact: Artifact) -> tuple[Job | None, list[ConditionRecord]]:
    """The newest finished condition check of `artifact` and its records (per texture), each
    with its `applied_corrections` (every correction in force for its texture)."""
    job = (
        artifact.jobs.filter(kind=CONDITION_KIND, status=Job.Status.DONE)
        .order_by("-finished_at", "-pk")
        .first()
    )
    if job is None:
        return None, []
    records = list(
        ConditionRecord.objects.filter(job=job).prefetch_related("findings").order_by("image_index")
    )
    corrections.attach(records)  # carried forward from earlier checks of the same textures
    return job, records
