"""Two more fills of one hole, as `Patch`es like ours: CGAL's reference implementation of the
same method (`triangulate_refine_and_fair_hole`: minimum-weight triangulation, Liepa refinement,
fairing), run on the hole's neighbourhood, and the centroid fan (the simplest fill, the fallback).

CGAL (the `cgal` SWIG bindings, GPL-3.0-or-later) is imported when first used, so the rest of the
core imports without it.
"""

from __future__ import annotations

import time

import numpy as np

from restoration.mesh.fill import MeshContext, Patch, harmonic_uv
from restoration.mesh.holes import Hole

NEIGHBOURHOOD_RINGS = 4  # fairing fixes the surface round the hole; 4 rings give it room


def fan_patch(context: MeshContext, hole: Hole) -> Patch:
    """Triangles from each loop edge to the loop's centroid: closes any simple loop."""
    start = time.perf_counter()
    loop = context.points[hole.loop]
    k = len(loop)
    points = np.vstack([loop, loop.mean(axis=0)])
    faces = np.stack([np.arange(k), (np.arange(k) + 1) % k, np.full(k, k)], axis=1)
    patch = Patch(hole, points, faces)
    _add_uv(context, patch)
    patch.seconds = time.perf_counter() - start
    return patch


def cgal_patch(
    context: MeshContext,
    hole: Hole,
    *,
    rings: int = NEIGHBOURHOOD_RINGS,
    density: float = float(np.sqrt(2.0)),
    continuity: int = 1,
) -> Patch:
    """CGAL's triangulate_refine_and_fair_hole on a copy of the faces within `rings` rings of the
    loop; the new faces come back in our local ids (the loop first, then new vertices)."""
    from CGAL import CGAL_Polygon_mesh_processing as pmp
    from CGAL.CGAL_Kernel import Point_3
    from CGAL.CGAL_Polyhedron_3 import Polyhedron_3

    start = time.perf_counter()
    loop = hole.loop
    k = len(loop)
    face_ids = context.ring_faces(loop)
    for _ in range(rings - 1):
        face_ids = context.ring_faces(np.unique(context.faces[face_ids]))
    faces = context.faces[face_ids]
    used = np.unique(faces)
    local = np.full(len(context.points), -1, dtype=np.int64)
    local[used] = np.arange(len(used))
    points = pmp.Point_3_Vector()
    for x, y, z in context.points[used].tolist():
        points.append(Point_3(x, y, z))
    polygons = pmp.Polygon_Vector()
    for face in local[faces].tolist():
        corners = pmp.Int_Vector()
        for corner in face:
            corners.append(corner)
        polygons.append(corners)
    polyhedron = Polyhedron_3()
    pmp.polygon_soup_to_polygon_mesh(points, polygons, polyhedron)
    if polyhedron.size_of_facets() != len(faces):
        return _reported(
            context, hole, "cgal_input", "CGAL could not read the hole's surroundings."
        )
    for index, vertex in enumerate(polyhedron.vertices()):
        vertex.set_id(index)  # the soup's vertices keep their order
    on_loop = np.zeros(len(used), dtype=bool)
    on_loop[local[loop]] = True
    border = next(
        (h for h in polyhedron.halfedges() if h.is_border() and on_loop[h.vertex().id()]), None
    )
    if border is None:
        return _reported(context, hole, "cgal_input", "CGAL found no border on this hole.")
    new_faces: list = []
    new_vertices: list = []
    pmp.triangulate_refine_and_fair_hole(
        polyhedron, border, new_faces, new_vertices, density, continuity
    )
    if not new_faces:
        return _reported(context, hole, "untriangulable", "CGAL could not triangulate this hole.")
    patch_id = np.full(len(used) + len(new_vertices), -1, dtype=np.int64)
    patch_id[local[loop]] = np.arange(k)
    new_points = np.empty((len(new_vertices), 3))
    for index, vertex in enumerate(new_vertices):
        vertex.set_id(len(used) + index)
        patch_id[len(used) + index] = k + index
        point = vertex.point()
        new_points[index] = (point.x(), point.y(), point.z())
    triangles = np.array([_corners(face) for face in new_faces], dtype=np.int64)
    mapped = patch_id[triangles]
    if (mapped < 0).any():
        return _reported(context, hole, "cgal_output", "CGAL's patch left the hole's loop.")
    patch = Patch(hole, np.vstack([context.points[loop], new_points]), mapped)
    _add_uv(context, patch)
    patch.seconds = time.perf_counter() - start
    return patch


def _corners(face: object) -> list[int]:
    first = face.halfedge()  # type: ignore[attr-defined]  # a SWIG handle
    second = first.next()
    return [first.vertex().id(), second.vertex().id(), second.next().vertex().id()]


def _add_uv(context: MeshContext, patch: Patch) -> None:
    if context.uv is not None:
        k = len(patch.hole.loop)
        patch.uv, patch.uv_seam = harmonic_uv(
            context.uv[patch.hole.original_ids], patch.points, patch.faces, k
        )


def _reported(context: MeshContext, hole: Hole, code: str, reason: str) -> Patch:
    return Patch(
        hole,
        context.points[hole.loop],
        np.zeros((0, 3), np.int64),
        status="reported",
        code=code,
        reason=reason,
    )
