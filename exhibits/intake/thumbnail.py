"""Software thumbnail rendering of a mesh (no GPU, no display): flat-shaded clay with Pillow.

A painter's-algorithm rasteriser: faces are projected orthographically, back faces culled,
sorted far to near and filled with Lambert shading. Enough for a recognisable preview; the
intake issue may replace it with a textured offscreen render.
"""

from __future__ import annotations

import numpy as np
import trimesh
from PIL import Image, ImageDraw

BACKGROUND = (28, 30, 34)
CLAY = np.array([214.0, 200.0, 178.0])
MAX_FACES_DRAWN = 300_000


def _view_rotation(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """World -> camera rotation for a camera looking at the origin from (azimuth, elevation)."""
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    rot_y = np.array([[np.cos(az), 0, -np.sin(az)], [0, 1, 0], [np.sin(az), 0, np.cos(az)]])
    rot_x = np.array([[1, 0, 0], [0, np.cos(el), np.sin(el)], [0, -np.sin(el), np.cos(el)]])
    return rot_x @ rot_y


def render_thumbnail(
    mesh: trimesh.Trimesh,
    size: int = 512,
    azimuth_deg: float = 30.0,
    elevation_deg: float = 15.0,
) -> Image.Image:
    """Render `mesh` (Y-up) to a size x size RGB image, framed on its bounding box."""
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    if len(faces) > MAX_FACES_DRAWN:
        # Tiny faces vanish at thumbnail size; a deterministic subset keeps rendering fast.
        faces = faces[np.linspace(0, len(faces) - 1, MAX_FACES_DRAWN).astype(np.int64)]
    centre = (vertices.min(axis=0) + vertices.max(axis=0)) / 2
    camera = (vertices - centre) @ _view_rotation(azimuth_deg, elevation_deg).T
    triangles = camera[faces]  # (F, 3, 3)
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    lengths = np.linalg.norm(normals, axis=1)
    keep = lengths > 0
    triangles, normals = triangles[keep], normals[keep] / lengths[keep, None]
    # Scans are often not consistently wound, so shade both sides rather than cull.
    light = np.array([0.35, 0.55, 0.75])
    light /= np.linalg.norm(light)
    intensity = 0.25 + 0.75 * np.abs(normals @ light)
    order = np.argsort(triangles[:, :, 2].mean(axis=1))  # far (negative z) first
    extent = max(np.ptp(camera[:, 0]), np.ptp(camera[:, 1])) or 1.0
    scale = size * 0.86 / extent
    xy = triangles[:, :, :2] * scale
    xy[:, :, 1] *= -1  # image y grows downwards
    xy += size / 2
    image = Image.new("RGB", (size, size), BACKGROUND)
    draw = ImageDraw.Draw(image)
    colours = np.clip(CLAY[None, :] * intensity[:, None], 0, 255).astype(np.uint8)
    for index in order:
        draw.polygon([tuple(point) for point in xy[index]], fill=tuple(colours[index]))
    return image
