"""Seed of the region and media browser tests (tests/e2e/test_flat_regions.py), run inside the
live museum (`manage.py shell -c`): on the deep-zoom test sheet (flat_work_seed), a region with
an image and one with a sound; on a 3D demo artifact, a point annotation with an image. The
media are made here, tiny: an 8 x 8 PNG and a fifth of a second of a 440 Hz tone as WAV."""

from __future__ import annotations

import io
import math
import struct
import wave

from django.core.files.base import ContentFile
from PIL import Image

from exhibits.models import Annotation, AnnotationClass, Artifact

IMAGE_TITLE = "A detail with a picture"
AUDIO_TITLE = "A detail with a sound"
POINT_TITLE = "A point with a picture (e2e)"


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def tiny_wav(seconds: float = 0.2, rate: int = 8000) -> bytes:
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def _annotation(artifact: Artifact, title: str, name: str, data: bytes, **fields: object) -> int:
    annotation = Annotation(
        artifact=artifact, title=title, text=f"{title}.", media_alt=f"{title}, described.",
        **{"position": [], "normal": [], "camera_position": [], "camera_target": [], **fields},
    )  # fmt: skip
    annotation.media.save(name, ContentFile(data), save=False)
    annotation.save()
    return annotation.pk


def seed(artifact_id: int, canvas_id: int, scan_title: str) -> dict[str, int]:
    sheet = Artifact.objects.get(pk=artifact_id)
    inscription = AnnotationClass.objects.get(name="Inscription")
    scan = Artifact.objects.filter(title__icontains=scan_title).exclude(form="flat").first()
    assert scan is not None, f"no demo scan titled like {scan_title!r}"
    return {
        "image": _annotation(
            sheet, IMAGE_TITLE, "detail.png", tiny_png(),
            region={"canvas": canvas_id, "xywh": [1800, 200, 300, 200]},
        ),
        "audio": _annotation(
            sheet, AUDIO_TITLE, "detail.wav", tiny_wav(), annotation_class=inscription,
            region={"canvas": canvas_id, "type": "polygon",
                    "points": [[1700, 1200], [2100, 1150], [2000, 1450]]},
        ),
        "point": _annotation(
            scan, POINT_TITLE, "point.png", tiny_png(), position=[0.0, 0.0, 0.0],
            normal=[0.0, 0.0, 1.0], camera_position=[0.0, 0.5, 3.0], camera_target=[0.0, 0.0, 0.0],
        ),
        "scan": scan.pk,
    }  # fmt: skip
