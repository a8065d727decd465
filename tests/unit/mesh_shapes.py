"""Small synthetic meshes for the mesh-restoration tests: spheres with holes, vessels, shapes
with a mirror plane. Built in memory, no files."""

from __future__ import annotations

import numpy as np
import trimesh


def remove_faces(mesh: trimesh.Trimesh, mask: np.ndarray) -> trimesh.Trimesh:
    """A copy without the faces in `mask`, unreferenced vertices dropped."""
    result = trimesh.Trimesh(mesh.vertices.copy(), mesh.faces[~mask].copy(), process=False)
    result.remove_unreferenced_vertices()
    return result


def sphere_with_hole(
    subdivisions: int = 3, hole_radius: float = 0.5, *, uv: bool = False
) -> tuple[trimesh.Trimesh, trimesh.Trimesh]:
    """(unit sphere with a cap of chord radius `hole_radius` removed around +z, the removed cap)."""
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=1.0)
    cut = np.linalg.norm(sphere.triangles_center - [0.0, 0.0, 1.0], axis=1) < hole_radius
    if uv:
        v = sphere.vertices
        coords = np.stack([np.arctan2(v[:, 1], v[:, 0]) / (2 * np.pi) + 0.5, v[:, 2] / 2 + 0.5], 1)
        sphere.visual = trimesh.visual.TextureVisuals(uv=coords)
    holed = trimesh.Trimesh(
        sphere.vertices, sphere.faces[~cut], visual=sphere.visual.copy(), process=False
    )
    removed = trimesh.Trimesh(sphere.vertices, sphere.faces[cut], process=False)
    return holed, removed


def vessel(seed: int, sections: int = 96, rows: int = 60) -> tuple[trimesh.Trimesh, dict]:
    """A closed surface of revolution with a random profile, randomly rotated and shifted.
    Returns the mesh and its true axis (point, direction) and rim radius."""
    rng = np.random.default_rng(seed)
    height = rng.uniform(1.5, 2.5)
    h = np.linspace(0.0, height, rows)
    coefficients = rng.uniform(-0.12, 0.12, size=3)
    r = 0.6 + sum(c * np.sin((i + 1) * np.pi * h / height + i) for i, c in enumerate(coefficients))
    r = r * np.sin(np.pi * h / height) ** 0.3  # closes at both ends
    r[0] = r[-1] = 0.0
    mesh = trimesh.creation.revolve(np.stack([r, h], axis=1), sections=sections)
    transform = trimesh.transformations.random_rotation_matrix(rng.random(3))
    transform[:3, 3] = rng.uniform(-1, 1, 3)
    mesh.apply_transform(transform)
    axis = {"point": transform[:3, 3], "direction": transform[:3, :3] @ [0.0, 0.0, 1.0]}
    axis["rim_radius"] = float(r.max())
    return mesh, axis


def cut_sherd(
    mesh: trimesh.Trimesh, axis: dict, *, start: float, width: float, low: float, high: float
) -> tuple[trimesh.Trimesh, trimesh.Trimesh]:
    """Remove the faces with angle in [start, start + width) and relative height in [low, high)."""
    direction = axis["direction"]
    relative = mesh.triangles_center - axis["point"]
    height = relative @ direction
    radial = relative - height[:, None] * direction
    helper = np.eye(3)[int(np.argmin(np.abs(direction)))]
    u = np.cross(direction, helper)
    u /= np.linalg.norm(u)
    angle = np.mod(np.arctan2(radial @ np.cross(direction, u), radial @ u) - start, 2 * np.pi)
    span = height.max() - height.min()
    share = (height - height.min()) / span
    cut = (angle < width) & (share >= low) & (share < high)
    removed = trimesh.Trimesh(mesh.vertices, mesh.faces[cut], process=False)
    return remove_faces(mesh, cut), removed


def mirrored_shape(rotation: float = 0.4) -> tuple[trimesh.Trimesh, np.ndarray]:
    """A bumpy, elongated closed shape symmetric about one plane through the origin (rotated);
    returns the mesh and the plane's unit normal."""
    mesh = trimesh.creation.icosphere(subdivisions=4, radius=1.0)
    v = mesh.vertices.copy()
    # Even in x (mirror plane x = 0), uneven in y and z so no other plane fits.
    v[:, 0] *= 1.6
    v[:, 1] += 0.25 * v[:, 0] ** 2 + 0.15 * v[:, 2] ** 3
    v[:, 2] += 0.2 * np.cos(2.5 * v[:, 0]) + 0.1 * v[:, 1]
    mesh = trimesh.Trimesh(v, mesh.faces, process=False)
    transform = trimesh.transformations.rotation_matrix(rotation, [1.0, 1.0, 0.3])
    mesh.apply_transform(transform)
    return mesh, transform[:3, :3] @ [1.0, 0.0, 0.0]
