"""Reading and writing meshes for the mesh-restoration commands (GLB through the intake reader,
which decodes Draco; OBJ/PLY/STL through trimesh)."""

from __future__ import annotations

from pathlib import Path

import trimesh
from django.core.management.base import CommandError

from exhibits.intake.gltf import MeshReadError, load_glb

MESH_SUFFIXES = (".glb", ".obj", ".ply", ".stl")


def read_mesh(path: Path) -> trimesh.Trimesh:
    suffix = path.suffix.lower()
    if suffix not in MESH_SUFFIXES:
        raise CommandError(f"{path}: unsupported format (use {', '.join(MESH_SUFFIXES)})")
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    if suffix == ".glb":
        try:
            return load_glb(path.read_bytes())
        except MeshReadError as exc:
            raise CommandError(f"{path}: {exc}") from exc
    try:
        mesh = trimesh.load(path, file_type=suffix[1:], force="mesh", process=False)
    except Exception as exc:  # trimesh raises many types on malformed files
        raise CommandError(f"{path}: unreadable mesh ({exc})") from exc
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise CommandError(f"{path}: the file contains no triangles")
    return mesh


def write_mesh(mesh: trimesh.Trimesh, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix not in MESH_SUFFIXES:
        raise CommandError(f"{path}: unsupported output format (use {', '.join(MESH_SUFFIXES)})")
    path.parent.mkdir(parents=True, exist_ok=True)
    mesh.export(path, file_type=suffix[1:])
