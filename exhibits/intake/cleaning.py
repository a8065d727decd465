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


CHUNK_FACES = 1 << 16  # faces examined at once: bounds the temporary arrays of a large scan


def clean_triangles(positions: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, dict]:
    """Faces kept after dropping those with non-finite corners, zero area or duplicates.

    Works through the faces in chunks so a multi-million-face scan needs a few small arrays
    rather than several full-size float64 copies (intake runs beside gltfpack); `faces` itself
    is returned, not copied, when every face is kept."""
    finite = np.isfinite(positions).all(axis=1)
    placed = positions[finite]
    scale = float((placed.max(axis=0) - placed.min(axis=0)).max()) if len(placed) else 0.0
    del placed
    min_area2 = (scale * 1e-9) ** 2
    touches_nonfinite = np.zeros(len(faces), dtype=bool)
    degenerate = np.zeros(len(faces), dtype=bool)
    for begin in range(0, len(faces), CHUNK_FACES):
        chunk = faces[begin : begin + CHUNK_FACES].astype(np.int64)
        if (chunk >= len(positions)).any() or (chunk < 0).any():
            raise IntakeError("bad_indices", "Triangle indices point past the vertex list.")
        bad = ~finite[chunk].all(axis=1)
        corners = positions[chunk].astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):  # non-finite corners: `bad` anyway
            area2 = np.linalg.norm(
                np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1
            )
        repeated = (
            (chunk[:, 0] == chunk[:, 1])
            | (chunk[:, 1] == chunk[:, 2])
            | (chunk[:, 0] == chunk[:, 2])
        )
        touches_nonfinite[begin : begin + len(chunk)] = bad
        degenerate[begin : begin + len(chunk)] = ~bad & (repeated | (area2 <= min_area2))
    dropped = touches_nonfinite | degenerate
    # Usually every face is a candidate: then `faces` itself is searched, not a copy.
    candidates = np.flatnonzero(~dropped) if dropped.any() else None
    searched = faces if candidates is None else faces[candidates]
    unique_mask = _first_occurrences(searched, len(positions))
    del searched
    duplicates = int((~unique_mask).sum())
    counts = {
        "nonfinite_vertices": int((~finite).sum()),
        "degenerate_faces": int(degenerate.sum()),
        "duplicate_faces": duplicates,
    }
    if candidates is None:
        return (faces[unique_mask] if duplicates else faces), counts
    return faces[candidates[unique_mask]], counts


def _face_keys(faces: np.ndarray) -> np.ndarray:
    """One int64 per face from its three (21-bit) indices in ascending order; column-wise
    minimum and maximum instead of a row sort, which is several times slower."""
    first, second, third = (faces[:, column].astype(np.int64) for column in range(3))
    low = np.minimum(np.minimum(first, second), third)
    high = np.maximum(np.maximum(first, second), third)
    middle = first + second + third - low - high
    return (low << 42) | (middle << 21) | high


def _first_occurrences(faces: np.ndarray, vertex_count: int) -> np.ndarray:
    """Mask of the first occurrence of each face's index set, in original order."""
    if len(faces) == 0:
        return np.zeros(0, dtype=bool)
    mask = np.ones(len(faces), dtype=bool)
    if vertex_count >= 1 << 21:
        rows = np.sort(faces, axis=1)
        order = np.lexsort((rows[:, 2], rows[:, 1], rows[:, 0]))
        repeated = (rows[order][1:] == rows[order][:-1]).all(axis=1)
        mask[order[1:][repeated]] = False
        return mask
    # Three 21-bit indices pack into one int64: a 1-D stable sort beats unique(axis=0). Equal
    # faces share a key, so they fall in the same partition (key modulo the count): each pass
    # sorts a part of the keys, which bounds the memory of a large scan.
    parts = max(1, len(faces) // (4 * CHUNK_FACES))
    for part in range(parts):
        positions_in_part, keys_in_part = [], []
        for begin in range(0, len(faces), CHUNK_FACES):
            keys = _face_keys(faces[begin : begin + CHUNK_FACES])
            selected = np.flatnonzero(keys % parts == part)
            positions_in_part.append(selected + begin)
            keys_in_part.append(keys[selected])
        where, key = np.concatenate(positions_in_part), np.concatenate(keys_in_part)
        order = np.argsort(key, kind="stable")  # `where` ascends: first occurrences stay first
        key.sort(kind="stable")
        mask[where[order[1:][key[1:] == key[:-1]]]] = False
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
            positions = document.read_accessor(position_index, copy=False)
            faces: np.ndarray
            if "indices" in primitive:
                # Kept in the file's integer type: clean_triangles widens a chunk at a time.
                faces = document.read_accessor(primitive["indices"], copy=False).reshape(-1)
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
                positions = np.where(np.isfinite(positions), positions, 0.0).astype(np.float64)
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
