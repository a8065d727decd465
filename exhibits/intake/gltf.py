"""Read GLB files into one trimesh in scene (world) coordinates, Draco-compressed ones included,
and the node-hierarchy transforms that place meshes in the scene."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, cast

import numpy as np

from exhibits.intake.errors import IntakeError
from exhibits.intake.glb_document import DRACO as DRACO_EXTENSION
from exhibits.intake.glb_document import GltfDocument

if TYPE_CHECKING:
    import trimesh

# trimesh is imported where a mesh is read: it costs ~0.5 s, and web processes import this
# module (through the condition and collection services) without reading meshes.


class MeshReadError(ValueError):
    """The file is not a mesh we can read; the message says why."""


def _node_matrix(node: dict) -> np.ndarray:
    if "matrix" in node:
        return np.asarray(node["matrix"], dtype=np.float64).reshape(4, 4).T  # column-major
    import trimesh

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


def load_glb(data: bytes) -> trimesh.Trimesh:
    """One mesh in world coordinates from GLB bytes; raises MeshReadError on bad input.

    Draco primitives are decoded by GltfDocument (the same code intake uses), then trimesh
    reads the plain GLB with node transforms applied, as three.js places them."""
    import trimesh

    try:
        document = GltfDocument.from_glb(data)
        if DRACO_EXTENSION in document.json.get("extensionsUsed", []):
            document.decode_draco()
            data = document.to_glb()
    except IntakeError as exc:
        raise MeshReadError(str(exc)) from exc
    try:
        # resolver=None: an embedded-only load can never read other files from disk.
        scene = cast(  # force="scene": always a Scene
            trimesh.Scene,
            trimesh.load(io.BytesIO(data), file_type="glb", resolver=None, force="scene"),
        )
    except Exception as exc:  # trimesh raises many types on malformed input
        raise MeshReadError(f"unreadable glTF: {exc}") from exc
    mesh = scene.to_mesh() if hasattr(scene, "to_mesh") else scene.dump(concatenate=True)
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise MeshReadError("the file contains no mesh")
    return mesh
