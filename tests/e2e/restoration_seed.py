"""Seed of the restoration browser test, run inside the live museum (`manage.py shell -c`):
a published, textured sphere whose texture has a dark grid of cracks, a finished condition
check that found them, and two real surface restorations (Telea): one accepted, one rejected.
seed() returns the ids {"artifact", "accepted", "rejected"}."""

from __future__ import annotations

import io

import numpy as np
import trimesh
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from exhibits.collection import services as exhibit_services
from exhibits.models import Artifact, Job, PublicationStatus
from restoration.models import ConditionRecord, DamageFinding, RestorationJob
from restoration.restore import services as rs

SIZE = 256


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def textures() -> tuple[np.ndarray, np.ndarray]:
    """(cracked texture, crack mask): warm ramps crossed by a dark 8 px grid every 32 px."""
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    rgb = np.stack([150 + x // 4, 110 + y // 4, 70 + (x + y) // 8], axis=2)
    mask = ((x % 32) < 8) | ((y % 32) < 8)
    rgb[mask] = (25, 20, 15)
    return rgb.clip(0, 255).astype(np.uint8), mask


def sphere_glb(image: np.ndarray) -> bytes:
    sphere = trimesh.creation.uv_sphere(radius=0.15, count=[48, 48])
    v = sphere.vertices / 0.15
    uv = np.stack([np.arctan2(v[:, 1], v[:, 0]) / (2 * np.pi) + 0.5, v[:, 2] / 2 + 0.5], axis=1)
    sphere.visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.fromarray(image))
    return sphere.export(file_type="glb")


def seed() -> dict[str, int]:
    cracked, mask = textures()
    artifact = Artifact.objects.create(
        object_number="E2E.RESTORE.1",
        title="Restoration test sphere",
        status=PublicationStatus.PUBLISHED,
    )
    source = exhibit_services.store_source_asset(
        artifact=artifact,
        upload=ContentFile(sphere_glb(cracked), name="sphere.glb"),
        filename="sphere.glb",
    )
    # Its only model is the source: released to visitors by the curator (private by default).
    exhibit_services.set_source_public(assets=artifact.assets.filter(pk=source.pk), public=True)
    check = Job.objects.create(
        kind="condition", artifact=artifact, status=Job.Status.DONE, finished_at=timezone.now()
    )
    record = ConditionRecord.objects.create(
        artifact=artifact, job=check, source_asset=source, origin=ConditionRecord.Origin.SOURCE,
        image_index=0, width_px=SIZE, height_px=SIZE, model_version="e2e",
        texture=ContentFile(_png(cracked), name="t0.png"),
    )  # fmt: skip
    DamageFinding.objects.create(
        record=record, damage_class="crack", pixel_share=float(mask.mean()),
        mask=ContentFile(_png(np.where(mask, 255, 0).astype(np.uint8)), name="t0-crack.png"),
    )  # fmt: skip
    curator = get_user_model().objects.get(username="curator")
    jobs = []
    for _ in range(2):
        # Created and run here, not queued: the live worker must not race this script.
        job = RestorationJob.objects.create(
            artifact=artifact, kind="surface", options={"method": "telea"}
        )
        jobs.append(rs.run_restoration_job(job_id=job.pk))
    accepted, rejected = jobs
    assert accepted.status == "done", accepted.error
    rs.accept_restoration(job=accepted, user=curator, note="e2e")
    rs.reject_restoration(job=rejected, user=curator, note="e2e")
    return {"artifact": artifact.pk, "accepted": accepted.pk, "rejected": rejected.pk}
