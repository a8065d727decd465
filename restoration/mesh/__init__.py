"""Shape restoration: hole filling, fairing, mirror-symmetry and axis-of-revolution completion.

Framework-free (numpy, scipy, trimesh, torch): the Django glue lives in
restoration/restore/services.py.
"""

from restoration.mesh.fill import FillResult, Patch, apply_patches, build_patch, fill_holes
from restoration.mesh.holes import (
    BORDER,
    HOLE,
    ISLAND,
    Hole,
    HoleReport,
    MeshRepairError,
    find_holes,
    weld,
)
from restoration.mesh.metrics import chamfer, hausdorff, open_edge_count, sample_surface
from restoration.mesh.revolve import Axis, complete_by_revolution, fit_axis, fit_profile
from restoration.mesh.symmetry import MirrorPlane, complete_by_symmetry, detect_mirror_plane

__all__ = [
    "BORDER",
    "HOLE",
    "ISLAND",
    "Axis",
    "FillResult",
    "Hole",
    "HoleReport",
    "MeshRepairError",
    "MirrorPlane",
    "Patch",
    "apply_patches",
    "build_patch",
    "chamfer",
    "complete_by_revolution",
    "complete_by_symmetry",
    "detect_mirror_plane",
    "fill_holes",
    "find_holes",
    "fit_axis",
    "fit_profile",
    "hausdorff",
    "open_edge_count",
    "sample_surface",
    "weld",
]
