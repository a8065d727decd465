"""Texture inpainting core: baselines on synthetic cases, region cropping, the tiny generator,
bad inputs. No trained weights are needed; the learned path uses a tiny untrained model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from restoration.inpaint import InpaintInputError, restore_texture
from restoration.inpaint.classical import CLASSICAL, push_pull
from restoration.inpaint.evaluate import masked_delta_e, masked_psnr, masked_ssim
from restoration.inpaint.inference import (
    PREDICTED_TOLERANCE_DB,
    PREFERENCE_TOLERANCE,
    boundary_consistency,
    damaged_regions,
)
from restoration.inpaint.learned import from_modules, windows
from restoration.inpaint.masks import KINDS, generate_mask
from restoration.inpaint.model import InpaintGenerator, PatchDiscriminator


def gradient_image(h: int = 96, w: int = 128) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    image = np.stack([40 + 150 * xx / w, 60 + 120 * yy / h, 90 + 60 * (xx + yy) / (h + w)], axis=2)
    return np.round(image).astype(np.uint8)


def square_mask(
    h: int = 96, w: int = 128, box: tuple[int, int, int, int] = (40, 30, 56, 46)
) -> np.ndarray:
    mask = np.zeros((h, w), bool)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = True
    return mask


def tiny_inpainter() -> object:
    torch.manual_seed(0)
    return from_modules(InpaintGenerator(width=4, dilations=(1, 2)), PatchDiscriminator(width=4))


@pytest.mark.parametrize("method", sorted(CLASSICAL))
def test_classical_methods_fill_a_smooth_gradient_closely(method: str) -> None:
    image, mask = gradient_image(), square_mask()
    damaged = image.copy()
    damaged[mask] = 0
    out = restore_texture(damaged, mask, method=method).image
    assert masked_psnr(out, image, mask) > 28.0
    assert np.array_equal(out[~mask], image[~mask])


def test_push_pull_fills_a_flat_image_exactly() -> None:
    image = np.full((64, 80, 3), (120, 30, 200), np.uint8)
    mask = square_mask(64, 80, (10, 10, 50, 40))
    damaged = image.copy()
    damaged[mask] = 255
    assert np.array_equal(push_pull(damaged, mask), image)


def test_metrics_rank_a_good_fill_above_a_bad_one() -> None:
    image, mask = gradient_image(), square_mask()
    good = restore_texture(image, mask, method="telea").image
    bad = image.copy()
    bad[mask] = 0
    assert masked_psnr(good, image, mask) > masked_psnr(bad, image, mask) + 10
    assert masked_ssim(good, image, mask) > masked_ssim(bad, image, mask)
    assert masked_delta_e(good, image, mask) < masked_delta_e(bad, image, mask)
    assert boundary_consistency(good, mask) > boundary_consistency(bad, mask)


def test_regions_are_cropped_around_separate_damage_with_context() -> None:
    mask = np.zeros((400, 600), bool)
    mask[20:30, 20:40] = True
    mask[300:320, 500:560] = True
    regions = damaged_regions(mask)
    assert len(regions) == 2
    (ax0, ay0, ax1, ay1), (bx0, _, bx1, by1) = regions
    assert ax0 <= 20 and ay0 <= 20 and ax1 >= 40 + 32 and ay1 >= 30 + 32
    assert bx1 <= 600 and by1 <= 400 and bx0 <= 500 - 32
    covered = sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in regions)
    assert covered < 0.25 * mask.size  # small damage does not cost the whole texture


def test_restore_texture_reports_each_region_and_keeps_other_pixels() -> None:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (160, 240, 3), dtype=np.uint8)
    mask = np.zeros((160, 240), bool)
    mask[10:20, 10:30] = True
    mask[120:140, 190:220] = True
    out = restore_texture(image, mask, method="plan", inpainter=tiny_inpainter())
    assert np.array_equal(out.image[~mask], image[~mask])
    assert len(out.regions) == 2
    for region in out.regions:
        assert {c.method for c in region.candidates} >= {"gated", "telea", "ns"}
        assert region.method in {c.method for c in region.candidates}
        assert region.score == max(c.score for c in region.candidates)
        assert 0.0 <= region.confidence <= 1.0
        assert "realism" in region.candidates[0].parts
    assert sum(r.pixels for r in out.regions) == int(mask.sum())


def test_tiny_generator_keeps_shapes_and_known_pixels() -> None:
    generator = InpaintGenerator(width=4, dilations=(1, 2))
    x = torch.rand(2, 7, 48, 64) * 2 - 1
    x[:, 6] = (x[:, 6] > 0).float()
    y = generator(x)
    assert y.shape == (2, 3, 48, 64)
    known = x[:, 6:7].expand(-1, 3, -1, -1) < 0.5
    assert torch.equal(y[known], x[:, 0:3][known])
    logits = PatchDiscriminator(width=4)(y, x[:, 6:7])
    assert logits.shape == (2, 1, 3, 4)


def test_windows_cover_every_masked_pixel_of_odd_sizes() -> None:
    mask = np.zeros((301, 417), bool)
    mask[::7, ::11] = True
    covered = np.zeros_like(mask)
    for y0, x0, y1, x1 in windows(mask, 192, 32):
        assert y1 - y0 <= 192 and x1 - x0 <= 192
        covered[y0:y1, x0:x1] = True
    assert covered[mask].all()


def test_learned_fill_on_odd_sized_crop_is_finite_and_composited() -> None:
    image = gradient_image(101, 203)
    mask = square_mask(101, 203, (60, 20, 90, 70))
    out = restore_texture(image, mask, method="gated", inpainter=tiny_inpainter())
    assert out.regions[0].method == "gated"
    assert np.array_equal(out.image[~mask], image[~mask])


@pytest.mark.parametrize("kind", KINDS)
def test_generated_masks_are_reproducible_and_partial(kind: str) -> None:
    a = generate_mask(kind, (300, 400), np.random.default_rng(7))
    b = generate_mask(kind, (300, 400), np.random.default_rng(7))
    assert np.array_equal(a, b)
    assert 0.002 < a.mean() < 0.5
    thin_share = generate_mask("thin", (512, 512), np.random.default_rng(1)).mean()
    large_share = generate_mask("large", (512, 512), np.random.default_rng(1)).mean()
    assert thin_share < large_share


@pytest.mark.parametrize(
    ("image", "mask", "code"),
    [
        (gradient_image(), np.zeros((50, 50), bool), "size_mismatch"),
        (gradient_image(), np.zeros((96, 128), bool), "empty_mask"),
        (gradient_image(), np.ones((96, 128), bool), "full_mask"),
        (gradient_image().astype(np.uint16) * 256, square_mask(), "unsupported_mode"),
        (gradient_image()[..., 0], square_mask(), "unsupported_mode"),
    ],
)
def test_bad_inputs_get_a_clear_error(image: np.ndarray, mask: np.ndarray, code: str) -> None:
    with pytest.raises(InpaintInputError) as caught:
        restore_texture(image, mask, method="telea")
    assert caught.value.code == code
    assert str(caught.value)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(InpaintInputError) as caught:
        restore_texture(gradient_image(), square_mask(), method="magic")
    assert caught.value.code == "unknown_method"


def test_curator_preference_picks_only_among_near_best_scores() -> None:
    image, mask = gradient_image(), square_mask()
    damaged = image.copy()
    damaged[mask] = 0
    asked: list[list[str]] = []

    def prefer(options: list[str]) -> str:
        asked.append(options)
        return sorted(options)[-1]

    for calibration, tolerance in ((True, PREDICTED_TOLERANCE_DB), (None, PREFERENCE_TOLERANCE)):
        asked.clear()
        out = restore_texture(damaged, mask, method="plan", prefer=prefer, calibration=calibration)
        region = out.regions[0]
        # With the committed calibration the score is the predicted PSNR (dB), else the
        # boundary + realism score; either way the curators choose only among near-best.
        assert all(("predicted_psnr" in c.parts) == bool(calibration) for c in region.candidates)
        # The prediction is fitted on the learned model, Telea and Navier-Stokes only.
        tried = {c.method for c in region.candidates}
        assert tried == ({"gated", "telea", "ns"} | (set() if calibration else {"biharmonic"}))
        best = max(c.score for c in region.candidates)
        chosen = next(c for c in region.candidates if c.method == region.method)
        assert chosen.score >= best - tolerance
        for options in asked:
            for option in options:
                score = next(c for c in region.candidates if c.method == option).score
                assert score >= best - tolerance
        assert region.chosen_by in {"score", "curators"}


def test_committed_weights_fill_a_smooth_hole_closely() -> None:
    from restoration.inpaint.learned import load_inpainter, weights_available

    if not weights_available():
        pytest.skip("no committed inpainting weights")
    inpainter = load_inpainter(device="cpu")
    assert inpainter.version.startswith("inpaint-gated@")
    image = gradient_image(160, 200)
    mask = square_mask(160, 200, (70, 50, 130, 110))  # 60 px: wide enough for the net
    out = restore_texture(image, mask, method="gated", inpainter=inpainter)
    assert out.regions[0].model_version == inpainter.version
    assert masked_psnr(out.image, image, mask) > 28.0
    assert inpainter.realism(out.image, mask) is not None


@pytest.mark.parametrize("context", [1.0, 2.0])
def test_training_batches_keep_known_pixels_and_hold_damage(tmp_path, context: float) -> None:
    from PIL import Image

    from restoration.inpaint.data import load_pool, make_batch

    (tmp_path / "images").mkdir()
    for i in range(6):
        Image.fromarray(gradient_image(300, 420)[:, :: (1 if i % 2 else -1)]).save(
            tmp_path / "images" / f"art{i}.png"
        )
    pool = load_pool(tmp_path, "train")
    inputs, targets = make_batch(pool, 64, 6, np.random.default_rng(0), context)
    assert inputs.shape == (6, 7, 64, 64) and targets.shape == (6, 3, 64, 64)
    known = np.repeat(inputs[:, 6:7] < 0.5, 3, axis=1)
    assert np.allclose(inputs[:, 0:3][known], targets[known], atol=1e-5)
    assert np.allclose(inputs[:, 3:6][known], targets[known], atol=1e-5)
    shares = inputs[:, 6].mean(axis=(1, 2))
    assert (shares > 0).all() and (shares < 1).all()
