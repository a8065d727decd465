"""Flat works in the gallery scene (museum/gallery/scene.py + scene_pictures.py): a hung picture's
entry (form, web copy, real size, wall pose), sizes from pixels, unhung works reported, plinths and
pictures mixed without overlap, private files never listed."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from exhibits.models import Artifact, Asset, Canvas, ExhibitionItem
from museum.gallery.layout import WALL_THICKNESS
from museum.gallery.scene import gallery_scene
from museum.gallery.walls import DEFAULT_LONG_SIDE, HANG_CENTRE, PICTURE_VIEW
from museum.models import Floor, Room
from tests.unit.factories import make_artifact, make_exhibition

pytestmark = pytest.mark.django_db


def jpeg(width: int = 16, height: int = 12) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (180, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def make_flat(
    *,
    pixels: tuple[int, int] = (1600, 1200),
    pixels_per_cm: float | None = None,
    **fields: Any,
) -> Artifact:
    """A flat work as the image intake leaves it: source, web copy, canvas (rows made here)."""
    artifact = make_artifact(form=Artifact.Form.FLAT, **fields)
    source = Asset.objects.create(
        artifact=artifact, kind=Asset.Kind.SOURCE, file=ContentFile(jpeg(), name="work.jpg"),
        sha256="1" * 64, byte_size=1, format="jpeg",
    )  # fmt: skip
    Asset.objects.create(
        artifact=artifact, kind=Asset.Kind.IMAGE, label="web", derived_from=source,
        file=ContentFile(jpeg(), name="web.jpg"), sha256="2" * 64, byte_size=1, format="jpeg",
    )  # fmt: skip
    Canvas.objects.create(
        artifact=artifact, source=source, width_px=pixels[0], height_px=pixels[1],
        pixels_per_cm=pixels_per_cm,
    )  # fmt: skip
    return artifact


def test_a_flat_work_hangs_on_a_wall_at_its_real_size_with_its_web_copy() -> None:
    floor = Floor.objects.create(name="Ground")
    painting = make_flat(height_m=0.92, width_m=0.73, title="Still life")
    exhibition = make_exhibition(painting)
    Room.objects.create(
        floor=floor, code="p", name="Paintings", x_m=6, y_m=5, width_m=12, depth_m=10,
        exhibition=exhibition,
    )  # fmt: skip
    scene = json.loads(json.dumps(gallery_scene(exhibition)))
    [item] = scene["items"]
    assert item["form"] == "flat" and item["plinth"] is None and scene["unhung"] == []
    assert item["size"] == [0.73, 0.92] and not item["approximate"]
    assert item["size_text"] == "92 × 73 cm"
    web = Asset.objects.get(artifact=painting, kind=Asset.Kind.IMAGE)
    assert item["image"] == web.file.url and item["image"].startswith("/media/")
    # On a wall's surface, centred at eye height, facing into the room.
    x, y, z = item["position"]
    assert y == pytest.approx(HANG_CENTRE)
    on_wall = {
        "north": z == pytest.approx(WALL_THICKNESS),
        "south": z == pytest.approx(10 - WALL_THICKNESS),
        "west": x == pytest.approx(WALL_THICKNESS),
        "east": x == pytest.approx(12 - WALL_THICKNESS),
    }
    assert on_wall[item["wall"]], item
    facing = (math.sin(item["yaw"]), math.cos(item["yaw"]))
    assert facing[0] * (6 - x) + facing[1] * (5 - z) > 0
    assert item["label_pose"]["yaw"] == item["yaw"] and not item["label_pose"]["post"]
    assert 1.5 <= item["view_distance"] <= 10 - 2 * WALL_THICKNESS
    assert item["frame"]["width"] > 0 and item["url"] == f"/artifacts/{painting.pk}/"


def test_size_from_pixels_or_an_approximate_default_and_private_files_stay_out() -> None:
    scaled = make_flat(pixels=(4000, 3000), pixels_per_cm=100.0)
    unknown = make_flat(pixels=(1000, 2000))
    draft_copy = make_flat()
    Asset.objects.filter(artifact=draft_copy, kind=Asset.Kind.IMAGE).update(kind=Asset.Kind.SOURCE)
    scene = gallery_scene(make_exhibition(scaled, unknown, draft_copy))
    first, second, third = scene["items"]
    assert first["size"] == [0.4, 0.3] and not first["approximate"]
    assert second["approximate"] and second["size"] == [DEFAULT_LONG_SIDE / 2, DEFAULT_LONG_SIDE]
    assert "not recorded" in second["size_text"]
    assert third["image"] is None  # a private source is never offered as the picture
    assert all(item["position"] for item in scene["items"])


def test_plinths_and_pictures_mix_and_a_work_too_big_is_reported() -> None:
    floor = Floor.objects.create(name="Mixed")
    works = [make_flat(height_m=0.8, width_m=1.0) for _ in range(8)]
    giant = make_flat(height_m=5.0, width_m=3.0, title="A huge cartoon")
    objects = [make_artifact(height_m=0.5, width_m=0.6, depth_m=0.6) for _ in range(4)]
    exhibition = make_exhibition(*works, giant, *objects)
    room = Room.objects.create(
        floor=floor, code="m", name="Mixed", x_m=6, y_m=6, width_m=12, depth_m=12,
        exhibition=exhibition,
    )  # fmt: skip
    ExhibitionItem.objects.filter(exhibition=exhibition).update(room=room)
    scene = gallery_scene(exhibition)
    [unhung] = scene["unhung"]
    assert unhung["artifact_id"] == giant.pk and unhung["reason"] == "too_tall"
    assert "taller" in unhung["message"]
    by_id = {item["artifact_id"]: item for item in scene["items"]}
    assert by_id[giant.pk]["position"] is None
    hung = [by_id[w.pk] for w in works]
    plinths = [by_id[o.pk] for o in objects]
    assert all(p["position"] and p["form"] == "flat" for p in hung)
    assert all(p["position"] and p["form"] == "object" for p in plinths)
    # No plinth stands in the strip in front of a picture.
    for plinth in plinths:
        px, _, pz = plinth["position"]
        for picture in hung:
            x, _, z = picture["position"]
            half = picture["size"][0] / 2 + picture["frame"]["width"]
            if picture["wall"] in ("north", "south"):
                blocked = abs(px - x) < half + plinth["plinth"]["width"] / 2
                assert not blocked or abs(pz - z) > PICTURE_VIEW, (plinth, picture)
            else:
                blocked = abs(pz - z) < half + plinth["plinth"]["width"] / 2
                assert not blocked or abs(px - x) > PICTURE_VIEW, (plinth, picture)


def test_an_exhibition_without_rooms_gets_walls_for_its_pictures(
    django_assert_max_num_queries: Any,
) -> None:
    works = [make_flat(height_m=1.0, width_m=1.4) for _ in range(14)]
    exhibition = make_exhibition(*works, make_artifact())
    with django_assert_max_num_queries(5):  # one more than without pictures: the canvases
        scene = gallery_scene(exhibition)
    assert scene["unhung"] == [] and all(item["position"] for item in scene["items"])
