"""Units to metres, Y up, standing on y = 0 with the footprint centred: one root matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UNIT_SCALES = {"m": 1.0, "cm": 0.01, "mm": 0.001, "in": 0.0254, "ft": 0.3048}
# Heritage objects above this many units tall are almost never metres: assume millimetres.
PLAUSIBLE_METRES = 20.0
DEFAULT_UP = {"glb": "y", "gltf": "y", "obj": "y", "ply": "z", "stl": "z"}


@dataclass(frozen=True)
class Normalisation:
    matrix: np.ndarray  # 4x4, source world -> normalised metres
    scale: float
    unit_reason: str
    up_axis: str
    dimensions_m: tuple[float, float, float]  # height (Y), width (X), depth (Z)


def up_rotation(up_axis: str) -> np.ndarray:
    """Rotation taking the given up axis to +Y (right-handed)."""
    rotation = np.eye(4)
    if up_axis == "z":  # (x, y, z) -> (x, z, -y)
        rotation[:3, :3] = [[1, 0, 0], [0, 0, 1], [0, -1, 0]]
    elif up_axis == "x":  # (x, y, z) -> (-y, x, z)
        rotation[:3, :3] = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]
    elif up_axis != "y":
        raise ValueError(f"unknown up axis {up_axis!r}")
    return rotation


def normalisation_for(
    bounds: np.ndarray,
    file_format: str,
    unit: str | None = None,
    scale: float | None = None,
    up_axis: str | None = None,
) -> Normalisation:
    """The matrix that normalises a scene with world `bounds` ([min, max])."""
    up = up_axis or DEFAULT_UP.get(file_format, "y")
    rotation = up_rotation(up)
    corners = np.array(
        [[x, y, z, 1.0] for x in bounds[:, 0] for y in bounds[:, 1] for z in bounds[:, 2]]
    )
    rotated = (corners @ rotation.T)[:, :3]
    extent = float(np.ptp(rotated, axis=0).max())
    if scale is not None:
        factor, reason = float(scale), f"scale {scale} given by the curator"
    elif unit is not None:
        factor, reason = UNIT_SCALES[unit], f"unit '{unit}' given by the curator"
    elif extent > PLAUSIBLE_METRES:
        factor = UNIT_SCALES["mm"]
        reason = f"assumed millimetres: the model is {extent:.0f} units across"
    else:
        factor, reason = (
            1.0,
            "metres (glTF convention)" if file_format in ("glb", "gltf") else ("assumed metres"),
        )
    low, high = rotated.min(axis=0) * factor, rotated.max(axis=0) * factor
    translation = np.eye(4)
    translation[:3, 3] = [-(low[0] + high[0]) / 2, -low[1], -(low[2] + high[2]) / 2]
    scaling = np.diag([factor, factor, factor, 1.0])
    size = high - low
    return Normalisation(
        matrix=translation @ scaling @ rotation,
        scale=factor,
        unit_reason=reason,
        up_axis=up,
        dimensions_m=(float(size[1]), float(size[0]), float(size[2])),
    )
