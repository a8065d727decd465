"""Default and annotation views (raised three-quarter, never vertical, the object framed) and the
textured GL thumbnail with its clay fallback (#22 items 1 and 10)."""

from __future__ import annotations

import io
import logging
import math
import time

import numpy as np
import pytest
import trimesh
from PIL import Image

from exhibits.intake import thumbnail_gl
from exhibits.intake.thumbnail import BACKGROUND, CLAY
from exhibits.intake.viewpoints import (
    ELEVATION_BAND_DEG,
    VIEWER_FOV_DEG,
    default_view,
    elevation_deg,
    extreme_viewpoint,
    normalised_bounds,
)

RED = (200, 30, 25)


def corners_in_view(view: dict[str, list[float]], bounds: np.ndarray) -> np.ndarray:
    """Normalised device x, y of the box's corners seen from `view` (square, viewer's fov)."""
    eye = np.array(view["camera_position"])
    forward = np.array(view["camera_target"]) - eye
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    tan = math.tan(math.radians(VIEWER_FOV_DEG) / 2)
    corners = np.array(
        [[x, y, z] for x in bounds[:, 0] for y in bounds[:, 1] for z in bounds[:, 2]]
    )
    offsets = corners - eye
    depth = offsets @ forward
    assert (depth > 0).all()  # every corner in front of the camera
    return np.stack([offsets @ right / depth / tan, offsets @ up / depth / tan], axis=1)


@pytest.mark.parametrize(
    "dimensions",
    [(2.1, 0.7, 0.6), (0.24, 0.3, 0.49), (0.02, 1.0, 1.0), (1.0, 1.0, 1.0)],
    ids=["statue", "skull", "flat tablet", "cube"],
)
def test_default_view_is_a_raised_three_quarter_view_that_frames_the_object(
    dimensions: tuple[float, float, float],
) -> None:
    bounds = normalised_bounds(dimensions)
    view = default_view(bounds).as_dict()
    assert 10.0 <= elevation_deg(view["camera_position"], view["camera_target"]) <= 30.0
    assert np.allclose(view["camera_target"], bounds.mean(axis=0), atol=1e-6)
    offset = np.array(view["camera_position"]) - np.array(view["camera_target"])
    assert abs(offset[0]) > 0.1 * np.linalg.norm(offset)  # three-quarter, not square on
    projected = corners_in_view(view, bounds)
    assert np.abs(projected).max() <= 1.0  # the whole object is in view...
    assert np.abs(projected).max() >= 0.7  # ...and fills it


@pytest.mark.parametrize(
    "direction", [(0, 1, 0), (0, -1, 0), (1, 0, 0), (0, 0.3, -1), (0.2, -0.9, 0.1)]
)
def test_annotation_views_are_never_near_vertical(direction: tuple[float, float, float]) -> None:
    mesh = trimesh.creation.box(extents=(1.0, 2.0, 1.0))
    view = extreme_viewpoint(mesh, direction)
    low, high = ELEVATION_BAND_DEG
    elevation = elevation_deg(view.camera_position, view.camera_target)
    assert low - 0.01 <= elevation <= high + 0.01  # coordinates are rounded
    assert view.camera_target == view.position


def textured_box_glb(colour: tuple[int, int, int] = RED) -> bytes:
    """A unit box whose base colour texture is `colour` with a few darker stripes."""
    mesh = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    mesh.apply_translation([0, 0.5, 0])
    texture = Image.new("RGB", (64, 64), colour)
    for row in range(0, 64, 16):
        texture.paste(tuple(c // 2 for c in colour), (0, row, 64, row + 4))
    uv = np.column_stack([(mesh.vertices[:, 0] + 0.5), (mesh.vertices[:, 2] + 0.5)])
    material = trimesh.visual.material.PBRMaterial(baseColorTexture=texture)
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, material=material)
    return mesh.export(file_type="glb")


def object_pixels(image: Image.Image) -> np.ndarray:
    pixels = np.asarray(image, dtype=np.float64).reshape(-1, 3)
    return pixels[np.abs(pixels - np.array(BACKGROUND)).max(axis=1) > 12]


def test_textured_thumbnail_has_the_texture_colours() -> None:
    try:
        thumbnail_gl.create_context().release()
    except thumbnail_gl.GLUnavailable as exc:
        pytest.skip(f"no GL context on this machine: {exc}")
    started = time.perf_counter()
    image = thumbnail_gl.render_preview(textured_box_glb(), size=256)
    elapsed = time.perf_counter() - started
    assert image.size == (256, 256)
    pixels = object_pixels(image)
    assert 0.1 < len(pixels) / (256 * 256) < 0.9
    red, green, blue = pixels.mean(axis=0)
    assert red > green + 60 and red > blue + 60  # the texture's red, not grey clay
    assert pixels[:, 0].std() > 10  # lit: faces differ
    assert elapsed < 10


def test_clay_renderer_is_the_fallback_when_no_gl_context(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_context() -> None:
        raise thumbnail_gl.GLUnavailable("no EGL context: stand-in failure")

    monkeypatch.setattr(thumbnail_gl, "create_context", no_context)
    with caplog.at_level(logging.WARNING, logger=thumbnail_gl.__name__):
        image = thumbnail_gl.render_preview(textured_box_glb(), size=128)
    assert "stand-in failure" in caplog.text
    pixels = object_pixels(image)
    assert len(pixels) > 0.05 * 128 * 128
    hue = pixels.mean(axis=0) / pixels.mean(axis=0).max()
    assert np.allclose(hue, CLAY / CLAY.max(), atol=0.06)  # clay's colour, not the texture's
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    assert buffer.tell() > 0


def sphere_glb(colour: tuple[int, int, int], metallic: float, roughness: float) -> bytes:
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=0.5)
    sphere.apply_translation([0, 0.5, 0])
    sphere.visual = trimesh.visual.TextureVisuals(
        material=trimesh.visual.material.PBRMaterial(
            baseColorFactor=[*colour, 255], metallicFactor=metallic, roughnessFactor=roughness
        )
    )
    return sphere.export(file_type="glb")


@pytest.mark.parametrize(
    ("colour", "metallic", "roughness"),
    [((255, 255, 255), 0.1, 0.8), ((5, 5, 5), 0.79, 0.065)],
    ids=["white bone", "dark polished metal"],
)
def test_textured_thumbnail_is_metered_neither_white_out_nor_black(
    colour: tuple[int, int, int], metallic: float, roughness: float
) -> None:
    try:
        thumbnail_gl.create_context().release()
    except thumbnail_gl.GLUnavailable as exc:
        pytest.skip(f"no GL context on this machine: {exc}")
    image = thumbnail_gl.render_textured_thumbnail(sphere_glb(colour, metallic, roughness), 128)
    disc = np.asarray(image, dtype=np.float64)[40:88, 40:88].reshape(-1, 3)  # inside the sphere
    luminance = disc @ np.array([0.2126, 0.7152, 0.0722]) / 255
    assert (luminance > 0.94).mean() < 0.2
    assert (luminance < 0.08).mean() < 0.5
    assert luminance.std() > 0.03  # shaded, not flat


def test_a_gl_driver_error_falls_back_to_clay_not_a_failed_intake(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_driver(*args: object, **kwargs: object) -> None:
        raise RuntimeError("GL_INVALID_OPERATION (stand-in)")

    monkeypatch.setattr(thumbnail_gl, "_upload", broken_driver)
    monkeypatch.setattr(thumbnail_gl, "create_context", lambda: _FakeContext())
    with caplog.at_level(logging.WARNING, logger=thumbnail_gl.__name__):
        image = thumbnail_gl.render_preview(textured_box_glb(), size=64)
    assert "GL_INVALID_OPERATION" in caplog.text and image.size == (64, 64)


class _FakeContext:
    """Enough of a moderngl context to reach the first draw."""

    DEPTH_TEST = 1

    def __getattr__(self, name: str) -> object:
        return lambda *args, **kwargs: _FakeContext()

    def __getitem__(self, name: str) -> _FakeContext:
        return self
