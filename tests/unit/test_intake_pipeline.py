"""The real intake pipeline on the committed demo scans (the Venus in millimetres with two
2048² maps, the Draco whale skull) and on an open half of the whale: LOD budgets, glTF
validity, a decode round-trip of the meshopt output, normalisation, the texture ladder, and
no new open edges."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import trimesh
from django.conf import settings
from PIL import Image

from exhibits.demo.content import DEMO_DIR
from exhibits.intake.glb_document import GltfDocument
from exhibits.intake.gltf import load_glb
from exhibits.intake.limits import IntakeLimits
from exhibits.intake.lod import THUMB_MAX_BYTES, LadderSettings
from exhibits.intake.pipeline import IntakeResult, run_intake
from exhibits.intake.sources import open_source
from exhibits.intake.textures import largest_texture_side, with_textures_at_most
from tests.unit.intake_fixtures import QUAD_INDICES, QUAD_POSITIONS, GltfBuilder, png_bytes

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / "tests" / "tools" / "validate_gltf.cjs"
HALF_WHALE_WEB_FACES = 15_000

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def ladder(**overrides: int) -> LadderSettings:
    return LadderSettings(gltfpack_cli=str(settings.MOUSEION_GLTFPACK), **overrides)


def decode_meshopt(data: bytes, folder: Path, name: str) -> trimesh.Trimesh:
    """Our meshopt output re-packed by gltfpack without -c (and unquantised, -noq), read back
    with trimesh in world coordinates."""
    packed, plain = folder / f"{name}.glb", folder / f"{name}.plain.glb"
    packed.write_bytes(data)
    subprocess.run(
        ["node", str(settings.MOUSEION_GLTFPACK), "-i", str(packed), "-o", str(plain), "-noq"],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    scene = trimesh.load(io.BytesIO(plain.read_bytes()), file_type="glb", force="scene")
    return scene.to_mesh()


def boundary_edges(mesh: trimesh.Trimesh) -> int:
    """Edges used by exactly one face once vertices are merged by position (UV and normal
    seams split vertices without opening the surface)."""
    merged = mesh.copy()
    merged.merge_vertices(merge_tex=True, merge_norm=True)
    _, counts = np.unique(np.sort(merged.edges, axis=1), axis=0, return_counts=True)
    return int((counts == 1).sum())


def validate(paths: list[Path]) -> list[dict]:
    output = subprocess.run(
        ["node", str(VALIDATOR), *map(str, paths)],
        capture_output=True, text=True, check=True, timeout=300, cwd=ROOT,
    ).stdout  # fmt: skip
    return [json.loads(line) for line in output.splitlines()]


def open_half_whale() -> bytes:
    """The whale skull cut in two: a real scan with a long open border (203 edges)."""
    mesh = load_glb((DEMO_DIR / "whale_cranium_draco.glb").read_bytes())
    half = trimesh.Trimesh(mesh.vertices, mesh.faces[mesh.triangles_center[:, 2] < 0.05])
    return half.export(file_type="glb")


@dataclass
class Ingested:
    name: str
    data: bytes
    result: IntakeResult
    source_mesh: trimesh.Trimesh  # world coordinates, source units
    decoded: dict[str, trimesh.Trimesh]  # label -> LOD after the decode round-trip
    folder: Path

    def lod(self, label: str):
        return next(lod for lod in self.result.lods if lod.label == label)

    def normalised_source_bounds(self) -> np.ndarray:
        return self.source_mesh.copy().apply_transform(self.result.normalisation.matrix).bounds


SCANS = ("venus", "whale", "half_whale")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ingested]:
    inputs = {
        "venus": ((DEMO_DIR / "venus.glb").read_bytes(), ladder()),
        "whale": ((DEMO_DIR / "whale_cranium_draco.glb").read_bytes(), ladder()),
        "half_whale": (open_half_whale(), ladder(web_faces=HALF_WHALE_WEB_FACES)),
    }
    scans = {}
    for name, (data, steps) in inputs.items():
        folder = tmp_path_factory.mktemp(name)
        result = run_intake(data, f"{name}.glb", IntakeLimits(), steps)
        decoded = {lod.label: decode_meshopt(lod.data, folder, lod.label) for lod in result.lods}
        scans[name] = Ingested(name, data, result, load_glb(data), decoded, folder)
    return scans


@pytest.mark.parametrize("name", SCANS)
def test_ladder_labels_and_budgets(ingested: dict[str, Ingested], name: str) -> None:
    scan = ingested[name]
    source_faces = scan.result.report["faces"]
    assert [lod.label for lod in scan.result.lods] == ["thumb", "web"]
    thumb, web = scan.lod("thumb"), scan.lod("web")
    assert len(thumb.data) < THUMB_MAX_BYTES
    assert 0 < thumb.faces <= ladder().thumb_faces
    web_budget = HALF_WHALE_WEB_FACES if name == "half_whale" else ladder().web_faces
    assert web.faces <= web_budget
    # A source within budget keeps every face; a larger one comes close to the budget.
    assert web.faces == source_faces if source_faces <= web_budget else web.faces > 0.9 * web_budget
    for lod in scan.result.lods:
        assert len(scan.decoded[lod.label].faces) == lod.faces
    print(
        f"\n{name}: source {source_faces} faces; "
        + "; ".join(
            f"{lod.label} {lod.faces} faces {len(lod.data):,} B" for lod in scan.result.lods
        )
    )


def test_demo_face_counts(ingested: dict[str, Ingested]) -> None:
    assert ingested["venus"].result.report["faces"] == 24_058
    assert ingested["whale"].result.report["faces"] == 100_000
    assert ingested["whale"].lod("web").faces == 100_000


def test_every_glb_written_passes_the_validator(
    ingested: dict[str, Ingested], tmp_path: Path
) -> None:
    paths = []
    for scan in ingested.values():
        for lod in scan.result.lods:
            paths.append(tmp_path / f"{scan.name}-{lod.label}.glb")
            paths[-1].write_bytes(lod.data)
    # Our own writer too: the Draco whale decoded and normalised by GltfDocument.to_glb().
    document = open_source(ingested["whale"].data, "whale.glb", IntakeLimits()).document
    document.wrap_roots(ingested["whale"].result.normalisation.matrix)
    paths.append(tmp_path / "whale-decoded.glb")
    paths[-1].write_bytes(document.to_glb())
    reports = validate(paths)
    assert len(reports) == len(paths)
    for report in reports:
        assert report["errors"] == 0, report


@pytest.mark.parametrize("name", SCANS)
def test_decoded_lods_match_the_normalised_source(ingested: dict[str, Ingested], name: str) -> None:
    scan = ingested[name]
    expected = scan.normalised_source_bounds()
    extent = float(np.ptp(expected, axis=0).max())
    for label, mesh in scan.decoded.items():
        simplified = scan.lod(label).faces < scan.result.report["faces"]
        # 14-bit quantisation moves points by < extent / 16384; simplification trims tips.
        tolerance = (0.015 if simplified else 0.001) * extent
        assert np.allclose(mesh.bounds, expected, atol=tolerance), (label, mesh.bounds, expected)


def test_venus_is_normalised_from_millimetres(ingested: dict[str, Ingested]) -> None:
    venus = ingested["venus"]
    report = venus.result.report
    assert report["units"].startswith("assumed millimetres")
    assert report["dimensions_m"]["height"] == pytest.approx(2.12, abs=0.01)
    low, high = venus.normalised_source_bounds()
    assert low[1] == pytest.approx(0.0, abs=1e-6)  # standing on y = 0
    assert high[1] == pytest.approx(report["dimensions_m"]["height"], abs=1e-3)
    assert (low[0] + high[0]) / 2 == pytest.approx(0.0, abs=1e-6)  # footprint centred
    assert (low[2] + high[2]) / 2 == pytest.approx(0.0, abs=1e-6)
    web = venus.decoded["web"].bounds
    assert web[0][1] == pytest.approx(0.0, abs=1e-3)
    assert abs(web[0][0] + web[1][0]) < 1e-3 and abs(web[0][2] + web[1][2]) < 1e-3


def test_whale_stays_in_metres(ingested: dict[str, Ingested]) -> None:
    report = ingested["whale"].result.report
    assert report["units"] == "metres (glTF convention)"
    assert report["dimensions_m"]["height"] == pytest.approx(0.238, abs=0.002)


@pytest.mark.parametrize("name", ["venus", "whale"])
def test_web_textures_are_the_source_images_untouched(
    ingested: dict[str, Ingested], name: str
) -> None:
    scan = ingested[name]
    source = GltfDocument.from_glb(scan.data)
    source_images = [source.image_bytes(i) for i in range(len(source.json["images"]))]
    web = GltfDocument.from_glb(scan.lod("web").data)
    web_images = [web.image_bytes(i) for i in range(len(web.json.get("images", [])))]
    assert scan.lod("web").texture_side == 2048  # the sources' maps are 2048², kept as they are
    assert web_images and all(image in source_images for image in web_images)
    assert scan.lod("thumb").texture_side <= ladder().thumb_texture


def test_thumb_carries_only_referenced_images(ingested: dict[str, Ingested]) -> None:
    """The thumb drops the detail maps (the Venus has only normal and ORM maps), images
    included: gltfpack alone would keep them orphaned."""
    thumb = GltfDocument.from_glb(ingested["venus"].lod("thumb").data)
    used = {texture["source"] for texture in thumb.json.get("textures", [])}
    assert used == set(range(len(thumb.json.get("images", []))))


def image_glb(*images: bytes) -> GltfDocument:
    builder = GltfBuilder()
    for image in images:
        builder.add_textured_material(image)
    builder.add_mesh(QUAD_POSITIONS, QUAD_INDICES, uvs=np.zeros((4, 2)), material=0)
    return GltfDocument.from_glb(builder.glb())


def test_texture_ladder_shrinks_large_keeps_small_and_never_upscales() -> None:
    large, small = png_bytes(200, 100), png_bytes(40, 40)
    document = image_glb(large, small)
    shrunk = with_textures_at_most(document, 64)
    with Image.open(io.BytesIO(shrunk.image_bytes(0))) as image:
        assert image.size == (64, 32)
    assert shrunk.image_bytes(1) == small  # already small: the very same bytes
    untouched = with_textures_at_most(document, 4096)
    assert [untouched.image_bytes(0), untouched.image_bytes(1)] == [large, small]
    assert largest_texture_side(untouched) == 200
    assert document.image_bytes(0) == large  # the source document is not edited


@pytest.mark.parametrize("name", SCANS)
def test_lods_open_no_new_edges(ingested: dict[str, Ingested], name: str) -> None:
    scan = ingested[name]
    source = boundary_edges(scan.source_mesh)
    figures = {label: boundary_edges(mesh) for label, mesh in scan.decoded.items()}
    print(
        f"\n{name}: open edges source {source}, "
        + ", ".join(f"{k} {v}" for k, v in figures.items())
    )
    assert figures["web"] <= source
    assert figures["thumb"] <= source
    if name == "half_whale":
        assert source > 100  # the cut is a real border, and it must survive simplification
