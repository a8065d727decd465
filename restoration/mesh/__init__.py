"""Shape restoration: hole filling, fairing, mirror-symmetry and axis-of-revolution completion.

Framework-free (numpy, scipy, trimesh, torch): the Django glue lives in
restoration/restore/services.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from restoration.mesh.errors import MeshRepairError

if TYPE_CHECKING:
    from restoration.mesh.fill import FillResult, Patch, apply_patches, build_patch, fill_holes
    from restoration.mesh.holes import (
        BORDER,
        HOLE,
        ISLAND,
        Hole,
        HoleReport,
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

# The rest is imported on first use: this package's modules bring trimesh and scipy (~0.5 s),
# which web processes, importing MeshRepairError, do without.
_LAZY = {
    "Axis": "revolve",
    "BORDER": "holes",
    "FillResult": "fill",
    "HOLE": "holes",
    "Hole": "holes",
    "HoleReport": "holes",
    "ISLAND": "holes",
    "MirrorPlane": "symmetry",
    "Patch": "fill",
    "apply_patches": "fill",
    "build_patch": "fill",
    "chamfer": "metrics",
    "complete_by_revolution": "revolve",
    "complete_by_symmetry": "symmetry",
    "detect_mirror_plane": "symmetry",
    "fill_holes": "fill",
    "find_holes": "holes",
    "fit_axis": "revolve",
    "fit_profile": "revolve",
    "hausdorff": "metrics",
    "open_edge_count": "metrics",
    "sample_surface": "metrics",
    "weld": "holes",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"restoration.mesh.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
