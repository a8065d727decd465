"""Read GLB files into one trimesh in scene (world) coordinates, Draco-compressed ones included.

trimesh reads plain glTF but not KHR_draco_mesh_compression, so Draco primitives are decoded
with DracoPy and placed with the node hierarchy's transforms, as three.js places them.
"""

from __future__ import annotations

import io
import json
import struct

import numpy as np
import trimesh

GLB_MAGIC = b"glTF"
DRACO_EXTENSION = "KHR_draco_mesh_compression"


class MeshReadError(ValueError):
    """The file is not a mesh we can read; the message says why."""


def split_glb(data: bytes) -> tuple[dict, bytes]:
    """Return the JSON document and the binary chunk of a GLB container."""
    if len(data) < 20 or data[:4] != GLB_MAGIC:
        raise MeshReadError("not a GLB file (missing 'glTF' magic bytes)")
    _, version, length = struct.unpack_from("<4sII", data, 0)
    if version != 2:
        raise MeshReadError(f"unsupported glTF container version {version}")
    if length > len(data):
        raise MeshReadError("truncated GLB file")
    offset, document, binary = 12, None, b""
    while offset + 8 <= length:
        chunk_length, chunk_type = struct.unpack_from("<I4s", data, offset)
        chunk = data[offset + 8 : offset + 8 + chunk_length]
        if chunk_type == b"JSON":
            document = json.loads(chunk.decode("utf-8"))
        elif chunk_type == b"BIN\x00":
            binary = chunk
        offset += 8 + chunk_length
    if document is None:
        raise MeshReadError("GLB file has no JSON chunk")
    return document, binary


def _node_matrix(node: dict) -> np.ndarray:
    if "matrix" in node:
        return np.asarray(node["matrix"], dtype=np.float64).reshape(4, 4).T  # column-major
    translation = trimesh.transformations.translation_matrix(node.get("translation", [0, 0, 0]))
    x, y, z, w = node.get("rotation", [0, 0, 0, 1])
    rotation = trimesh.transformations.quaternion_matrix([w, x, y, z])
    scale = np.diag([*node.get("scale", [1, 1, 1]), 1.0])
    return translation @ rotation @ scale


def _world_matrices(document: dict) -> list[tuple[int, np.ndarray]]:
    """(mesh index, world matrix) for every node that carries a mesh."""
    nodes = document.get("nodes", [])
    scenes = document.get("scenes") or [{"nodes": list(range(len(nodes)))}]
    roots = scenes[document.get("scene", 0)].get("nodes", [])
    placed: list[tuple[int, np.ndarray]] = []
    stack = [(index, np.eye(4)) for index in roots]
    seen: set[int] = set()
    while stack:
        index, parent = stack.pop()
        if index in seen or index >= len(nodes):
            continue  # a cycle or a dangling index: ignore rather than loop forever
        seen.add(index)
        node = nodes[index]
        world = parent @ _node_matrix(node)
        if "mesh" in node:
            placed.append((node["mesh"], world))
        stack.extend((child, world) for child in node.get("children", []))
    return placed


def _decode_draco_glb(document: dict, binary: bytes) -> trimesh.Trimesh:
    import DracoPy

    views = document.get("bufferViews", [])
    parts = []
    for mesh_index, world in _world_matrices(document):
        for primitive in document["meshes"][mesh_index].get("primitives", []):
            draco = primitive.get("extensions", {}).get(DRACO_EXTENSION)
            if draco is None:
                raise MeshReadError("mixed Draco and plain primitives are not supported yet")
            view = views[draco["bufferView"]]
            start = view.get("byteOffset", 0)
            decoded = DracoPy.decode(binary[start : start + view["byteLength"]])
            faces = np.asarray(decoded.faces, dtype=np.int64).reshape(-1, 3)
            points = np.asarray(decoded.points, dtype=np.float64).reshape(-1, 3)
            part = trimesh.Trimesh(vertices=points, faces=faces, process=False)
            part.apply_transform(world)
            parts.append(part)
    if not parts:
        raise MeshReadError("the file contains no mesh")
    return trimesh.util.concatenate(parts)


def load_glb(data: bytes) -> trimesh.Trimesh:
    """One mesh in world coordinates from GLB bytes; raises MeshReadError on bad input."""
    document, binary = split_glb(data)
    if DRACO_EXTENSION in document.get("extensionsUsed", []):
        return _decode_draco_glb(document, binary)
    try:
        # resolver=None: an embedded-only load can never read other files from disk.
        scene = trimesh.load(io.BytesIO(data), file_type="glb", resolver=None, force="scene")
    except Exception as exc:  # trimesh raises many types on malformed input
        raise MeshReadError(f"unreadable glTF: {exc}") from exc
    mesh = scene.to_mesh() if hasattr(scene, "to_mesh") else scene.dump(concatenate=True)
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise MeshReadError("the file contains no mesh")
    return mesh
