"""Hostile and broken uploads: each is refused with a stable code and a message a curator can
act on, and through the Django job nothing is published. Broken geometry that can be repaired
(non-finite vertices, degenerate and duplicate faces) is cleaned and counted instead."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.conf import settings as django_settings
from PIL import Image

from exhibits.collection import services
from exhibits.intake import services as intake_services
from exhibits.intake.errors import IntakeError
from exhibits.intake.glb_document import DRACO, GltfDocument
from exhibits.intake.limits import IntakeLimits
from exhibits.intake.lod import LadderSettings
from exhibits.intake.pipeline import IntakeResult, run_intake
from exhibits.intake.sources import open_source
from exhibits.models import Asset, Job
from tests.unit.factories import make_artifact, upload
from tests.unit.intake_fixtures import (
    QUAD_INDICES,
    QUAD_OBJ,
    QUAD_POSITIONS,
    GltfBuilder,
    binary_stl,
    data_uri,
    gif_bytes,
    grid_positions,
    pack_glb,
    png_bytes,
    png_header_only,
    quad_builder,
    quad_glb,
    textured_obj_zip,
    zip_bomb_bytes,
    zip_bytes,
)

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / "tests" / "tools" / "validate_gltf.cjs"
TRIANGLE = np.array([[[0, 0, 0], [1, 0, 0], [0, 1, 0]]], dtype=np.float32)


def ladder() -> LadderSettings:
    return LadderSettings(gltfpack_cli=str(django_settings.MOUSEION_GLTFPACK))


# ---------------------------------------------------------------------------- builders
def edited_quad(edit: Callable[[dict[str, Any]], object], textured: bool = False) -> bytes:
    """The quad GLB after `edit` changed its JSON in place."""
    builder = quad_builder(textured=textured)
    edit(builder.json)
    return builder.glb()


def edited_gltf(edit: Callable[[dict[str, Any]], object]) -> bytes:
    builder = quad_builder()
    document = json.loads(builder.gltf())
    edit(document)
    return json.dumps(document).encode()


def glb_with_image(image: bytes, mime_type: str = "image/png") -> bytes:
    return quad_builder_with_images([image], mime_type).glb()


def quad_builder_with_images(images: list[bytes], mime_type: str = "image/png") -> GltfBuilder:
    builder = GltfBuilder()
    material = None
    for image in images:
        material = builder.add_textured_material(image, mime_type)
    builder.add_mesh(QUAD_POSITIONS, QUAD_INDICES, uvs=np.zeros((4, 2)), material=material)
    return builder


def declared_counts_glb(index_count: int, vertex_count: int = 4) -> bytes:
    """A quad whose accessors *declare* huge counts over tiny views (never decoded)."""

    def edit(document: dict[str, Any]) -> None:
        document["accessors"][0]["count"] = vertex_count
        document["accessors"][1]["count"] = index_count

    return edited_quad(edit)


def nan_positions(which: list[int] | slice) -> np.ndarray:
    positions, _ = grid_positions()
    positions[which] = np.nan
    return positions


def grid_glb(positions: np.ndarray, faces: np.ndarray) -> bytes:
    builder = GltfBuilder()
    builder.add_mesh(positions, faces)
    return builder.glb()


def truncated_glb() -> bytes:
    return quad_glb()[:-24]


def truncated_chunk_glb() -> bytes:
    data = bytearray(quad_glb()[:-24])
    data[8:12] = len(data).to_bytes(4, "little")  # the header agrees, the BIN chunk does not
    return bytes(data)


def glb_without_json_chunk() -> bytes:
    binary = b"\x00" * 16
    chunk = len(binary).to_bytes(4, "little") + b"BIN\x00" + binary
    return b"glTF" + (2).to_bytes(4, "little") + (12 + len(chunk)).to_bytes(4, "little") + chunk


def glb_without_meshes() -> bytes:
    return pack_glb({"asset": {"version": "2.0"}, "scenes": [{"nodes": [0]}], "nodes": [{}]})


def draco_garbage_glb() -> bytes:
    builder = quad_builder()
    view = builder.add_view(b"\x01\x02not draco at all\x00" * 4)
    primitive = builder.json["meshes"][0]["primitives"][0]
    primitive["extensions"] = {DRACO: {"bufferView": view, "attributes": {"POSITION": 0}}}
    builder.json["extensionsUsed"] = [DRACO]
    builder.json["extensionsRequired"] = [DRACO]
    return builder.glb()


def sparse_glb() -> bytes:
    def edit(document: dict[str, Any]) -> None:
        document["accessors"][0]["sparse"] = {"count": 1, "indices": {}, "values": {}}

    return edited_quad(edit)


def zip_with_too_many_members() -> bytes:
    return zip_bytes({"quad.obj": QUAD_OBJ, **{f"note{i}.txt": b"x" for i in range(5)}})


# ---------------------------------------------------------------------------- the cases
@dataclass(frozen=True)
class Hostile:
    id: str
    filename: str
    build: Callable[[], bytes]
    code: str
    phrase: str  # a regular expression the message must contain
    limits: dict[str, Any] = field(default_factory=dict)
    job: bool = False  # also run through the Django intake job

    def intake_limits(self) -> IntakeLimits:
        return IntakeLimits(**self.limits)


HOSTILE = [
    # --- containers and formats
    Hostile("empty file", "scan.glb", lambda: b"", "empty", "file is empty"),
    Hostile("truncated GLB", "scan.glb", truncated_glb, "truncated", "truncated", job=True),
    Hostile("GLB truncated in a chunk", "scan.glb", truncated_chunk_glb, "truncated",
            "truncated inside a chunk", job=True),
    Hostile("garbage named .glb", "scan.glb", lambda: bytes(range(256)) * 8, "unknown_format",
            "Unrecognised file format for 'scan.glb'"),
    Hostile("PNG renamed .obj", "model.obj", png_bytes, "format_mismatch",
            r"named \.obj but its content is PNG"),
    Hostile("PNG renamed .glb", "model.glb", png_bytes, "format_mismatch",
            r"named \.glb but its content is PNG"),
    Hostile("PNG as a PNG", "photo.png", png_bytes, "not_a_mesh", "PNG file is not a 3D mesh"),
    Hostile("GIF", "anim.gif", gif_bytes, "not_a_mesh", "GIF file is not a 3D mesh"),
    Hostile("text file", "notes.txt", lambda: b"just some notes\n" * 4, "unknown_format",
            "Unrecognised file format for 'notes.txt'"),
    Hostile("over max_bytes", "scan.glb", quad_glb, "too_large", r"limit is 100\b",
            limits={"max_bytes": 100}, job=True),
    Hostile("GLB container version 1", "scan.glb", lambda: quad_builder().glb(version=1),
            "gltf_version", "container version 1", job=True),
    Hostile("GLB without JSON chunk", "scan.glb", glb_without_json_chunk, "no_json",
            "no JSON chunk"),
    # --- JSON and glTF structure
    Hostile("invalid JSON", "scene.gltf", lambda: b'{"asset": {"version": "2.0"', "bad_json",
            "cannot be parsed", job=True),
    Hostile("JSON that is not glTF", "scene.gltf", lambda: b'{"name": "a shopping list"}',
            "not_gltf", "not a glTF document", job=True),
    Hostile("glTF 1.0", "scene.gltf",
            lambda: edited_gltf(lambda d: d["asset"].update(version="1.0")), "gltf_version",
            r"Only glTF 2\.0", job=True),
    Hostile("GLB with no meshes", "scan.glb", glb_without_meshes, "no_geometry", "no mesh",
            job=True),
    Hostile("bufferView out of range", "scan.glb",
            lambda: edited_quad(lambda d: d["bufferViews"][1].update(byteOffset=4096)),
            "bad_buffer_view", "bufferView 1 lies outside its buffer", job=True),
    Hostile("accessor past its view", "scan.glb",
            lambda: edited_quad(lambda d: d["accessors"][0].update(byteOffset=40)),
            "bad_accessor", "Accessor 0 reads past its bufferView"),
    Hostile("accessor of a missing view", "scan.glb",
            lambda: edited_quad(lambda d: d["accessors"][0].update(bufferView=99)),
            "malformed", r"structure is invalid \(IndexError", job=True),
    Hostile("node of a missing mesh", "scan.glb",
            lambda: edited_quad(lambda d: d["nodes"][0].update(mesh=7)),
            "malformed", r"structure is invalid \(IndexError"),
    Hostile("count is a string", "scan.glb",
            lambda: edited_quad(lambda d: d["accessors"][0].update(count="many")),
            "malformed", "structure is invalid"),
    Hostile("indices past the vertex list", "scan.glb",
            lambda: grid_glb(QUAD_POSITIONS, np.array([[0, 1, 2], [0, 2, 7]])), "bad_indices",
            "point past the vertex list", job=True),
    Hostile("sparse accessor", "scan.glb", sparse_glb, "unsupported", "Sparse accessors"),
    Hostile("unsupported required extension", "scan.glb",
            lambda: edited_quad(lambda d: d.update(extensionsRequired=["VENDOR_secret_mesh"])),
            "unsupported_extension", "unsupported extensions: VENDOR_secret_mesh", job=True),
    Hostile("garbage Draco data", "scan.glb", draco_garbage_glb, "draco",
            "Draco geometry cannot be decoded"),
    Hostile("all vertices at one point", "scan.glb",
            lambda: edited_quad(lambda d: d["nodes"][0].update(scale=[0, 0, 0])), "no_geometry",
            "has no size"),
    # --- external references
    Hostile("external buffer uri", "scene.gltf",
            lambda: edited_gltf(lambda d: d["buffers"][0].update(uri="scene.bin")),
            "external_uri", r"buffer 0 refers to an external file \('scene\.bin'\)", job=True),
    Hostile("path traversal buffer uri", "scene.gltf",
            lambda: edited_gltf(lambda d: d["buffers"][0].update(uri="../../etc/passwd")),
            "external_uri", r"external file \('\.\./\.\./etc/passwd'\)", job=True),
    Hostile("external image uri", "scene.gltf",
            lambda: edited_gltf(lambda d: d.update(images=[{"uri": "textures/albedo.png"}])),
            "external_uri", r"image 0 refers to an external file"),
    Hostile("external buffer in a GLB", "scan.glb",
            lambda: edited_quad(lambda d: d["buffers"].append({"uri": "http://x/y.bin"})),
            "external_uri", r"buffer 1 refers to an external file"),
    Hostile("invalid base64 buffer", "scene.gltf",
            lambda: edited_gltf(
                lambda d: d["buffers"][0].update(uri="data:application/octet-stream;base64,@@")
            ),
            "bad_data_uri", "invalid base64"),
    Hostile("buffer without data", "scene.gltf",
            lambda: edited_gltf(lambda d: d["buffers"][0].pop("uri")), "missing_data",
            "buffer 0 has no data"),
    # --- size caps, checked on declared counts before decoding anything
    Hostile("50M declared faces", "scan.glb", lambda: declared_counts_glb(150_000_000),
            "too_many_faces", "declares 50,000,000 faces; the limit is 10,000,000", job=True),
    Hostile("declared vertices over cap", "scan.glb",
            lambda: declared_counts_glb(6, vertex_count=20_000_000), "too_many_vertices",
            "declares 20,000,000 vertices; the limit is 10,000,000"),
    # --- textures: headers only, never decoded
    Hostile("decompression bomb texture 100000x100000", "scan.glb",
            lambda: glb_with_image(png_header_only(100_000, 100_000)), "texture_bomb",
            "Image 0 is a decompression bomb", job=True),
    Hostile("bomb-warning texture 10000x10000", "scan.glb",
            lambda: glb_with_image(png_header_only(10_000, 10_000)), "texture_bomb",
            "decompression bomb"),
    Hostile("texture side over cap", "scan.glb",
            lambda: glb_with_image(png_header_only(20_000, 16)), "texture_too_large",
            "20000×16; the largest side allowed is 16384"),
    Hostile("textures over the pixel cap", "scan.glb",
            lambda: quad_builder_with_images([png_bytes(8, 8), png_bytes(8, 8)]).glb(),
            "texture_pixels", "more than 100 pixels together",
            limits={"max_texture_pixels": 100}, job=True),
    Hostile("GIF texture", "scan.glb", lambda: glb_with_image(gif_bytes(), "image/gif"),
            "texture_format", "Image 0 is GIF; use PNG, JPEG or WebP"),
    Hostile("garbage texture", "scan.glb", lambda: glb_with_image(b"\x00notanimage" * 10),
            "bad_texture", "Image 0 cannot be read"),
    Hostile("texture by data uri bomb", "scene.gltf",
            lambda: edited_gltf(
                lambda d: d.update(
                    images=[{"uri": data_uri(png_header_only(100_000, 100_000), "image/png")}]
                )
            ),
            "texture_bomb", "decompression bomb"),
    # --- geometry that cannot be repaired
    Hostile("all-NaN mesh", "scan.glb",
            lambda: grid_glb(nan_positions(slice(None)), grid_positions()[1]), "no_geometry",
            "no valid triangles", job=True),
    Hostile("only degenerate faces", "scan.glb",
            lambda: grid_glb(QUAD_POSITIONS, np.array([[0, 0, 1], [0, 1, 1]])), "no_geometry",
            "no valid triangles"),
    Hostile("OBJ with no faces", "points.obj", lambda: b"v 0 0 0\nv 1 0 0\nv 0 1 0\n",
            "no_geometry", "OBJ file contains no triangles", job=True),
    Hostile("STL with a wrong triangle count", "part.stl",
            lambda: binary_stl(TRIANGLE, declared=1000), "bad_stl",
            r"declares 1,000 triangles \(50,084 bytes\) but the file has 134 bytes", job=True),
    Hostile("STL 'solid' header, wrong count", "part.stl",
            lambda: binary_stl(TRIANGLE, declared=7, header=b"solid exported by CAD"),
            "bad_stl", "declares 7 triangles"),
    Hostile("STL declaring 50M triangles", "part.stl",
            lambda: binary_stl(TRIANGLE, declared=50_000_000), "too_many_faces",
            "declares 50,000,000 faces"),
    Hostile("truncated binary PLY", "scan.ply",
            lambda: b"ply\nformat binary_little_endian 1.0\nelement vertex 100\n"
            b"property float x\nproperty float y\nproperty float z\nend_header\n\x00\x00",
            "unreadable", "PLY file cannot be read"),
    # --- zips
    Hostile("zip entry outside its root", "bundle.zip",
            lambda: zip_bytes({"../evil.obj": QUAD_OBJ}), "zip_path",
            r"'\.\./evil\.obj' points outside the archive", job=True),
    Hostile("zip entry deep traversal", "bundle.zip",
            lambda: zip_bytes({"model/../../../evil.obj": QUAD_OBJ}), "zip_path",
            "points outside the archive"),
    Hostile("zip absolute path", "bundle.zip",
            lambda: zip_bytes({"/etc/evil.obj": QUAD_OBJ}), "zip_path",
            r"'/etc/evil\.obj' points outside"),
    Hostile("zip Windows drive path", "bundle.zip",
            lambda: zip_bytes({"C:\\evil.obj": QUAD_OBJ}), "zip_path", "points outside"),
    Hostile("zip symlink entry", "bundle.zip",
            lambda: zip_bytes({"quad.obj": QUAD_OBJ}, symlinks={"paint.png": "/etc/passwd"}),
            "zip_link", "'paint.png' is a symbolic link", job=True),
    Hostile("zip bomb", "bundle.zip", zip_bomb_bytes, "zip_bomb", "zip bomb", job=True),
    Hostile("zip with two meshes", "bundle.zip",
            lambda: zip_bytes({"a.obj": QUAD_OBJ, "b/b.stl": binary_stl(TRIANGLE)}),
            "zip_mesh_count", "exactly one mesh file .* it holds 2"),
    Hostile("zip with no mesh", "bundle.zip",
            lambda: zip_bytes({"readme.txt": b"hello", "paint.png": png_bytes()}),
            "zip_mesh_count", "it holds 0", job=True),
    Hostile("nested zip", "bundle.zip", lambda: zip_bytes({"inner.zip": textured_obj_zip()}),
            "nested_zip", "zip inside the zip", job=True),
    Hostile("nested zip named .obj", "bundle.zip",
            lambda: zip_bytes({"model.obj": textured_obj_zip()}), "nested_zip",
            r"zip inside the zip \('model\.obj'\)"),
    Hostile("corrupt zip", "bundle.zip", lambda: b"PK\x03\x04" + b"\x00\xff" * 200, "bad_zip",
            "zip file is damaged", job=True),
    Hostile("zip with too many members", "bundle.zip", zip_with_too_many_members,
            "zip_members", "6 files; too many", limits={"max_zip_members": 3}),
]  # fmt: skip


@pytest.mark.parametrize("case", HOSTILE, ids=lambda case: case.id)
def test_hostile_input_is_refused_with_its_code(case: Hostile) -> None:
    with pytest.raises(IntakeError) as caught:
        run_intake(case.build(), case.filename, case.intake_limits(), ladder())
    assert caught.value.code == case.code, str(caught.value)
    assert re.search(case.phrase, str(caught.value)), str(caught.value)


def test_there_are_enough_hostile_cases_and_jobs() -> None:
    assert len(HOSTILE) >= 30
    assert len({case.id for case in HOSTILE}) == len(HOSTILE)
    assert sum(case.job for case in HOSTILE) >= 15


# ---------------------------------------------------------------------------- through the job
def media_files(media_root: Path) -> set[Path]:
    return {path for path in Path(media_root).rglob("*") if path.is_file()}


def run_job_on(data: bytes, filename: str) -> tuple[Job, Asset]:
    artifact = make_artifact()
    source = services.store_source_asset(
        artifact=artifact, upload=upload(filename, data), filename=filename
    )
    job = services.start_job(
        kind=intake_services.INTAKE_KIND, artifact=artifact, input_asset=source
    )
    intake_services.run_intake_job(job_id=job.pk)
    job.refresh_from_db()
    source.refresh_from_db()
    return job, source


def use_limits(settings: Any, limits: dict[str, Any]) -> None:
    """IntakeLimits.from_settings reads max_bytes from its own setting, the rest from a dict."""
    overrides = dict(limits)
    if "max_bytes" in overrides:
        settings.MOUSEION_MAX_UPLOAD_BYTES = overrides.pop("max_bytes")
    settings.MOUSEION_INTAKE_LIMITS = overrides


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in HOSTILE if c.job], ids=lambda case: case.id)
def test_hostile_job_fails_and_publishes_nothing(
    case: Hostile, settings: Any, media_root: Path
) -> None:
    use_limits(settings, case.limits)
    data = case.build()
    with pytest.raises(IntakeError) as caught:
        run_intake(data, case.filename, case.intake_limits(), ladder())

    job, source = run_job_on(data, case.filename)

    assert job.status == Job.Status.FAILED
    assert job.error == str(caught.value)
    assert job.report["error_code"] == case.code
    assert job.finished_at is not None
    # The source is kept, byte for byte; nothing was derived, stored or measured.
    assert source.kind == Asset.Kind.SOURCE
    with source.file.open("rb") as handle:
        assert handle.read() == data
    assert source.sha256 == hashlib.sha256(data).hexdigest()
    assert source.face_count is None
    assert not Asset.objects.filter(kind__in=[Asset.Kind.LOD, Asset.Kind.THUMBNAIL]).exists()
    assert not Asset.objects.filter(created_by_job=job).exists()
    assert media_files(media_root) == {Path(source.file.path)}
    source.artifact.refresh_from_db()
    assert source.artifact.height_m is None


# ---------------------------------------------------------------------------- repairs
def test_nan_vertices_are_cleaned_and_counted_not_refused() -> None:
    positions, faces = grid_positions()  # 25 vertices, 32 faces
    positions[12] = np.nan  # the centre vertex: 6 faces touch it
    positions[24, 0] = np.inf  # a corner on the diagonal: 2 faces touch it
    scan = open_source(grid_glb(positions, faces), "scan.glb", IntakeLimits())
    report = scan.report()
    assert report["nonfinite_vertices"] == 2
    assert report["faces"] == 32 - 6 - 2
    assert report["degenerate_faces"] == report["duplicate_faces"] == 0
    assert "2 non-finite vertices removed" in report["warnings"]
    # The cleaned document holds only finite positions (accessor bounds stay valid).
    position = scan.document.json["meshes"][0]["primitives"][0]["attributes"]["POSITION"]
    assert np.isfinite(scan.document.read_accessor(position)).all()


def test_degenerate_and_duplicate_faces_are_cleaned_and_counted() -> None:
    positions, faces = grid_positions()
    extra = np.array(
        [
            [0, 0, 1],  # repeated index
            [0, 1, 2],  # three collinear points on the bottom row: zero area
            faces[0][[1, 2, 0]],  # the first face again, rotated
            faces[0][[0, 2, 1]],  # the first face again, flipped
            faces[5],
        ]
    )
    scan = open_source(grid_glb(positions, np.vstack([faces, extra])), "scan.glb", IntakeLimits())
    report = scan.report()
    assert (report["degenerate_faces"], report["duplicate_faces"]) == (2, 3)
    assert report["faces"] == 32
    assert "2 degenerate and 3 duplicate faces removed" in report["warnings"]


def test_nan_mesh_goes_through_the_whole_pipeline(tmp_path: Path) -> None:
    positions, faces = grid_positions()
    positions[12] = np.nan
    result = run_intake(grid_glb(positions, faces), "scan.glb", IntakeLimits(), ladder())
    assert result.report["nonfinite_vertices"] == 1
    assert result.report["faces"] == 26
    # The grid is 4 units wide: assumed metres, lying flat (glTF is Y-up).
    assert result.report["dimensions_m"] == {"height": 4.0, "width": 4.0, "depth": 0.0}
    assert_valid_glbs(result, tmp_path)


# ---------------------------------------------------------------------------- positive control
def assert_valid_glbs(result: IntakeResult, folder: Path) -> None:
    paths = []
    for lod in result.lods:
        paths.append(folder / f"{lod.label}.glb")
        paths[-1].write_bytes(lod.data)
    try:
        output = subprocess.run(
            ["node", str(VALIDATOR), *map(str, paths)],
            capture_output=True, text=True, timeout=120, check=True, cwd=ROOT,
        ).stdout  # fmt: skip
    except FileNotFoundError:
        pytest.skip("node is not installed")
    for line in output.splitlines():
        assert json.loads(line)["errors"] == 0, line


def test_textured_obj_zip_works_and_keeps_its_texture(tmp_path: Path) -> None:
    texture = png_bytes(64, 32, (10, 200, 30))
    result = run_intake(textured_obj_zip(texture), "quad.zip", IntakeLimits(), ladder())
    assert result.report["format"] == "obj"
    assert result.report["faces"] == 2
    assert result.report["textures"] == [{"index": 0, "width": 64, "height": 32, "format": "PNG"}]
    assert result.report["warnings"] == []
    web = next(lod for lod in result.lods if lod.label == "web")
    assert web.faces == 2
    assert web.texture_side == 64
    document = GltfDocument.from_glb(web.data)
    material = document.json["materials"][0]
    assert "baseColorTexture" in material["pbrMetallicRoughness"]
    with Image.open(io.BytesIO(document.image_bytes(0))) as image:
        assert image.size == (64, 32)
        assert image.convert("RGB").getpixel((5, 5)) == (10, 200, 30)
    assert_valid_glbs(result, tmp_path)


@pytest.mark.django_db
def test_textured_obj_zip_job_publishes_lods_and_thumbnail(media_root: Path) -> None:
    """The control of the refusals above: the same job code does publish a good file."""
    job, source = run_job_on(textured_obj_zip(), "quad.zip")
    assert job.status == Job.Status.DONE, job.error
    assert job.error == ""
    labels = set(Asset.objects.filter(kind=Asset.Kind.LOD).values_list("label", flat=True))
    assert labels == {"thumb", "web"}
    assert Asset.objects.filter(kind=Asset.Kind.THUMBNAIL, created_by_job=job).count() == 1
    assert source.face_count == 2
    assert len(media_files(media_root)) == 4  # source, 2 LODs, thumbnail
