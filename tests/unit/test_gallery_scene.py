"""The gallery scene (museum/gallery/scene.py): rooms, doorways, plinths from real models."""

from __future__ import annotations

import itertools
import json
import math

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from exhibits.models import Asset, ExhibitionItem
from museum.gallery.layout import MIN_SPACING, WALL_THICKNESS
from museum.gallery.scene import gallery_scene
from museum.models import Floor, Passage, Room
from tests.unit.factories import glb_bytes, make_artifact, make_exhibition, make_source

pytestmark = pytest.mark.django_db

EPS = 1e-6


def make_room(floor: Floor, code: str, x: float, y: float, w: float, d: float, **fields) -> Room:
    return Room.objects.create(
        floor=floor, code=code, name=f"Room {code}", x_m=x, y_m=y, width_m=w, depth_m=d, **fields
    )


def footprint(item: dict) -> tuple[float, float, float, float]:
    """(min_x, max_x, min_z, max_z) of an item's plinth, turned by its yaw."""
    x, _, z = item["position"]
    width, depth = item["plinth"]["width"], item["plinth"]["depth"]
    turned = round(abs(math.sin(item["yaw"]))) == 1
    sx, sz = (depth, width) if turned else (width, depth)
    return x - sx / 2, x + sx / 2, z - sz / 2, z + sz / 2


def gap_between(a: tuple, b: tuple) -> float:
    """Distance between two rectangles (0 when they touch or overlap: negative overlap)."""
    dx = max(a[0] - b[1], b[0] - a[1])
    dz = max(a[2] - b[3], b[2] - a[3])
    return max(dx, dz)


def assert_sound_layout(scene: dict) -> None:
    """Every placed plinth is inside its room's walls and clear of every other plinth."""
    rooms = {room["key"]: room["bounds"] for room in scene["rooms"]}
    placed = [item for item in scene["items"] if item["position"]]
    for item in placed:
        box, bounds = footprint(item), rooms[item["room"]]
        assert box[0] >= bounds["min_x"] + WALL_THICKNESS - EPS, item
        assert box[1] <= bounds["max_x"] - WALL_THICKNESS + EPS, item
        assert box[2] >= bounds["min_z"] + WALL_THICKNESS - EPS, item
        assert box[3] <= bounds["max_z"] - WALL_THICKNESS + EPS, item
    for a, b in itertools.combinations(placed, 2):
        assert gap_between(footprint(a), footprint(b)) >= MIN_SPACING - EPS, (a, b)


@pytest.fixture
def plan():
    """Three galleries side by side (an exhibition) and a hall above them (not in it)."""
    floor = Floor.objects.create(name="Ground")
    artifacts = [
        make_artifact(height_m=0.3, width_m=0.4, depth_m=0.3),
        make_artifact(height_m=2.1, width_m=0.7, depth_m=0.6),
        make_artifact(),  # no recorded size
        make_artifact(height_m=0.5, width_m=1.5, depth_m=0.8),
    ]
    hidden = make_artifact(published=False)
    exhibition = make_exhibition(*artifacts, hidden)
    hall = make_room(floor, "hall", 18, 22, 36, 8, is_entrance=True, is_exit=True)
    g1, g2, g3 = (
        make_room(floor, f"g{n}", 6 + 12 * (n - 1), 10, 12, 14, exhibition=exhibition,
                  order_in_exhibition=n)
        for n in (1, 2, 3)
    )  # fmt: skip
    passages = [
        Passage.objects.create(from_room=a, to_room=b)
        for a, b in ((hall, g1), (g1, g2), (g2, g3), (g3, hall))
    ]
    items = list(exhibition.items.order_by("order"))
    items[0].room = g2
    items[0].label_text = "A skull, seen from above."
    items[0].save()
    return {
        "exhibition": exhibition,
        "rooms": (g1, g2, g3),
        "hall": hall,
        "passages": passages,
        "artifacts": artifacts,
        "hidden": hidden,
    }


def test_scene_is_json_and_lists_rooms_with_presence(plan) -> None:
    scene = json.loads(json.dumps(gallery_scene(plan["exhibition"])))
    g1, g2, g3 = plan["rooms"]
    assert [room["id"] for room in scene["rooms"]] == [g1.pk, g2.pk, g3.pk]
    assert [room["presence_url"] for room in scene["rooms"]] == [
        f"/ws/rooms/{g1.pk}/",
        f"/ws/rooms/{g2.pk}/",
        f"/ws/rooms/{g3.pk}/",
    ]
    assert scene["rooms"][1]["bounds"] == {
        "min_x": 12.0,
        "max_x": 24.0,
        "min_z": 3.0,
        "max_z": 17.0,
    }
    assert scene["spawn"]["room"] == scene["rooms"][0]["key"]
    assert scene["eye_height"] == 1.6


def test_one_plinth_per_published_item_inside_its_room_without_overlap(plan) -> None:
    scene = gallery_scene(plan["exhibition"])
    ids = [item["artifact_id"] for item in scene["items"]]
    assert ids == [artifact.pk for artifact in plan["artifacts"]]
    assert plan["hidden"].pk not in ids
    assert all(item["position"] for item in scene["items"])
    assert_sound_layout(scene)
    g1, g2, g3 = plan["rooms"]
    rooms = [item["room"] for item in scene["items"]]
    # The first item is placed in g2; the others (no room) are dealt out over g1, g2, g3.
    assert rooms[0] == f"room-{g2.pk}"
    assert set(rooms[1:]) >= {f"room-{g1.pk}", f"room-{g3.pk}"}
    first = scene["items"][0]
    assert first["label"] == "A skull, seen from above."
    assert first["url"] == f"/artifacts/{plan['artifacts'][0].pk}/"
    assert first["dimensions"] == {"height": 0.3, "width": 0.4, "depth": 0.3}


def test_plinths_scale_with_the_artifact_and_face_into_the_room(plan) -> None:
    scene = gallery_scene(plan["exhibition"])
    small, tall, unknown, wide = scene["items"]
    assert wide["plinth"]["width"] > small["plinth"]["width"]
    assert tall["plinth"]["height"] < small["plinth"]["height"]  # tall things stand low
    assert unknown["plinth"]["width"] == pytest.approx(0.7)  # the default 0.4 m + padding
    rooms = {room["key"]: room["bounds"] for room in scene["rooms"]}
    for item in scene["items"]:
        bounds = rooms[item["room"]]
        centre = ((bounds["min_x"] + bounds["max_x"]) / 2, (bounds["min_z"] + bounds["max_z"]) / 2)
        x, _, z = item["position"]
        facing = (math.sin(item["yaw"]), math.cos(item["yaw"]))
        towards = (centre[0] - x, centre[1] - z)
        assert facing[0] * towards[0] + facing[1] * towards[1] > 0, item


def test_doorways_match_passages(plan) -> None:
    scene = gallery_scene(plan["exhibition"])
    by_passage = {doorway["passage"]: doorway for doorway in scene["doorways"]}
    assert set(by_passage) == {passage.pk for passage in plan["passages"]}
    hall_g1, g1_g2, g2_g3, g3_hall = (by_passage[p.pk] for p in plan["passages"])
    g1, g2, _ = plan["rooms"]
    assert g1_g2["kind"] == g2_g3["kind"] == "open"
    assert g1_g2["rooms"] == [f"room-{g1.pk}", f"room-{g2.pk}"]
    # g1 and g2 share the wall x = 12: the doorway is on it, the corridor crosses it.
    assert [side["wall"] for side in g1_g2["sides"]] == ["east", "west"]
    assert g1_g2["sides"][0]["at"] == [12.0, 10.0]
    corridor = g1_g2["corridor"]
    assert corridor["min_x"] < 12 < corridor["max_x"] and corridor["min_z"] < 10 < corridor["max_z"]
    # The hall is not part of the exhibition: its doorways are exits, not walkable.
    for doorway in (hall_g1, g3_hall):
        assert doorway["kind"] == "exit" and doorway["corridor"] is None
        assert doorway["to_name"] == "Room hall"
        assert len(doorway["sides"]) == 1 and doorway["sides"][0]["wall"] == "south"
    # No plinth stands in front of a doorway.
    for item in scene["items"]:
        for doorway in scene["doorways"]:
            for side in doorway["sides"]:
                box = footprint(item)
                point = (side["at"][0], side["at"][0], side["at"][1], side["at"][1])
                assert gap_between(box, point) > 0.8


def test_rooms_apart_get_a_corridor_and_unjoinable_rooms_a_closed_door() -> None:
    floor = Floor.objects.create(name="Upper", level=1)
    exhibition = make_exhibition(make_artifact(), make_artifact())
    a = make_room(floor, "a", 5, 5, 10, 10, exhibition=exhibition, order_in_exhibition=0)
    b = make_room(floor, "b", 5, 17, 10, 10, exhibition=exhibition, order_in_exhibition=1)
    store = make_room(floor, "store", 40, 40, 5, 5)  # far away, not in the exhibition
    Passage.objects.create(from_room=a, to_room=b)
    Passage.objects.create(from_room=store, to_room=a)
    scene = gallery_scene(exhibition)
    joined, closed = sorted(scene["doorways"], key=lambda d: d["kind"] != "open")
    assert joined["kind"] == "open" and joined["gap"] == pytest.approx(2.0)
    assert joined["corridor"]["min_z"] < 10 and joined["corridor"]["max_z"] > 12
    assert closed["kind"] == "closed" and closed["rooms"] == [f"room-{a.pk}", None]
    assert closed["sides"][0]["wall"] in {"east", "south"}  # the walls that look towards it
    assert_sound_layout(scene)


def test_exhibition_without_rooms_gets_a_room_sized_to_its_items() -> None:
    artifacts = [make_artifact(width_m=1.2, depth_m=0.8, height_m=1.0) for _ in range(12)]
    exhibition = make_exhibition(*artifacts)
    scene = gallery_scene(exhibition)
    [room] = scene["rooms"]
    assert room["id"] is None and room["presence_room"] is None and room["presence_url"] is None
    assert scene["doorways"] == []
    assert len(scene["items"]) == 12 and all(item["position"] for item in scene["items"])
    assert_sound_layout(scene)
    small = gallery_scene(make_exhibition(make_artifact()))["rooms"][0]["bounds"]
    assert room["bounds"]["max_x"] - room["bounds"]["min_x"] > small["max_x"] - small["min_x"]


def test_a_crowded_room_spills_over_and_never_overlaps() -> None:
    floor = Floor.objects.create(name="Small")
    artifacts = [make_artifact(width_m=0.8, depth_m=0.5, height_m=0.5) for _ in range(40)]
    exhibition = make_exhibition(*artifacts)
    small = make_room(floor, "s", 4.5, 4.5, 9, 9, exhibition=exhibition, order_in_exhibition=0)
    big = make_room(floor, "b", 20, 10, 20, 20, exhibition=exhibition, order_in_exhibition=1)
    ExhibitionItem.objects.filter(exhibition=exhibition).update(room=small)
    scene = gallery_scene(exhibition)
    placed = [item for item in scene["items"] if item["position"]]
    assert len(placed) == 40
    rooms = {item["room"] for item in placed}
    assert rooms == {f"room-{small.pk}", f"room-{big.pk}"}
    assert_sound_layout(scene)


def test_bad_sizes_fall_back_and_an_item_in_another_exhibitions_room_is_dealt_out() -> None:
    floor = Floor.objects.create(name="Odd")
    broken = make_artifact(height_m=-1.0, width_m=0.0, depth_m=None)
    exhibition = make_exhibition(broken)
    other = make_exhibition(make_artifact())
    mine = make_room(floor, "m", 5, 5, 10, 10, exhibition=exhibition)
    theirs = make_room(floor, "t", 20, 5, 10, 10, exhibition=other)
    ExhibitionItem.objects.filter(exhibition=exhibition).update(room=theirs)
    [item] = gallery_scene(exhibition)["items"]
    assert item["room"] == f"room-{mine.pk}"
    assert item["plinth"]["width"] == pytest.approx(0.7) and 0.1 <= item["plinth"]["height"] <= 1


def test_lod_urls_and_public_source_fallback_with_few_queries(
    plan, django_assert_max_num_queries
) -> None:
    artifact = plan["artifacts"][0]
    source = make_source(artifact)
    for label in ("thumb", "web"):
        Asset.objects.create(
            artifact=artifact,
            kind=Asset.Kind.LOD,
            label=label,
            file=ContentFile(glb_bytes(), name=f"{label}.glb"),
            derived_from=source,
            sha256="0" * 64,
            byte_size=1,
            format="glb",
        )
    public_source = make_source(plan["artifacts"][1])
    public_source.public = True  # released by the curator; sources are private by default
    public_source.save()
    make_source(plan["artifacts"][2])  # private: never listed
    with django_assert_max_num_queries(4):
        scene = gallery_scene(plan["exhibition"])
    first, second, third, _ = scene["items"]
    assert first["lods"]["thumb"].endswith(".glb") and "thumb" in first["lods"]["thumb"]
    assert "web" in first["lods"]["web"]
    assert second["lods"] == {"thumb": None, "web": None}
    assert second["model_url"].endswith(".glb")
    assert third["model_url"] is None


def test_exhibition_page_embeds_the_gallery(client, plan) -> None:
    url = reverse("exhibition-detail", args=[plan["exhibition"].slug])
    html = client.get(url).content.decode()
    assert 'id="exhibition-gallery"' in html and 'id="gallery-config"' in html
    assert "js/pages/gallery.js" in html and 'data-xr-mode="immersive-vr"' in html
    start = html.index('id="gallery-config"')
    config = json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])
    assert len(config["items"]) == 4 and config["strings"]["vrEnter"] == "Enter VR"
    empty = make_exhibition()
    html = client.get(reverse("exhibition-detail", args=[empty.slug])).content.decode()
    assert "exhibition-gallery" not in html and "No objects are on view" in html
