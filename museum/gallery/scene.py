"""The walkable gallery of an exhibition as plain data for static/js/pages/gallery.js.

`gallery_scene(exhibition)` reads the floor plan (rooms, passages) and the exhibition's published
items and returns a JSON-able dict: rooms with their bounds in world metres, doorways (open
between the exhibition's rooms, closed or exits to the rest of the building), and one plinth per
item placed along the walls at the artifact's real size; flat works (paintings, prints...) hang
on the walls first, framed, at their real size (scene_pictures.py, walls.py), and what cannot be
hung is listed in "unhung". World axes: plan x is x, plan y is z, y is up; a yaw of 0 faces +z.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, prefetch_related_objects
from django.templatetags.static import static
from django.utils.translation import gettext as _

from exhibits.collection.models import pick_web_model
from exhibits.collection.serializers import pick_lods
from exhibits.collection.visibility import visible_assets
from exhibits.models import Artifact, Asset, Exhibition, ExhibitionItem, PublicationStatus
from museum.building.services import public_rooms
from museum.gallery.layout import (
    DOOR_HEIGHT,
    DOOR_WIDTH,
    EYE_HEIGHT,
    VIEW_DISTANCE,
    WALKER_RADIUS,
    WALL_HEIGHT,
    WALL_THICKNESS,
    Footprint,
    Rect,
    RoomLayout,
    door_point,
    doorway_geometry,
    facing_wall,
    footprint,
    label_pose,
    place_items,
    spawn_point,
    synthetic_rect,
)
from museum.gallery.scene_pictures import flat_fields, picture_of, refusal
from museum.gallery.walls import HANG_GAP, HANG_LINE, PICTURE_VIEW, Picture, hang_pictures
from museum.models import Passage, Room

SCENE_VERSION = 1


def _rect(room: Room) -> Rect:
    return Rect.around(room.x_m, room.y_m, room.width_m, room.depth_m)


def _room_dict(key: str, room: Room | None, rect: Rect, name: str) -> dict[str, Any]:
    return {
        "key": key,
        "id": room.pk if room else None,
        "code": room.code if room else "",
        "name": name,
        "presence_room": room.pk if room else None,
        "presence_url": f"/ws/rooms/{room.pk}/" if room else None,
        "capacity": room.capacity if room else None,
        "bounds": rect.as_dict(),
        "height": WALL_HEIGHT,
    }


def _item_dict(item: ExhibitionItem, size: Footprint, where: dict | None, room_key: str) -> dict:
    artifact = item.artifact
    assets = list(artifact.assets.all())
    lods = pick_lods(assets)
    web_model = pick_web_model(assets)  # public assets only (_load): never a private source
    position = None
    if where is not None:
        position = [round(where["x"], 3), 0.0, round(where["z"], 3)]
    return {
        "artifact_id": artifact.pk,
        "title": artifact.title,
        "url": artifact.get_absolute_url(),
        "form": "object",
        "label": item.translated_label,
        "date": artifact.date_text,
        "culture": artifact.culture,
        "room": room_key,
        "position": position,
        "yaw": round(where["yaw"], 4) if where else 0.0,
        "label_pose": label_pose(where, size) if where else None,
        "plinth": {"width": size.along, "depth": size.across, "height": size.height},
        "dimensions": {
            "height": artifact.height_m,
            "width": artifact.width_m,
            "depth": artifact.depth_m,
        },
        "lods": {
            label: asset.file.url if (asset := lods[label]) else None for label in ("thumb", "web")
        },
        "model_url": web_model.file.url if web_model else None,
    }


def _load(exhibition: Exhibition) -> tuple[list[Room], list[Passage], list[ExhibitionItem]]:
    rooms = list(exhibition.rooms.order_by("order_in_exhibition", "code", "pk"))
    passages = list(
        Passage.objects.filter(Q(from_room__in=rooms) | Q(to_room__in=rooms))
        .filter(from_room__in=public_rooms(), to_room__in=public_rooms())
        .select_related("from_room", "to_room")
        .order_by("pk")
    )
    kinds = [Asset.Kind.LOD, Asset.Kind.SOURCE, Asset.Kind.IMAGE]
    assets = visible_assets(None).filter(kind__in=kinds)
    items = list(
        exhibition.items.filter(artifact__status=PublicationStatus.PUBLISHED)
        .select_related("artifact")
        .prefetch_related(Prefetch("artifact__assets", queryset=assets))
        .order_by("order", "pk")
    )
    # Only flat works have canvases: no query for an exhibition without any.
    prefetch_related_objects([i.artifact for i in items if _flat(i.artifact)], "canvases")
    return rooms, passages, items


def _flat(artifact: Artifact) -> bool:
    return artifact.form == Artifact.Form.FLAT


def gallery_scene(exhibition: Exhibition) -> dict[str, Any]:
    """The gallery of `exhibition`: rooms, doorways, plinths and spawn point (JSON-able)."""
    rooms, passages, items = _load(exhibition)
    pictures: dict[int, Picture] = {}
    sizes: dict[int, Footprint] = {}
    for index, item in enumerate(items):
        artifact = item.artifact
        if _flat(artifact):
            pictures[index] = picture_of(artifact)
        else:
            sizes[index] = footprint(artifact.height_m, artifact.width_m, artifact.depth_m)
    if rooms:
        layouts = {f"room-{room.pk}": RoomLayout(f"room-{room.pk}", _rect(room)) for room in rooms}
        room_dicts = [_room_dict(f"room-{r.pk}", r, _rect(r), r.name) for r in rooms]
    else:
        wall = sum(p.along + HANG_GAP for p in pictures.values())
        rect = synthetic_rect(list(sizes.values()), wall_length=wall)
        layouts = {"room-0": RoomLayout("room-0", rect)}
        room_dicts = [_room_dict("room-0", None, rect, exhibition.title)]
    keys = list(layouts)
    key_of = {room.pk: f"room-{room.pk}" for room in rooms}

    doorways = _doorways(passages, key_of, layouts)

    # Items stand in their own room when it belongs to the exhibition; others are dealt out
    # over the exhibition's rooms in order.
    wanted: dict[str, list[int]] = {key: [] for key in keys}
    hung: dict[str, list[int]] = {key: [] for key in keys}
    for index, item in enumerate(items):
        key = key_of.get(item.room_id) if item.room_id else None
        (hung if index in pictures else wanted)[key or keys[index % len(keys)]].append(index)
    # Pictures first: plinths keep off the wall they take, and stand on the floor if need be.
    hanging = hang_pictures(layouts, hung, pictures)
    where, room_of = place_items(layouts, wanted, sizes, picture_band=WALL_THICKNESS + PICTURE_VIEW)
    item_dicts = []
    for index, item in enumerate(items):
        if index in pictures:
            key = hanging.room_of.get(index)
            entry = _item_dict(item, Footprint(0, 0, 0), None, key or keys[0])
            spot = hanging.where.get(index)
            layout = layouts[key] if key else None
            entry |= flat_fields(item.artifact, pictures[index], spot, layout)
        else:
            entry = _item_dict(item, sizes[index], where.get(index), room_of.get(index, keys[0]))
        item_dicts.append(entry)
    return {
        "version": SCENE_VERSION,
        "exhibition": {"slug": exhibition.slug, "title": exhibition.title},
        "eye_height": EYE_HEIGHT,
        "walker_radius": WALKER_RADIUS,
        "wall_thickness": WALL_THICKNESS,
        "door_height": DOOR_HEIGHT,
        "view_distance": VIEW_DISTANCE,
        "hang_line": HANG_LINE,
        "draco_decoder_path": static("vendor/three/addons/libs/draco/gltf/"),
        "rooms": room_dicts,
        "doorways": doorways,
        "items": item_dicts,
        "unhung": [
            refusal(items[index].artifact, reason) for index, reason in hanging.refused.items()
        ],
        "spawn": _spawn(room_dicts[0], layouts[keys[0]], doorways, item_dicts),
    }


def _doorways(
    passages: list[Passage], key_of: dict[int, str], layouts: dict[str, RoomLayout]
) -> list[dict[str, Any]]:
    """One doorway per passage: open between exhibition rooms, else closed or an exit."""
    doorways = []
    for passage in passages:
        ends = [passage.from_room, passage.to_room]
        inside = [room for room in ends if room.pk in key_of]
        a, b = inside[0], next(room for room in ends if room is not inside[0])
        ra, rb = _rect(a), _rect(b)
        geometry = doorway_geometry(ra, rb)
        both = b.pk in key_of
        if geometry:
            wall_a, centre = geometry["walls"][0], geometry["centre"]
        else:
            wall_a, centre = facing_wall(ra, rb)
        kind = "open" if both and geometry else ("exit" if b.is_exit or b.is_entrance else "closed")
        entry: dict[str, Any] = {
            "passage": passage.pk,
            "kind": kind,
            "two_way": passage.two_way,
            "rooms": [key_of[a.pk], key_of.get(b.pk)],
            "to_name": b.name,
            "from_name": a.name,
            "width": DOOR_WIDTH,
            "sides": [{"room": key_of[a.pk], "wall": wall_a, "at": door_point(ra, wall_a, centre)}],
            "corridor": None,
        }
        layouts[key_of[a.pk]].doors[wall_a].append(centre)
        if both:
            wall_b = geometry["walls"][1] if geometry else facing_wall(rb, ra)[0]
            centre_b = centre if geometry else facing_wall(rb, ra)[1]
            entry["sides"].append(
                {"room": key_of[b.pk], "wall": wall_b, "at": door_point(rb, wall_b, centre_b)}
            )
            layouts[key_of[b.pk]].doors[wall_b].append(centre_b)
        if kind == "open":
            assert geometry is not None  # an open passage always has its geometry
            entry["corridor"] = geometry["corridor"].as_dict()
            entry["gap"] = round(geometry["gap"], 3)
        doorways.append(entry)
    return doorways


def _spawn(
    room: dict, layout: RoomLayout, doorways: list[dict], items: list[dict]
) -> dict[str, Any]:
    """Just inside the first room, by its way in from outside when it has one, facing the
    works placed in it (or the room's middle)."""
    entry = next(
        (
            side
            for doorway in doorways
            if doorway["kind"] == "exit"
            for side in doorway["sides"][:1]
            if side["room"] == room["key"]
        ),
        None,
    )
    sights = [
        (item["position"][0], item["position"][2])
        for item in items
        if item["room"] == room["key"] and item["position"]
    ]
    x, z, yaw = spawn_point(layout.rect, (entry["wall"], entry["at"]) if entry else None, sights)
    return {"room": room["key"], "position": [x, z], "yaw": yaw}


def gallery_strings() -> dict[str, str]:
    """UI strings of gallery.js, translated on the server."""
    return {
        "loading": _("Loading the gallery…"),
        "loadingModels": _("Loading objects: {done} of {total}"),
        "ready": _("Gallery ready. {count} objects on view."),
        "noWebGL": _(
            "Your browser cannot display the 3D gallery (WebGL is unavailable). "
            "The list of objects below shows the whole exhibition."
        ),
        "modelError": _("One object could not be loaded in 3D: {title}"),
        "openPage": _("Open the page of {title}"),
        "standingAt": _("You are in front of {title}."),
        "room": _("You are in: {room}"),
        "exit": _("Exit to {room}"),
        "closed": _("{room} (closed)"),
        "presenceOff": _("Visiting alone: presence is off in this gallery."),
        "presenceConnecting": _("Connecting to other visitors…"),
        "presenceAlone": _("Nobody else is here."),
        "presenceOthers": _("{count} others here"),
        "presenceOne": _("1 other here"),
        "presenceListener": _("Listening: room is full"),
        "presenceClosed": _("Not connected to other visitors; retrying."),
        "imageError": _("One picture could not be loaded: {title}"),
        "unhung": _("Not on the walls: {list}"),
        "nextStop": _("{text} ({why})"),
        "nextStopError": _("The next stop could not be found just now."),
        **xr_strings(),
        "vrEnter": _("Enter VR"),
    }


def xr_strings() -> dict[str, str]:
    """The VR/AR buttons' texts (js/lib/xr-buttons.js), shared by the viewer and the gallery."""
    return {
        "vrEnter": _("View in VR"),
        "vrExit": _("Exit VR"),
        "vrUnavailable": _("VR not available"),
        "arEnter": _("View in AR"),
        "arExit": _("Exit AR"),
        "arUnavailable": _("AR not available"),
        "xrChecking": _("Checking…"),
        "xrUnavailableHint": _("This browser or device does not support immersive sessions."),
        "xrFailed": _("The immersive session could not be started."),
    }
