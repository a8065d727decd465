"""The inpainter's fast paths (#24) give the numbers of the plain ones: split gated convolutions,
the channels-last input and discriminator, Telea and push-pull in two threads and computed
once per region. Each test compares against the plain path in the same run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from restoration.inpaint import classical
from restoration.inpaint import inference as inpaint_inference
from restoration.inpaint.classical import blended_fill, push_pull, telea
from restoration.inpaint.data import encode, encode_channels_last
from restoration.inpaint.inference import restore_texture
from restoration.inpaint.learned import from_modules, load_inpainter, weights_available
from restoration.inpaint.masks import crack_mask
from restoration.inpaint.model import GatedConv, InpaintGenerator, PatchDiscriminator, split_gates


def textured_case(side: int = 320, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A noisy gradient with cracks and a square loss: thin and wide damage."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    base = np.stack([60 + 120 * xx / side, 40 + 150 * yy / side, 90 + 40 * np.sin(xx / 9)], axis=2)
    image = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)
    mask = crack_mask((side, side), rng, count=3)
    mask[side // 3 : side // 3 + 40, side // 2 : side // 2 + 40] = True
    return image, mask


def network_input(image: np.ndarray, mask: np.ndarray) -> torch.Tensor:
    x = encode_channels_last(image, mask)
    return torch.from_numpy(np.ascontiguousarray(x[None])).permute(0, 3, 1, 2)


def test_split_gated_convolutions_compute_what_the_single_convolution_does() -> None:
    torch.manual_seed(0)
    generator = InpaintGenerator(width=4, dilations=(1, 2), deep=(1,), fourier=1).eval()
    for parameter in generator.parameters():  # the residual head starts at zero: wake it
        parameter.data.normal_(0, 0.2)
    x = network_input(*textured_case(96))
    with torch.inference_mode():
        plain = generator(x)
        split = split_gates(generator)(x)
    assert all(layer.split_halves for layer in generator.modules() if isinstance(layer, GatedConv))
    assert not torch.equal(plain, x[:, 0:3])  # the net changed something to compare
    torch.testing.assert_close(split, plain, rtol=1e-5, atol=1e-5)
    with torch.inference_mode():
        again = split_gates(generator, False)(x)
    assert torch.equal(again, plain)


def test_channels_last_input_holds_the_numbers_of_encode() -> None:
    image, mask = textured_case(97)
    fills = blended_fill(image, mask)
    expected = encode(image, mask).transpose(1, 2, 0)
    assert np.array_equal(encode_channels_last(image, mask), expected)
    assert np.array_equal(encode_channels_last(image, mask, fills), expected)


def test_telea_and_push_pull_in_two_threads_equal_one_after_the_other() -> None:
    image, mask = textured_case(320)
    assert mask.size >= classical.PARALLEL_MIN_PIXELS  # the threaded path runs
    fast, smooth = blended_fill(image, mask)
    assert np.array_equal(fast, telea(image, mask))
    assert np.array_equal(smooth, push_pull(image, mask))


def tiny_inpainter() -> object:
    torch.manual_seed(1)
    generator = InpaintGenerator(width=4, dilations=(1, 2))
    for parameter in generator.parameters():
        parameter.data.normal_(0, 0.1)
    return from_modules(generator, PatchDiscriminator(width=4))


@pytest.mark.parametrize("method", ["auto", "plan"])
def test_fills_computed_once_per_region_give_the_same_restoration(
    monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    image, mask = textured_case(160)
    inpainter = tiny_inpainter()
    calls: list[tuple[int, ...]] = []

    def counted(crop: np.ndarray, crop_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        calls.append(crop_mask.shape)
        return blended_fill(crop, crop_mask)

    with monkeypatch.context() as patch:
        patch.setattr(inpaint_inference, "blended_fill", counted)
        shared = restore_texture(image, mask, method=method, inpainter=inpainter)
    with monkeypatch.context() as patch:  # each step computes its own, as before
        patch.setattr(inpaint_inference, "blended_fill", lambda *_: None)
        separate = restore_texture(image, mask, method=method, inpainter=inpainter)
    assert len(calls) == len(shared.regions) >= 1
    assert np.array_equal(shared.image, separate.image)
    for a, b in zip(shared.regions, separate.regions, strict=True):
        assert (a.method, a.score, a.predicted_psnr, a.confidence) == (
            b.method,
            b.score,
            b.predicted_psnr,
            b.confidence,
        )
        assert [c.score for c in a.candidates] == [c.score for c in b.candidates]


def test_committed_inpainter_runs_split_and_channels_last_with_the_plain_numbers() -> None:
    if not weights_available():
        pytest.skip("no committed inpainting weights")
    inpainter = load_inpainter(device="cpu")
    gated = [layer for layer in inpainter.generator.modules() if isinstance(layer, GatedConv)]
    assert gated and all(layer.split_halves for layer in gated)
    image, mask = textured_case(256)
    fast = inpainter.fill(image, mask)
    realism = inpainter.realism(fast, mask)
    assert inpainter.discriminator is not None
    try:
        split_gates(inpainter.generator, False)
        inpainter.discriminator.to(memory_format=torch.contiguous_format)
        plain = inpainter.fill(image, mask)
        plain_realism = inpainter.realism(fast, mask)
    finally:
        split_gates(inpainter.generator)
        inpainter.discriminator.to(memory_format=torch.channels_last)
    assert not np.array_equal(fast[mask], telea(image, mask)[mask])  # the net ran
    assert np.array_equal(fast, plain)
    assert realism is not None and plain_realism is not None
    assert realism == pytest.approx(plain_realism, abs=1e-4)
