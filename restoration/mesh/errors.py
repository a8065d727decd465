"""The shape core's error, in a module of its own: web processes import it (a restoration job's
expected failures) without the core's numpy/scipy/trimesh modules."""

from __future__ import annotations


class MeshRepairError(ValueError):
    """A mesh that cannot be repaired as asked; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{message} ({code})")
        self.code = code
        self.message = message
