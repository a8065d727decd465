"""Builders of small (and often hostile) intake inputs, made in code: glTF/GLB documents,
crafted PNG headers, zips with traversal, links and bombs, OBJ/MTL/texture bundles, STL."""

from __future__ import annotations

import base64
import io
import json
import stat
import struct
import zipfile
import zlib
from typing import Any

import numpy as np
from PIL import Image

FLOAT, UINT32 = 5126, 5125
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963

# A unit square in the XY plane as two triangles, with UVs (the simplest textured mesh).
QUAD_POSITIONS = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=np.float32)
QUAD_UVS = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], dtype=np.float32)
QUAD_INDICES = np.array([[0, 1, 2], [0, 2, 3]], dtype=np.uint32)


def png_bytes(
    width: int = 8, height: int = 8, colour: tuple[int, int, int] = (200, 90, 40)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (4, 4), 1).save(buffer, format="GIF")
    return buffer.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def png_header_only(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose IHDR declares `width` x `height` (greyscale, 8 bits) with
    one scanline of real data: a decompression bomb in waiting, never decoded here."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------------- glTF documents
class GltfBuilder:
    """A glTF 2.0 document with one binary buffer, built view by view."""

    def __init__(self) -> None:
        self.json: dict[str, Any] = {
            "asset": {"version": "2.0", "generator": "mouseion tests"},
            "scene": 0,
            "scenes": [{"nodes": []}],
            "nodes": [],
            "meshes": [],
            "accessors": [],
            "bufferViews": [],
            "buffers": [{"byteLength": 0}],
        }
        self.binary = bytearray()

    def add_view(self, data: bytes, target: int | None = None) -> int:
        self.binary += b"\x00" * (-len(self.binary) % 4)
        view: dict[str, Any] = {
            "buffer": 0,
            "byteOffset": len(self.binary),
            "byteLength": len(data),
        }
        if target is not None:
            view["target"] = target
        self.binary += data
        self.json["bufferViews"].append(view)
        self.json["buffers"][0]["byteLength"] = len(self.binary)
        return len(self.json["bufferViews"]) - 1

    def add_accessor(self, array: np.ndarray, gltf_type: str, indices: bool = False) -> int:
        array = np.ascontiguousarray(array, dtype=np.uint32 if indices else np.float32)
        view = self.add_view(array.tobytes(), ELEMENT_ARRAY_BUFFER if indices else ARRAY_BUFFER)
        width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3}[gltf_type]
        accessor: dict[str, Any] = {
            "bufferView": view,
            "componentType": UINT32 if indices else FLOAT,
            "count": int(array.size // width),
            "type": gltf_type,
        }
        if gltf_type == "VEC3":
            finite = array.reshape(-1, 3)
            finite = finite[np.isfinite(finite).all(axis=1)]
            if len(finite):
                accessor["min"] = finite.min(axis=0).astype(float).tolist()
                accessor["max"] = finite.max(axis=0).astype(float).tolist()
        self.json["accessors"].append(accessor)
        return len(self.json["accessors"]) - 1

    def add_mesh(
        self,
        positions: np.ndarray,
        indices: np.ndarray | None,
        uvs: np.ndarray | None = None,
        material: int | None = None,
    ) -> dict[str, Any]:
        """Add a mesh on a new root node; returns its primitive for further editing."""
        primitive: dict[str, Any] = {
            "attributes": {"POSITION": self.add_accessor(positions, "VEC3")},
            "mode": 4,
        }
        if indices is not None:
            primitive["indices"] = self.add_accessor(indices.reshape(-1), "SCALAR", indices=True)
        if uvs is not None:
            primitive["attributes"]["TEXCOORD_0"] = self.add_accessor(uvs, "VEC2")
        if material is not None:
            primitive["material"] = material
        self.json["meshes"].append({"primitives": [primitive]})
        self.json["nodes"].append({"mesh": len(self.json["meshes"]) - 1})
        self.json["scenes"][0]["nodes"].append(len(self.json["nodes"]) - 1)
        return primitive

    def add_textured_material(self, image: bytes, mime_type: str = "image/png") -> int:
        """A material whose base colour texture is `image`, embedded in a bufferView."""
        view = self.add_view(image)
        self.json.setdefault("images", []).append({"bufferView": view, "mimeType": mime_type})
        self.json.setdefault("samplers", [{}])
        self.json.setdefault("textures", []).append(
            {"source": len(self.json["images"]) - 1, "sampler": 0}
        )
        self.json.setdefault("materials", []).append(
            {
                "pbrMetallicRoughness": {
                    "baseColorTexture": {"index": len(self.json["textures"]) - 1}
                }
            }
        )
        return len(self.json["materials"]) - 1

    # ------------------------------------------------------------------ output
    def glb(self, version: int = 2) -> bytes:
        return pack_glb(self.json, bytes(self.binary), version=version)

    def gltf(self) -> bytes:
        """A .gltf whose buffer is embedded as a base64 data: URI."""
        document = json.loads(json.dumps(self.json))
        document["buffers"][0]["uri"] = data_uri(bytes(self.binary))
        return json.dumps(document).encode("utf-8")


def data_uri(data: bytes, mime_type: str = "application/octet-stream") -> str:
    return f"data:{mime_type};base64,{base64.b64encode(data).decode('ascii')}"


def pack_glb(document: dict[str, Any], binary: bytes = b"", version: int = 2) -> bytes:
    payload = json.dumps(document, separators=(",", ":")).encode("utf-8")
    payload += b" " * (-len(payload) % 4)
    chunks = struct.pack("<I4s", len(payload), b"JSON") + payload
    if binary:
        binary += b"\x00" * (-len(binary) % 4)
        chunks += struct.pack("<I4s", len(binary), b"BIN\x00") + binary
    return struct.pack("<4sII", b"glTF", version, 12 + len(chunks)) + chunks


def quad_builder(textured: bool = False) -> GltfBuilder:
    builder = GltfBuilder()
    material = builder.add_textured_material(png_bytes()) if textured else None
    builder.add_mesh(
        QUAD_POSITIONS, QUAD_INDICES, uvs=QUAD_UVS if textured else None, material=material
    )
    return builder


def quad_glb() -> bytes:
    return quad_builder().glb()


def grid_positions(columns: int = 4, rows: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """A flat (columns x rows)-cell grid: its positions and 2 triangles per cell."""
    xs, ys = np.meshgrid(np.arange(columns + 1), np.arange(rows + 1))
    positions = np.stack([xs.ravel(), ys.ravel(), np.zeros(xs.size)], axis=1).astype(np.float32)
    faces = []
    for row in range(rows):
        for column in range(columns):
            a = row * (columns + 1) + column
            b, c, d = a + 1, a + columns + 2, a + columns + 1
            faces += [[a, b, c], [a, c, d]]
    return positions, np.array(faces, dtype=np.uint32)


# ---------------------------------------------------------------------------- zips
def zip_bytes(
    members: dict[str, bytes],
    symlinks: dict[str, str] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A zip of `members` (names kept verbatim, '../' and '/' included) and symbolic links."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in members.items():
            info = zipfile.ZipInfo(name)  # ZipInfo keeps the name as given, unlike write()
            info.compress_type = compression
            archive.writestr(info, content)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3  # Unix, so the mode bits are honoured
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


QUAD_OBJ = b"""mtllib quad.mtl
v 0 0 0
v 1 0 0
v 1 1 0
v 0 1 0
vt 0 0
vt 1 0
vt 1 1
vt 0 1
usemtl painted
f 1/1 2/2 3/3
f 1/1 3/3 4/4
"""

QUAD_MTL = b"""newmtl painted
Kd 1 1 1
map_Kd textures/paint.png
"""


def textured_obj_zip(texture: bytes | None = None) -> bytes:
    """OBJ + MTL + PNG texture (in a sub-folder, as exporters write them) in one zip."""
    return zip_bytes(
        {
            "quad/quad.obj": QUAD_OBJ,
            "quad/quad.mtl": QUAD_MTL,
            "quad/textures/paint.png": texture or png_bytes(64, 32),
        }
    )


def zip_bomb_bytes(size: int = 4 * 1024 * 1024) -> bytes:
    """One OBJ member of `size` spaces: compresses about a thousand to one."""
    return zip_bytes({"bomb.obj": b" " * size})


# ---------------------------------------------------------------------------- STL
def binary_stl(triangles: np.ndarray, declared: int | None = None, header: bytes = b"") -> bytes:
    """A binary STL of `triangles` (N, 3, 3) whose header declares `declared` triangles."""
    count = len(triangles) if declared is None else declared
    body = b"".join(
        struct.pack("<12fH", 0.0, 0.0, 1.0, *np.asarray(t, dtype=np.float32).ravel(), 0)
        for t in triangles
    )
    return header.ljust(80, b"\x00")[:80] + struct.pack("<I", count) + body
