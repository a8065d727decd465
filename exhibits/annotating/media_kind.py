"""Framework-free: what an annotation's medium really is, from its first bytes (the name is
only a claim to check). Images: JPEG, PNG, WebP; sounds: MP3, OGG, M4A (MP4 audio), WAV."""

from __future__ import annotations

from pathlib import Path

# extension -> (kind, format)
EXTENSIONS: dict[str, tuple[str, str]] = {
    "jpg": ("image", "jpeg"),
    "jpeg": ("image", "jpeg"),
    "png": ("image", "png"),
    "webp": ("image", "webp"),
    "mp3": ("audio", "mp3"),
    "ogg": ("audio", "ogg"),
    "oga": ("audio", "ogg"),
    "m4a": ("audio", "m4a"),
    "wav": ("audio", "wav"),
}
M4A_BRANDS = (b"M4A ", b"M4B ", b"mp42", b"isom", b"iso2", b"mp41", b"dash")


def sniff_format(head: bytes) -> str | None:
    """The format the first bytes (16 or more) show, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"OggS"):
        return "ogg"
    if head[4:8] == b"ftyp" and head[8:12] in M4A_BRANDS:
        return "m4a"
    # MP3: an ID3v2 tag, or an MPEG audio frame sync (11 bits set, layer III).
    if head.startswith(b"ID3") or (
        len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 == 0x02
    ):
        return "mp3"
    return None


def claimed(filename: str) -> tuple[str, str] | None:
    """(kind, format) the file name claims, or None for an extension we do not take."""
    return EXTENSIONS.get(Path(filename).suffix.lower().lstrip("."))


def media_kind(filename: str) -> str | None:
    """ "image" or "audio" by the (already checked) name of a stored medium."""
    found = claimed(filename)
    return found[0] if found else None
