"""The base-colour textures of a glTF document and the real size of their pixels.

Framework-free (no Django): takes a GltfDocument, returns plain data.

Scale of a texture pixel, an approximation: for every triangle drawn with the texture, its
surface area in metres (node transforms and the intake's normalisation applied) and the area it
covers in UV space are summed; then one pixel covers

    metres_per_pixel² = surface_m² / (uv_area × width × height)

This is the mean over the surface: it is exact for an even (area-preserving) unwrap, and it
over-counts the UV area where islands overlap or are mirrored (the same texels reused), which
makes the figure too small there. It is None when the geometry cannot be read (meshopt-compressed
web LODs) or the texture covers no UV area.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import IO

import numpy as np

from exhibits.intake.errors import IntakeError
from exhibits.intake.glb_document import GltfDocument
from exhibits.intake.gltf import _world_matrices

# Extensions that point a texture at another image format than its plain `source`.
IMAGE_SOURCE_EXTENSIONS = ("EXT_texture_webp", "KHR_texture_basisu", "EXT_texture_avif")


@dataclass
class BaseColourTexture:
    image_index: int
    name: str
    data: bytes
    material_names: list[str] = field(default_factory=list)
    surface_m2: float = 0.0
    uv_area: float = 0.0
    geometry_known: bool = True
    uv_triangles: list[np.ndarray] = field(default_factory=list, repr=False)  # (N, 3, 2) each
    uv_transformed: bool = False  # KHR_texture_transform: coverage is not drawn

    def metres_per_pixel(self, width: int, height: int) -> float | None:
        if not self.geometry_known or self.uv_area <= 1e-12 or self.surface_m2 <= 0:
            return None
        if width <= 0 or height <= 0:
            return None
        return float(np.sqrt(self.surface_m2 / (self.uv_area * width * height)))

    def coverage(self, width: int, height: int) -> np.ndarray | None:
        """Texels some triangle maps to (atlas gutters and unused corners are not surface), or
        None when unknown: geometry unread, or UVs that tile beyond the image."""
        if not self.geometry_known or self.uv_transformed or not self.uv_triangles:
            return None
        triangles = np.concatenate(self.uv_triangles)
        if triangles.min() < -1e-3 or triangles.max() > 1 + 1e-3:
            return None
        import cv2

        # glTF UV (0, 0) is the image's top-left corner; 4 bits of sub-pixel precision.
        points = np.rint(triangles * np.array([width, height]) * 16).astype(np.int32)
        covered = np.zeros((height, width), dtype=np.uint8)
        cv2.fillPoly(covered, list(points), 1, lineType=cv2.LINE_8, shift=4)
        return covered.astype(bool)


def glb_has_base_colour(handle: IO[bytes]) -> bool:
    """Whether a GLB's materials use a base-colour texture, reading only its JSON chunk."""
    header = handle.read(20)
    if len(header) < 20 or header[:4] != b"glTF":
        return False
    length, kind = struct.unpack_from("<I4s", header, 12)
    if kind != b"JSON" or length > 64 * 1024 * 1024:
        return False
    try:
        document = json.loads(handle.read(length))
        materials = document.get("materials", [])
        return any("baseColorTexture" in m.get("pbrMetallicRoughness", {}) for m in materials)
    except (ValueError, AttributeError, TypeError):
        return False


def _texture_image(document: GltfDocument, texture_index: object) -> int | None:
    textures = document.json.get("textures", [])
    if not isinstance(texture_index, int) or not 0 <= texture_index < len(textures):
        return None
    texture = textures[texture_index]
    for name in IMAGE_SOURCE_EXTENSIONS:
        source = texture.get("extensions", {}).get(name, {}).get("source")
        if isinstance(source, int):
            return source
    source = texture.get("source")
    return source if isinstance(source, int) else None


def base_colour_textures(
    document: GltfDocument, normalisation: np.ndarray | None = None
) -> list[BaseColourTexture]:
    """Every image used as a base-colour texture, with the surface and UV areas it covers.

    `normalisation` (4×4) takes the document's scene coordinates to metres (the intake's
    matrix for a source file; None for an already normalised LOD).
    """
    images = document.json.get("images", [])
    found: dict[int, BaseColourTexture] = {}
    by_material: dict[int, tuple[int, int, float]] = {}
    for index, material in enumerate(document.json.get("materials", [])):
        info = material.get("pbrMetallicRoughness", {}).get("baseColorTexture")
        if not isinstance(info, dict):
            continue
        image = _texture_image(document, info.get("index"))
        if image is None or not 0 <= image < len(images) or "bufferView" not in images[image]:
            continue
        transform = info.get("extensions", {}).get("KHR_texture_transform", {})
        scale = transform.get("scale", [1.0, 1.0])
        texture = found.get(image)
        if texture is None:
            texture = BaseColourTexture(
                image_index=image,
                name=str(images[image].get("name", "")),
                data=document.image_bytes(image),
            )
            found[image] = texture
        if name := material.get("name"):
            texture.material_names.append(str(name))
        by_material[index] = (image, int(info.get("texCoord", 0)), abs(scale[0] * scale[1]))
    if found:
        _add_areas(document, found, by_material, normalisation)
    return [found[key] for key in sorted(found)]


def _add_areas(
    document: GltfDocument,
    found: dict[int, BaseColourTexture],
    by_material: dict[int, tuple[int, int, float]],
    normalisation: np.ndarray | None,
) -> None:
    base = np.eye(4) if normalisation is None else np.asarray(normalisation, dtype=np.float64)
    meshes = document.json.get("meshes", [])
    try:
        for mesh_index, world in _world_matrices(document.json):
            if not 0 <= mesh_index < len(meshes):
                continue
            matrix = base @ world
            for primitive in meshes[mesh_index].get("primitives", []):
                entry = by_material.get(primitive.get("material", -1))
                if entry is None or primitive.get("mode", 4) != 4:
                    continue
                image, tex_coord, uv_scale = entry
                surface, uv, triangles = _primitive_areas(document, primitive, matrix, tex_coord)
                found[image].surface_m2 += surface
                found[image].uv_area += uv * uv_scale
                if triangles is not None:
                    found[image].uv_triangles.append(triangles)
                if uv_scale != 1.0:
                    found[image].uv_transformed = True
    except (IntakeError, KeyError, IndexError, ValueError, TypeError):
        # Compressed or malformed geometry: the textures stay usable, their scale is unknown.
        for texture in found.values():
            texture.geometry_known = False


def _primitive_areas(
    document: GltfDocument, primitive: dict, matrix: np.ndarray, tex_coord: int
) -> tuple[float, float, np.ndarray | None]:
    attributes = primitive.get("attributes", {})
    uv_accessor = attributes.get(f"TEXCOORD_{tex_coord}")
    if uv_accessor is None:
        return 0.0, 0.0, None
    positions = document.read_accessor(attributes["POSITION"]).astype(np.float64)
    uvs = document.read_accessor(uv_accessor).astype(np.float64)
    indices: np.ndarray
    if "indices" in primitive:
        indices = document.read_accessor(primitive["indices"]).reshape(-1).astype(np.int64)
    else:
        indices = np.arange(len(positions))
    indices = indices[: len(indices) // 3 * 3].reshape(-1, 3)
    if indices.size == 0:
        return 0.0, 0.0, None
    if indices.max() >= min(len(positions), len(uvs)) or indices.min() < 0:
        raise IndexError("an index points past the vertex data")
    points = positions @ matrix[:3, :3].T + matrix[:3, 3]
    a, b, c = (points[indices[:, k]] for k in range(3))
    surface = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1).sum()
    p, q, r = (uvs[indices[:, k], :2] for k in range(3))
    cross = (q[:, 0] - p[:, 0]) * (r[:, 1] - p[:, 1]) - (q[:, 1] - p[:, 1]) * (r[:, 0] - p[:, 0])
    triangles = np.stack([p, q, r], axis=1).astype(np.float32)
    return float(surface), float(0.5 * np.abs(cross).sum()), triangles
