"""Framework-free pieces of the restoration job: decoding and encoding textures, the union of
damage masks, rasterising new faces' UVs into a mask, and writing a restored shape as a GLB
whose generated faces are a separate, named node (so the viewer can tint them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import cv2
import numpy as np
from PIL import Image

from museum.common import images
from restoration.condition.images import encode_png

if TYPE_CHECKING:
    import trimesh  # imported where meshes are handled: ~0.5 s that web processes skip

GENERATED_NODE = "mouseion-generated"  # the viewer tints meshes of this name (shape jobs)
ORIGINAL_NODE = "mouseion-original"
MAX_TEXTURE_PIXELS = 40_000_000


class RestorationInputError(ValueError):
    """Input a restoration cannot use; `code` is stable, the message is for curators."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _open_texture(data: bytes, what: str = "texture") -> Image.Image:
    """An embedded texture or a stored mask through the shared reader, header only."""
    try:
        return images.open_image(
            data, formats=images.TEXTURE_FORMATS, max_pixels=MAX_TEXTURE_PIXELS
        )
    except images.ImageReadError as exc:
        if exc.code == "too_many_pixels":
            raise RestorationInputError(
                "too_large", f"The {what} has more than {MAX_TEXTURE_PIXELS:,} pixels."
            ) from None
        raise RestorationInputError("not_an_image", f"The {what} cannot be decoded.") from None


def decode_texture(data: bytes) -> tuple[np.ndarray, np.ndarray | None]:
    """(RGB uint8, alpha uint8 or None) of an embedded texture; 16-bit and float images are
    refused rather than silently reduced to 8 bits."""
    # Size, format and dimensions are checked from the header before a pixel is decoded.
    image = _open_texture(data)
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        raise RestorationInputError(
            "unsupported_mode",
            f"The texture is a {image.mode} image (16-bit or float); only 8-bit colour is "
            "restored. Convert it to 8-bit RGB first.",
        )
    try:
        images.decode(image)
    except images.ImageReadError:
        raise RestorationInputError("not_an_image", "The texture cannot be decoded.") from None
    alpha = None
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        alpha = np.asarray(image.convert("RGBA"))[..., 3].copy()
    return np.asarray(image.convert("RGB")).copy(), alpha


def encode_texture(rgb: np.ndarray, alpha: np.ndarray | None = None) -> bytes:
    """A lossless PNG (alpha put back unchanged where the source had it)."""
    return encode_png(rgb if alpha is None else np.dstack([rgb, alpha]))


def read_binary_mask(data: bytes, *, width: int, height: int) -> np.ndarray:
    """A stored (white = damage) mask as booleans, checked against the texture's size."""
    with _open_texture(data, "damage mask") as image:
        if image.size != (width, height):
            raise RestorationInputError(
                "size_mismatch",
                f"A damage mask is {image.size[0]}x{image.size[1]} px but the texture is "
                f"{width}x{height} px; run the condition check again.",
            )
        return np.asarray(image.convert("L")) >= 128


def uv_mask(uv: np.ndarray, faces: np.ndarray, width: int, height: int) -> np.ndarray:
    """Texels covered by `faces` through trimesh UVs (v up: row = (1 - v) * height)."""
    mask = np.zeros((height, width), dtype=np.uint8)
    if len(faces) == 0:
        return mask.astype(bool)
    corners = np.asarray(uv, dtype=np.float64)[np.asarray(faces)]  # (F, 3, 2)
    pixels = np.empty_like(corners)
    pixels[..., 0] = corners[..., 0] * width
    pixels[..., 1] = (1.0 - corners[..., 1]) * height
    # 4 bits of sub-pixel precision, as condition_textures.coverage; triangles are drawn with
    # their edges, so thin slivers still mark the texels they cross.
    points = np.rint(pixels * 16).astype(np.int32)
    cv2.fillPoly(mask, list(points), 1, lineType=cv2.LINE_8, shift=4)
    cv2.polylines(mask, list(points), True, 1, lineType=cv2.LINE_8, shift=4)
    return mask.astype(bool)


def material_image(mesh: trimesh.Trimesh) -> Image.Image | None:
    """The base-colour image of a textured trimesh, or None (untextured, vertex colours)."""
    import trimesh

    visual = mesh.visual
    if not isinstance(visual, trimesh.visual.TextureVisuals) or visual.uv is None:
        return None
    material = visual.material
    image = getattr(material, "baseColorTexture", None) or getattr(material, "image", None)
    return image if isinstance(image, Image.Image) else None


def set_material_image(mesh: trimesh.Trimesh, image: Image.Image) -> None:
    visual = cast("trimesh.visual.TextureVisuals", mesh.visual)  # a textured mesh (see callers)
    material = visual.material.copy()
    if hasattr(material, "baseColorTexture"):
        material.baseColorTexture = image
    else:
        material.image = image
    visual.material = material


def shape_glb(
    repaired: trimesh.Trimesh, original_faces: int, matrix: np.ndarray | None = None
) -> bytes:
    """The repaired mesh as a GLB with two nodes: the original faces and the generated ones.

    `matrix` (4x4) is the intake's normalisation, so the file sits where the web LODs do."""
    import trimesh

    face_count = len(repaired.faces)
    parts = [
        (ORIGINAL_NODE, np.arange(original_faces)),
        (GENERATED_NODE, np.arange(original_faces, face_count)),
    ]
    scene = trimesh.Scene()
    for name, faces in parts:
        if len(faces) == 0:
            continue
        part = cast("trimesh.Trimesh", repaired.submesh([faces], append=True, repair=False))
        if matrix is not None:
            part.apply_transform(np.asarray(matrix, dtype=np.float64))
        scene.add_geometry(part, node_name=name, geom_name=name)
    return scene.export(file_type="glb")
