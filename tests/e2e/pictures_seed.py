"""Seed of the gallery's pictures test, run inside the live museum (`manage.py shell -c`): an
exhibition "pictures-test" in a room of its own holding four flat works (the rows the image intake
leaves: a source, its sRGB web copy, a canvas) and one object on a plinth from the demo. Works of
the demo's flat exhibition lend their pictures when they are in the repository; otherwise painted
here. seed() prints JSON: the slug and the works' ids; unseed() removes it all."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageDraw

from exhibits.collection import services
from exhibits.demo.content import EXHIBITION
from exhibits.models import Artifact, Asset, Canvas, Exhibition, PublicationStatus
from museum.models import Floor, Room

SLUG = "pictures-test"
FLOOR = "Pictures test floor"
DEMO_IMAGES = Path(__file__).resolve().parents[2] / "exhibits" / "demo" / "flat"
# title, image, (width_m, height_m) (either may be None) or None, pixels per cm or None
WORKS = (
    ("A wide landscape", "van-gogh-starry-night.jpg", (0.921, 0.737), None),
    ("A tall portrait", "vermeer-girl-with-a-pearl-earring.jpg", (0.39, 0.445), None),
    ("A print measured by its pixels", "mucha-zodiac.jpg", None, 16.0),
    ("A textile of unknown size", "morris-strawberry-thief.jpg", None, None),
    # More company on the walls (the screenshot).
    ("A poster", "mucha-job.jpg", (0.46, 0.66), None),
    ("A study in colour", "kandinsky-composition-viii.jpg", (1.0, 0.7), None),
    ("A crowded room", "velazquez-las-meninas.jpg", (0.8, 0.92), None),
    ("A wreath", "morris-wreath.jpg", (0.5, 0.7), None),
    # Big works: one hangs from the line (its width from the image), one is too tall to hang.
    ("A tall banner", "mucha-lorenzaccio.jpg", (None, 2.6), None),
    ("A canvas too tall for these walls", "rembrandt-night-watch.jpg", (4.37, 3.63), None),
)
LONG_SIDE = 1600  # as the web copies of the demo


def painted(seed: int) -> Image.Image:
    """A picture painted here when the demo's are absent: a sky, a hill, a sun."""
    image = Image.new("RGB", (800, 600), (70 + 30 * seed, 110, 170))
    draw = ImageDraw.Draw(image)
    draw.ellipse((520, 80, 640, 200), fill=(240, 200, 90))
    draw.polygon([(0, 600), (0, 380), (300, 300), (800, 420), (800, 600)], fill=(60, 120, 50))
    return image


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def asset(artifact: Artifact, kind: str, data: bytes, name: str, **fields: object) -> Asset:
    return Asset.objects.create(
        artifact=artifact,
        kind=kind,
        file=ContentFile(data, name=name),
        sha256=hashlib.sha256(data).hexdigest(),
        byte_size=len(data),
        format="jpeg",
        **fields,
    )


@transaction.atomic
def seed() -> None:
    unseed()
    exhibition = Exhibition.objects.create(
        title="Pictures (test)", slug=SLUG, status=PublicationStatus.PUBLISHED
    )
    floor = Floor.objects.create(name=FLOOR, level=9)
    Room.objects.create(
        floor=floor, code="pictures", name="Picture room", x_m=6, y_m=4.5, width_m=12,
        depth_m=9, exhibition=exhibition,
    )  # fmt: skip
    ids = []
    for number, (title, name, size, per_cm) in enumerate(WORKS):
        path = DEMO_IMAGES / name
        image = Image.open(path).convert("RGB") if path.exists() else painted(number)
        image.thumbnail((LONG_SIDE, LONG_SIDE))
        width_m, height_m = size or (None, None)
        artifact = Artifact.objects.create(
            title=title, object_number=f"TEST-PICTURE-{number}", form=Artifact.Form.FLAT,
            status=PublicationStatus.PUBLISHED, width_m=width_m, height_m=height_m,
        )  # fmt: skip
        data = jpeg(image)
        source = asset(artifact, Asset.Kind.SOURCE, data, f"{number}.jpg")
        asset(
            artifact, Asset.Kind.IMAGE, data, f"{number}-web.jpg", label="web", derived_from=source
        )
        Canvas.objects.create(
            artifact=artifact, source=source, width_px=image.width, height_px=image.height,
            pixels_per_cm=per_cm,
        )  # fmt: skip
        ids.append(artifact.pk)
    demo = Exhibition.objects.get(slug=EXHIBITION["slug"]).items.order_by("order").first()
    artifacts = [*Artifact.objects.filter(pk__in=ids).order_by("pk"), demo.artifact]
    services.set_exhibition_items(exhibition=exhibition, artifacts=artifacts)
    print(json.dumps({"slug": SLUG, "works": ids, "object": demo.artifact.pk}))


def unseed() -> None:
    Exhibition.objects.filter(slug=SLUG).delete()
    Floor.objects.filter(name=FLOOR).delete()
    Artifact.objects.filter(object_number__startswith="TEST-PICTURE-").delete()
