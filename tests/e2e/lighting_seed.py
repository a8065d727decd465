"""Seed of the lighting browser test, run inside the live museum (`manage.py shell -c`): a
published street-lamp-like object of dark polished metal (the material of a real lamp scan: base
colour 0.02, metalness 0.79, roughness 0.065), through the real intake. seed() returns its id."""

from __future__ import annotations

import numpy as np
import trimesh
from django.core.files.base import ContentFile

from exhibits.collection import services
from exhibits.intake.services import INTAKE_KIND, run_intake_job
from exhibits.models import Artifact, Job, PublicationStatus

TITLE = "Dark metal lamp (lighting test)"


def lamp_glb() -> bytes:
    post = trimesh.creation.cylinder(radius=0.04, height=1.2, sections=32)
    post.apply_translation([0, 0, 0.6])
    head = trimesh.creation.icosphere(subdivisions=3, radius=0.16)
    head.apply_translation([0, 0, 1.3])
    foot = trimesh.creation.cylinder(radius=0.14, height=0.08, sections=32)
    foot.apply_translation([0, 0, 0.04])
    lamp = trimesh.util.concatenate([post, head, foot])
    lamp.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))  # Y up
    lamp.visual = trimesh.visual.TextureVisuals(
        material=trimesh.visual.material.PBRMaterial(
            baseColorFactor=[5, 5, 5, 255], metallicFactor=0.79, roughnessFactor=0.065
        )
    )
    return lamp.export(file_type="glb")


def seed() -> int:
    artifact = Artifact.objects.create(
        title=TITLE, object_number="TEST-LIGHTING-LAMP", status=PublicationStatus.PUBLISHED
    )
    source = services.store_source_asset(
        artifact=artifact, upload=ContentFile(lamp_glb()), filename="lamp.glb"
    )
    job = services.start_job(kind=INTAKE_KIND, artifact=artifact, input_asset=source)
    job = run_intake_job(job_id=job.pk)
    assert job.status == Job.Status.DONE, job.error
    return artifact.pk
