"""The framework-free intake helpers: GLB/Draco reading, format sniffing, thumbnails, viewpoints."""

from __future__ import annotations

import io
import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest
import trimesh
from django.core.exceptions import ValidationError
from PIL import Image

from exhibits.collection.services import sniff_format
from exhibits.demo.content import DEMO_DIR
from exhibits.intake.glb_document import GltfDocument
from exhibits.intake.gltf import MeshReadError, load_glb
from exhibits.intake.thumbnail import BACKGROUND, render_thumbnail
from exhibits.intake.viewpoints import extreme_viewpoint

WHALE_DRACO = DEMO_DIR / "whale_cranium_draco.glb"
VENUS = DEMO_DIR / "venus.glb"


def box_glb() -> bytes:
    return trimesh.creation.box(extents=(1.0, 2.0, 3.0)).export(file_type="glb")


def test_plain_glb_loads_with_counts_and_bounds() -> None:
    mesh = load_glb(box_glb())
    assert len(mesh.faces) == 12
    assert np.allclose(mesh.extents, (1.0, 2.0, 3.0))


def test_draco_glb_decodes_to_the_real_mesh() -> None:
    mesh = load_glb(WHALE_DRACO.read_bytes())
    assert len(mesh.faces) == 100_000
    # The accessor bounds recorded in the file must match the decoded geometry.
    document = GltfDocument.from_glb(WHALE_DRACO.read_bytes()).json
    position = document["meshes"][0]["primitives"][0]["attributes"]["POSITION"]
    accessor = document["accessors"][position]
    assert np.allclose(mesh.bounds[0], accessor["min"], atol=1e-4)
    assert np.allclose(mesh.bounds[1], accessor["max"], atol=1e-4)


def test_draco_matches_uncompressed_original_from_shared_data() -> None:
    data_dir = os.environ.get("MOUSEION_DATA")
    if not data_dir or not (Path(data_dir) / "meshes" / "whale_cranium.glb").exists():
        pytest.skip("MOUSEION_DATA not set (needs meshes/whale_cranium.glb)")
    plain = load_glb((Path(data_dir) / "meshes" / "whale_cranium.glb").read_bytes())
    draco = load_glb(WHALE_DRACO.read_bytes())
    assert len(plain.faces) == len(draco.faces)
    assert np.allclose(plain.bounds, draco.bounds, atol=1e-3)
    assert abs(plain.area - draco.area) / plain.area < 0.01


def test_node_transform_is_applied_like_three_js() -> None:
    # The Venus carries a Z-up -> Y-up node matrix: the statue must stand along +Y.
    mesh = load_glb(VENUS.read_bytes())
    assert np.argmax(mesh.extents) == 1
    assert mesh.bounds[0][1] > -10  # base near y = 0 (millimetres)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "magic"),
        (b"not a mesh at all, just text", "magic"),
        (b"glTF" + struct.pack("<II", 2, 10_000) + b"\x00" * 12, "truncated"),
        (b"glTF" + struct.pack("<II", 1, 20) + b"\x00" * 8, "version"),
    ],
)
def test_bad_glb_bytes_give_a_clear_error(data: bytes, reason: str) -> None:
    with pytest.raises(MeshReadError, match=reason):
        load_glb(data)


def test_glb_without_mesh_is_refused() -> None:
    document = json.dumps({"asset": {"version": "2.0"}, "scenes": [{"nodes": []}]}).encode()
    document += b" " * (-len(document) % 4)
    data = (
        b"glTF"
        + struct.pack("<II", 2, 12 + 8 + len(document))
        + struct.pack("<I4s", len(document), b"JSON")
        + document
    )
    with pytest.raises(MeshReadError, match="no mesh"):
        load_glb(data)


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (b"glTF\x02\x00\x00\x00", "scan.glb", "glb"),
        (b"\x89PNG\r\n\x1a\n\x00", "texture.png", "png"),
        (b"\xff\xd8\xff\xe0", "photo.JPEG", "jpg"),
        (b"ply\nformat ascii", "scan.ply", "ply"),
        (b'{"asset":', "scene.gltf", "gltf"),
    ],
)
def test_sniff_format_accepts_matching_content(head: bytes, name: str, expected: str) -> None:
    assert sniff_format(head, name) == expected


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (b"\x89PNG\r\n\x1a\n\x00", "model.glb"),  # a PNG dressed as a mesh
        (b"glTF\x02\x00\x00\x00", "image.png"),
        (b"MZ\x90\x00", "setup.exe"),
        (b"random bytes", "noextension"),
    ],
)
def test_sniff_format_refuses_mismatch_or_unknown(head: bytes, name: str) -> None:
    with pytest.raises(ValidationError):
        sniff_format(head, name)


def test_thumbnail_is_not_blank_and_centred() -> None:
    image = render_thumbnail(load_glb(VENUS.read_bytes()), size=128)
    pixels = np.asarray(image, dtype=np.int16)
    covered = np.any(np.abs(pixels - np.array(BACKGROUND)) > 10, axis=2)
    assert 0.05 < covered.mean() < 0.9
    rows, cols = np.nonzero(covered)
    assert abs(cols.mean() - 64) < 20 and abs(rows.mean() - 64) < 20
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    assert Image.open(io.BytesIO(buffer.getvalue())).size == (128, 128)


def test_extreme_viewpoint_finds_the_top_of_a_box_and_looks_at_it() -> None:
    mesh = trimesh.creation.box(extents=(1.0, 2.0, 1.0))
    view = extreme_viewpoint(mesh, (0.0, 1.0, 0.0))
    assert view.position[1] == pytest.approx(1.0)
    assert view.camera_target == view.position
    camera = np.array(view.camera_position)
    assert camera[1] > 1.5  # above the box, looking down at the point
    assert np.linalg.norm(view.normal) == pytest.approx(1.0, abs=1e-6)


def test_extreme_viewpoint_respects_the_height_band() -> None:
    mesh = trimesh.creation.box(extents=(1.0, 2.0, 1.0))
    view = extreme_viewpoint(mesh, (0.0, 1.0, 0.0), height_band=(0.0, 0.5))
    assert view.position[1] <= 0.0 + 1e-9


def test_latin1_obj_is_read_not_refused() -> None:
    from exhibits.intake.limits import IntakeLimits
    from exhibits.intake.sources import open_source

    text = "# Modèle exporté par un scanner à Genève\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"
    scan = open_source(text.encode("cp1252"), "fragment.obj", IntakeLimits())
    assert scan.cleaning.faces == 1


def test_random_binary_named_obj_is_still_refused() -> None:
    from exhibits.intake.errors import IntakeError
    from exhibits.intake.sniff import sniff

    noise = bytes(np.random.default_rng(1).integers(0, 256, 2048, dtype=np.uint8))
    with pytest.raises(IntakeError) as caught:
        sniff(noise, "scan.obj")
    assert caught.value.code == "unknown_format"
