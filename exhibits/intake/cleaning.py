"""Find and remove broken geometry in a glTF document without touching anything else:
non-finite vertices, degenerate and duplicate triangles. Counts go to the validation report."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from exhibits.intake.errors import IntakeError
from exhibits.intake.glb_document import GltfDocument


@dataclass
class CleaningReport:
    vertices: int = 0
    faces: int = 0
    nonfinite_vertices: int = 0
    degenerate_faces: int = 0
    duplicate_faces: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def clean_triangles(positions: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, dict]:
    """Faces kept after dropping those with non-finite corners, zero area or duplicates."""
    finite = np.isfinite(positions).all(axis=1)
    out_of_range = (faces >= len(positions)).any(axis=1)
    if out_of_range.any():
        raise IntakeError("bad_indices", "Triangle indices point past the vertex list.")
    touches_nonfinite = ~finite[faces].all(axis=1)
    safe = np.where(finite[:, None], positions, 0.0).astype(np.float64)
    corners = safe[faces]
    area2 = np.linalg.norm(
        np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1
    )
    repeated = (
        (faces[:, 0] == faces[:, 1]) | (faces[:, 1] == faces[:, 2]) | (faces[:, 0] == faces[:, 2])
    )
    scale = float(np.ptp(safe[finite], axis=0).max()) if finite.any() else 0.0
    degenerate = ~touches_nonfinite & (repeated | (area2 <= (scale * 1e-9) ** 2))
    keep = ~touches_nonfinite & ~degenerate
    candidates = np.flatnonzero(keep)
    unique_mask = _first_occurrences(np.sort(faces[candidates], axis=1), len(positions))
    duplicates = int((~unique_mask).sum())
    kept_indices = candidates[unique_mask]
    counts = {
        "nonfinite_vertices": int((~finite).sum()),
        "degenerate_faces": int(degenerate.sum()),
        "duplicate_faces": duplicates,
    }
    return faces[np.sort(kept_indices)], counts


def _first_occurrences(rows: np.ndarray, vertex_count: int) -> np.ndarray:
    """Mask of the first occurrence of each (sorted) index triple, in original order."""
    if len(rows) == 0:
        return np.zeros(0, dtype=bool)
    if vertex_count < 1 << 21:
        # Three 21-bit indices pack into one int64: a 1-D stable sort beats unique(axis=0).
        rows64 = rows.astype(np.int64)
        key = (rows64[:, 0] << 42) | (rows64[:, 1] << 21) | rows64[:, 2]
        order = np.argsort(key, kind="stable")
        repeated = key[order][1:] == key[order][:-1]
    else:
        order = np.lexsort((rows[:, 2], rows[:, 1], rows[:, 0]))
        repeated = (rows[order][1:] == rows[order][:-1]).all(axis=1)
    mask = np.ones(len(rows), dtype=bool)
    mask[order[1:][repeated]] = False
    return mask


def clean_document(document: GltfDocument) -> CleaningReport:
    """Clean every triangle primitive in place; raise when nothing drawable remains."""
    report = CleaningReport()
    accessors = document.json.get("accessors", [])
    for mesh in document.json.get("meshes", []):
        for primitive in mesh.get("primitives", []):
            if primitive.get("mode", 4) != 4 or "POSITION" not in primitive.get("attributes", {}):
                continue
            position_index = primitive["attributes"]["POSITION"]
            positions = document.read_accessor(position_index).astype(np.float64)
            faces: np.ndarray
            if "indices" in primitive:
                faces = document.read_accessor(primitive["indices"]).reshape(-1).astype(np.int64)
            else:
                faces = np.arange(len(positions), dtype=np.int64)
            faces = faces[: len(faces) // 3 * 3].reshape(-1, 3)
            kept, counts = clean_triangles(positions, faces)
            report.vertices += len(positions)
            report.faces += len(kept)
            for key, value in counts.items():
                setattr(report, key, getattr(report, key) + value)
            changed = len(kept) != len(faces)
            if counts["nonfinite_vertices"]:
                # Unreferenced now, but they would still break the accessor bounds.
                positions = np.where(np.isfinite(positions), positions, 0.0)
                accessors[position_index] = document.add_accessor(positions, "VEC3")
            if changed:
                accessor = document.add_accessor(kept.reshape(-1), "SCALAR", indices=True)
                if "indices" in primitive:
                    accessors[primitive["indices"]] = accessor
                else:
                    accessors.append(accessor)
                    primitive["indices"] = len(accessors) - 1
    if report.faces == 0:
        raise IntakeError("no_geometry", "The file contains no valid triangles to display.")
    return report
