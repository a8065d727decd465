"""Open an uploaded scan of any supported format as a clean glTF document, refusing hostile
input with a clear IntakeError before anything large is decoded."""

from __future__ import annotations

import io
import posixpath
import stat
import struct
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import trimesh

from exhibits.intake.cleaning import CleaningReport, clean_document
from exhibits.intake.errors import IntakeError
from exhibits.intake.glb_document import GltfDocument
from exhibits.intake.limits import IntakeLimits
from exhibits.intake.sniff import looks_like_text, sniff
from museum.common import images

TEXTURE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
ZIP_MESH_SUFFIXES = (".obj", ".ply", ".stl", ".glb", ".gltf")
BOUNDS_CHUNK = 1 << 16  # points placed at once when measuring the scene


@dataclass
class SourceScan:
    document: GltfDocument
    file_format: str
    cleaning: CleaningReport
    textures: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {
            "format": self.file_format,
            **self.cleaning.as_dict(),
            "textures": self.textures,
            "texture_pixels": sum(t["width"] * t["height"] for t in self.textures),
            "warnings": self.warnings,
        }


@contextmanager
def _malformed_as_intake_error() -> Iterator[None]:
    """A document whose structure is wrong (an index past its list, a string for a number)
    makes the readers raise Python errors: refuse it as a bad file instead of crashing the job."""
    try:
        yield
    except IntakeError:
        raise
    except (LookupError, TypeError, ValueError, AttributeError) as exc:
        raise IntakeError(
            "malformed", f"The file's structure is invalid ({type(exc).__name__}: {exc})."
        ) from exc


def open_source(data: bytes, filename: str, limits: IntakeLimits) -> SourceScan:
    """Validate and decode `data`; every refusal is an IntakeError with a stable code."""
    with _malformed_as_intake_error():
        return _open_source(data, filename, limits)


def _open_source(data: bytes, filename: str, limits: IntakeLimits) -> SourceScan:
    if len(data) > limits.max_bytes:
        raise IntakeError(
            "too_large", f"The file is {len(data):,} bytes; the limit is {limits.max_bytes:,}."
        )
    file_format = sniff(data, filename)
    scan_warnings: list[str] = []
    if file_format in ("png", "jpg", "gif", "pdf", "gzip"):
        raise IntakeError("not_a_mesh", f"A {file_format.upper()} file is not a 3D mesh.")
    if file_format == "zip":
        data, filename, resources = _unpack_zip(data, limits)
        file_format = sniff(data, filename)
        if file_format == "zip":
            raise IntakeError("nested_zip", "A zip inside the zip is not accepted.")
    else:
        resources = {}
    if file_format in ("glb", "gltf"):
        document = _open_gltf(data, file_format, limits)
    else:
        document = _convert_with_trimesh(data, file_format, resources, limits, scan_warnings)
    textures = _check_textures(document, limits)
    cleaning = clean_document(document)
    if cleaning.nonfinite_vertices:
        scan_warnings.append(f"{cleaning.nonfinite_vertices} non-finite vertices removed")
    if cleaning.degenerate_faces or cleaning.duplicate_faces:
        scan_warnings.append(
            f"{cleaning.degenerate_faces} degenerate and {cleaning.duplicate_faces} duplicate "
            "faces removed"
        )
    return SourceScan(document, file_format, cleaning, textures, scan_warnings)


def _check_counts(document: GltfDocument, limits: IntakeLimits) -> None:
    faces, vertices = document.declared_face_count(), document.declared_vertex_count()
    if faces > limits.max_faces:
        raise IntakeError(
            "too_many_faces",
            f"The file declares {faces:,} faces; the limit is {limits.max_faces:,}.",
        )
    if vertices > limits.max_vertices:
        raise IntakeError(
            "too_many_vertices",
            f"The file declares {vertices:,} vertices; the limit is {limits.max_vertices:,}.",
        )
    if not document.json.get("meshes"):
        raise IntakeError("no_geometry", "The file contains no mesh.")


def _open_gltf(data: bytes, file_format: str, limits: IntakeLimits) -> GltfDocument:
    reader = GltfDocument.from_glb if file_format == "glb" else GltfDocument.from_gltf
    document = reader(data)
    unsupported = set(document.json.get("extensionsRequired", [])) - {
        "KHR_draco_mesh_compression",
        "KHR_texture_transform",
        "KHR_materials_unlit",
        "KHR_mesh_quantization",
    }
    if unsupported:
        raise IntakeError(
            "unsupported_extension",
            f"The file requires unsupported extensions: {', '.join(sorted(unsupported))}.",
        )
    _check_counts(document, limits)
    document.decode_draco()
    return document


def _safe_member_name(name: str) -> str:
    normalised = posixpath.normpath(name.replace("\\", "/"))
    if name.startswith(("/", "\\")) or normalised.startswith("..") or ":" in normalised:
        raise IntakeError("zip_path", f"The zip entry {name!r} points outside the archive.")
    return normalised


def _unpack_zip(data: bytes, limits: IntakeLimits) -> tuple[bytes, str, dict[str, bytes]]:
    """The mesh file and its resources from a zip, refusing traversal, links and bombs."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise IntakeError("bad_zip", f"The zip file is damaged: {exc}") from exc
    if len(members) > limits.max_zip_members:
        raise IntakeError("zip_members", f"The zip has {len(members)} files; too many.")
    total = 0
    files: dict[str, bytes] = {}
    for info in members:
        name = _safe_member_name(info.filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise IntakeError("zip_link", f"The zip entry {info.filename!r} is a symbolic link.")
        ratio = info.file_size / max(info.compress_size, 1)
        total += info.file_size
        if ratio > limits.max_zip_ratio or total > limits.max_unzipped_bytes:
            raise IntakeError("zip_bomb", "The zip expands far beyond its size (a zip bomb?).")
        try:
            with archive.open(info) as handle:
                # Read at most the declared size + 1: a lying header cannot make us read more.
                content = handle.read(info.file_size + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
            raise IntakeError("bad_zip", f"The zip entry {name!r} cannot be read: {exc}") from exc
        if len(content) > info.file_size:
            raise IntakeError("zip_bomb", "A zip entry is larger than its header declares.")
        files[name] = content
    nested = [name for name, content in files.items() if content.startswith(b"PK\x03\x04")]
    if nested:
        raise IntakeError("nested_zip", f"A zip inside the zip ({nested[0]!r}) is not accepted.")
    meshes = [name for name in files if name.lower().endswith(ZIP_MESH_SUFFIXES)]
    if len(meshes) != 1:
        raise IntakeError(
            "zip_mesh_count",
            f"The zip must hold exactly one mesh file (OBJ, PLY, STL, GLB or glTF); it holds "
            f"{len(meshes)}.",
        )
    mesh_name = meshes[0]
    base = posixpath.dirname(mesh_name)
    resources = {
        posixpath.relpath(name, base) if base else name: content
        for name, content in files.items()
        if name != mesh_name
    }
    return files[mesh_name], posixpath.basename(mesh_name), resources


def _convert_with_trimesh(
    data: bytes,
    file_format: str,
    resources: dict[str, bytes],
    limits: IntakeLimits,
    scan_warnings: list[str],
) -> GltfDocument:
    if file_format == "stl":
        _check_binary_stl(data, limits)
    if file_format == "obj":
        data = _as_utf8(data)
        resources = {
            name: _as_utf8(content) if name.lower().endswith(".mtl") else content
            for name, content in resources.items()
        }
    # ZipResolver reads only from the dict we give it: never from the disk or the network.
    resolver = trimesh.resolvers.ZipResolver(dict(resources)) if resources else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded: trimesh.parent.Geometry | None = trimesh.load(
                io.BytesIO(data), file_type=file_format, resolver=resolver, process=False
            )
    except Exception as exc:  # trimesh raises many types on malformed input
        message = f"The {file_format.upper()} file cannot be read: {exc}"
        raise IntakeError("unreadable", message) from exc
    if isinstance(loaded, trimesh.Scene):
        geometries = [g for g in loaded.geometry.values() if isinstance(g, trimesh.Trimesh)]
        loaded = loaded if geometries else None
    elif not isinstance(loaded, trimesh.Trimesh):
        loaded = None
    if loaded is None or (isinstance(loaded, trimesh.Trimesh) and len(loaded.faces) == 0):
        raise IntakeError("no_geometry", f"The {file_format.upper()} file contains no triangles.")
    faces = (
        len(loaded.faces)
        if isinstance(loaded, trimesh.Trimesh)
        else sum(len(g.faces) for g in loaded.geometry.values() if hasattr(g, "faces"))
    )
    if faces > limits.max_faces:
        raise IntakeError(
            "too_many_faces", f"The file has {faces:,} faces; the limit is {limits.max_faces:,}."
        )
    if resources and file_format == "obj" and not _has_texture(loaded):
        scan_warnings.append("textures in the zip were not used by the OBJ's materials")
    return GltfDocument.from_glb(cast(bytes, loaded.export(file_type="glb")))  # GLB: bytes


def _check_binary_stl(data: bytes, limits: IntakeLimits) -> None:
    """A binary STL must be exactly as long as its header's triangle count says; trimesh would
    otherwise retry it as ASCII and fail with an unrelated message."""
    if len(data) < 84 or looks_like_text(data[:1024]):
        return  # ASCII STL
    (count,) = struct.unpack_from("<I", data, 80)
    if count > limits.max_faces:
        raise IntakeError(
            "too_many_faces",
            f"The file declares {count:,} faces; the limit is {limits.max_faces:,}.",
        )
    if len(data) != 84 + 50 * count:
        raise IntakeError(
            "bad_stl",
            f"The binary STL declares {count:,} triangles ({84 + 50 * count:,} bytes) but the "
            f"file has {len(data):,} bytes.",
        )


def _as_utf8(data: bytes) -> bytes:
    """OBJ and MTL text is often Latin-1 (Windows-1252) from European exporters."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace").encode("utf-8")
    return data


def _has_texture(loaded: trimesh.Trimesh | trimesh.Scene) -> bool:
    geometries = loaded.geometry.values() if isinstance(loaded, trimesh.Scene) else [loaded]
    return any(
        getattr(getattr(g.visual, "material", None), "image", None) is not None
        or getattr(getattr(g.visual, "material", None), "baseColorTexture", None) is not None
        for g in geometries
    )


def _texture_error(index: int, exc: images.ImageReadError, limits: IntakeLimits) -> IntakeError:
    """The shared reader's refusal in intake's codes and words."""
    if exc.code == "too_many_pixels":
        return IntakeError("texture_bomb", f"Image {index} is a decompression bomb.")
    if exc.code == "wrong_format":
        return IntakeError(
            "texture_format", f"Image {index} is {exc.format}; use PNG, JPEG or WebP."
        )
    if exc.code == "side_too_long":
        return IntakeError(
            "texture_too_large",
            f"Image {index} is {exc.width}×{exc.height}; the largest side allowed is "
            f"{limits.max_texture_side}.",
        )
    return IntakeError("bad_texture", f"Image {index} cannot be read: {exc}")


def _check_textures(document: GltfDocument, limits: IntakeLimits) -> list[dict[str, Any]]:
    """Read every image's header (never its pixels) and enforce the pixel caps."""
    textures, total = [], 0
    for index, image in enumerate(document.json.get("images", [])):
        if "bufferView" not in image:
            raise IntakeError("missing_data", f"Image {index} has no embedded data.")
        data = document.image_bytes(index)
        try:
            # Header only: bytes, format, then dimensions are checked; nothing is decoded.
            with images.open_image(
                data,
                formats=images.TEXTURE_FORMATS,
                max_bytes=limits.max_bytes,
                max_pixels=images.PILLOW_BOMB_PIXELS,
                max_side=limits.max_texture_side,
            ) as opened:
                width, height, kind = opened.width, opened.height, opened.format
        except images.ImageReadError as exc:
            raise _texture_error(index, exc, limits) from exc
        total += width * height
        if total > limits.max_texture_pixels:
            raise IntakeError(
                "texture_pixels",
                f"The textures hold more than {limits.max_texture_pixels:,} pixels together.",
            )
        textures.append({"index": index, "width": width, "height": height, "format": kind})
    return textures


def scene_bounds(document: GltfDocument) -> np.ndarray:
    """World-space [min, max] of every mesh's positions, with node transforms applied."""
    with _malformed_as_intake_error():
        bounds = _scene_bounds(document)
    if not np.ptp(bounds, axis=0).any():
        raise IntakeError("no_geometry", "The file's geometry has no size (a single point).")
    return bounds


def _scene_bounds(document: GltfDocument) -> np.ndarray:
    from exhibits.intake.gltf import _world_matrices

    low, high = np.full(3, np.inf), np.full(3, -np.inf)
    for mesh_index, world in _world_matrices(document.json):
        for primitive in document.json["meshes"][mesh_index].get("primitives", []):
            if "POSITION" not in primitive.get("attributes", {}):
                continue
            positions = document.read_accessor(primitive["attributes"]["POSITION"], copy=False)
            # In chunks: a scan's millions of float64 points would cost several copies at once.
            for begin in range(0, len(positions), BOUNDS_CHUNK):
                points = np.asarray(positions[begin : begin + BOUNDS_CHUNK], dtype=np.float64)
                points = points[np.isfinite(points).all(axis=1), :3]
                if len(points) == 0:
                    continue
                # einsum, not BLAS: a 3x3 product per chunk costs BLAS more in set-up.
                placed = np.einsum("ij,kj->ik", points, world[:3, :3]) + world[:3, 3]
                low = np.minimum(low, placed.min(axis=0))
                high = np.maximum(high, placed.max(axis=0))
    if not np.isfinite(low).all():
        raise IntakeError("no_geometry", "The file contains no placed geometry.")
    return np.stack([low, high])
