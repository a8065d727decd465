"""Find a file's real format from its bytes; the extension is only a claim to check."""

from __future__ import annotations

import struct
from pathlib import Path

from exhibits.intake.errors import IntakeError

MAGIC = (
    (b"glTF", "glb"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"PK\x03\x04", "zip"),
    (b"ply\n", "ply"),
    (b"ply\r\n", "ply"),
    (b"GIF8", "gif"),
    (b"%PDF", "pdf"),
    (b"\x1f\x8b", "gzip"),
)
ALIASES = {"jpeg": "jpg", "tif": "tiff"}
MESH_FORMATS = ("glb", "gltf", "obj", "ply", "stl", "zip")


def declared_format(filename: str) -> str:
    suffix = Path(filename).suffix.lower().lstrip(".")
    return ALIASES.get(suffix, suffix)


def looks_like_text(head: bytes) -> bool:
    """Mostly printable text. Tolerant of a few non-UTF-8 bytes (Latin-1 comments from
    European exporters) and of a multi-byte character cut at the end of `head`."""
    if not head:
        return False
    text = head.decode("utf-8", errors="replace")
    odd = sum(1 for ch in text if not (ch.isprintable() or ch in "\r\n\t") or ch == "\ufffd")
    return odd <= max(4, len(text) // 20)


def _is_binary_stl(head: bytes, size: int) -> bool:
    if size < 84 or len(head) < 84:
        return False
    (count,) = struct.unpack_from("<I", head, 80)
    return size == 84 + 50 * count


def sniff(data: bytes, filename: str, size: int | None = None) -> str:
    """The format of a file from its first bytes (at least 4 KiB of them, or all) and its size;
    raises IntakeError when the content contradicts the extension."""
    size = len(data) if size is None else size
    if size == 0 or not data:
        raise IntakeError("empty", "The file is empty.")
    declared = declared_format(filename)
    real = next((name for magic, name in MAGIC if data.startswith(magic)), None)
    if real is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        real = "webp"
    if real is None:
        head = data[:4096]
        stripped = head.lstrip()
        # A binary STL whose size contradicts its count is still an STL: sources says why.
        binary_stl = _is_binary_stl(head, size) or (size >= 84 and not looks_like_text(head))
        if declared == "stl" and (binary_stl or stripped.startswith(b"solid")):
            real = "stl"
        elif stripped.startswith(b"{") and looks_like_text(head[:1024]):
            real = "gltf"
        elif declared == "obj" and looks_like_text(head[:1024]):
            real = "obj"
    if real is None:
        raise IntakeError(
            "unknown_format",
            f"Unrecognised file format for {Path(filename).name!r}: expected GLB, glTF, OBJ "
            "(or a zip of OBJ + MTL + textures), PLY or STL.",
        )
    if declared and declared != real:
        raise IntakeError(
            "format_mismatch",
            f"The file is named .{declared} but its content is {real.upper()}.",
        )
    return real
