"""The preview image drawn in a child process (#24): the same picture as drawn in the worker,
drawn there instead when the child cannot run, and, for a source with an inspection level,
drawn before gltfpack's inspection run starts (so the GL driver's memory is gone by then)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from PIL import Image

from exhibits.intake import pipeline, preview_apart, thumbnail_gl
from exhibits.intake.limits import IntakeLimits
from exhibits.intake.lod import LadderBuild, LadderSettings
from tests.unit.test_intake_stages import LADDER, sphere_glb
from tests.unit.test_views_and_thumbnails import textured_box_glb


def test_the_child_draws_the_same_preview_as_the_worker() -> None:
    data = textured_box_glb()
    apart = np.asarray(preview_apart.render_preview_apart(data, size=96).convert("RGB"))
    here = np.asarray(thumbnail_gl.render_preview(data, size=96).convert("RGB"))
    assert apart.shape == here.shape == (96, 96, 3)
    assert np.abs(apart.astype(int) - here.astype(int)).mean() < 1.0
    assert apart.std() > 5  # a drawn object, not a blank picture


def test_a_child_that_cannot_run_leaves_the_preview_to_the_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    drawn_here: list[int] = []
    real = thumbnail_gl.render_preview

    def here(data: bytes, size: int = 512) -> Image.Image:
        drawn_here.append(size)
        return real(data, size=size)

    monkeypatch.setattr(preview_apart, "render_preview", here)
    image = preview_apart.render_preview_apart(textured_box_glb(), size=64)
    assert image.size == (64, 64) and drawn_here == [64]


@pytest.mark.parametrize("with_inspection", [True, False])
def test_a_large_source_is_drawn_apart_before_its_inspection_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_inspection: bool
) -> None:
    events: list[str] = []
    real_start = LadderBuild.start_inspection

    def start(self: LadderBuild) -> None:
        if self.has_inspection and self._inspection is None:
            events.append("inspection started")
        real_start(self)

    def drawn(where: str) -> Callable[..., Image.Image]:
        def draw(data: bytes, size: int = 512) -> Image.Image:
            events.append(f"preview {where}")
            return thumbnail_gl.render_preview(data, size=size)

        return draw

    monkeypatch.setattr(LadderBuild, "start_inspection", start)
    monkeypatch.setattr(pipeline, "render_preview_apart", drawn("apart"))
    monkeypatch.setattr(pipeline, "render_preview", drawn("here"))
    inspection_faces = LADDER["inspection_faces"] if with_inspection else 100_000
    source = tmp_path / "sphere.glb"
    source.write_bytes(sphere_glb())
    ladder = LadderSettings(
        web_faces=LADDER["web_faces"],
        inspection_faces=inspection_faces,
        thumb_faces=LADDER["thumb_faces"],
        gltfpack_cli=str(settings.MOUSEION_GLTFPACK),
    )
    result = pipeline.run_intake(source, "sphere.glb", IntakeLimits(), ladder)
    labels = [lod.label for lod in result.lods]
    if with_inspection:
        assert events == ["preview apart", "inspection started"]
        assert labels == ["thumb", "web", "inspection"]
    else:
        assert events == ["preview here"] and labels == ["thumb", "web"]
    assert result.thumbnail_png.startswith(b"\x89PNG")
