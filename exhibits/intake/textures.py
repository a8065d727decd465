"""The texture ladder: a copy of the document whose images are no larger than a given side.
Images already small enough keep their original bytes (never re-encoded)."""

from __future__ import annotations

import copy
import io

from PIL import Image

from exhibits.intake.errors import IntakeError
from exhibits.intake.glb_document import GltfDocument
from museum.common import images


def _open(document: GltfDocument, index: int) -> Image.Image:
    """An embedded image through the shared reader (header checked, nothing decoded yet);
    the sizes were checked when the source was read, so only Pillow's own bomb cap applies."""
    try:
        return images.open_image(
            document.image_bytes(index),
            formats=images.TEXTURE_FORMATS,
            max_bytes=None,
            max_pixels=images.PILLOW_BOMB_PIXELS,
        )
    except images.ImageReadError as exc:
        raise IntakeError("bad_texture", f"Image {index} cannot be read: {exc}") from exc


def with_textures_at_most(document: GltfDocument, max_side: int, quality: int = 88) -> GltfDocument:
    resized = GltfDocument(json=copy.deepcopy(document.json), views=list(document.views))
    for index, _ in enumerate(resized.json.get("images", [])):
        with _open(resized, index) as image:
            if max(image.size) <= max_side:
                continue
            kind = image.format
            ratio = max_side / max(image.size)
            size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
            try:
                images.decode(image)
            except images.ImageReadError as exc:
                raise IntakeError("bad_texture", f"Image {index} cannot be read: {exc}") from exc
            smaller = image.convert("RGBA" if kind == "PNG" and "A" in image.mode else "RGB")
            smaller = smaller.resize(size, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        if kind == "PNG":
            smaller.save(buffer, format="PNG", optimize=True)
            mime = "image/png"
        else:
            smaller.convert("RGB").save(buffer, format="JPEG", quality=quality, optimize=True)
            mime = "image/jpeg"
        resized.replace_image(index, buffer.getvalue(), mime)
    return resized


def largest_texture_side(document: GltfDocument) -> int:
    side = 0
    for index, _ in enumerate(document.json.get("images", [])):
        with _open(document, index) as image:
            side = max(side, *image.size)
    return side
