"""The thin-damage refiner: which regions it takes, that an untrained one is exactly
Navier-Stokes, that the generator still fills the losses, its training samples, the committed
weights."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from restoration.inpaint.classical import navier_stokes
from restoration.inpaint.learned import (
    THIN_WEIGHTS,
    from_modules,
    load_inpainter,
    thin_parts,
    weights_available,
)
from restoration.inpaint.model import INPAINT_MODELS, InpaintGenerator
from restoration.inpaint.thin_model import THIN, ThinRefiner, encode_thin
from tests.unit.test_inpaint_core import gradient_image


def crack_and_loss(h: int = 120, w: int = 160) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 3 px diagonal crack and, apart from it, a 30 px square loss."""
    import cv2

    crack = np.zeros((h, w), np.uint8)
    cv2.line(crack, (5, 10), (70, 110), 1, 3)
    loss = np.zeros((h, w), bool)
    loss[40:70, 110:140] = True
    return crack.astype(bool) | loss, crack.astype(bool), loss


def textured_image(h: int = 120, w: int = 160) -> np.ndarray:
    rng = np.random.default_rng(3)
    base = gradient_image(h, w).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w]
    stripes = 40 * np.sin(xx / 3.0 + yy / 7.0)[..., None]
    return np.clip(base + stripes + rng.normal(0, 4, (h, w, 1)), 0, 255).astype(np.uint8)


def with_refiner(refiner: torch.nn.Module) -> object:
    torch.manual_seed(0)
    inpainter = from_modules(InpaintGenerator(width=4, dilations=(1, 2)))
    refiner.eval()
    return replace(inpainter, thin=refiner)


def test_thin_parts_take_cracks_and_leave_losses_pixel_by_pixel() -> None:
    mask, crack, loss = crack_and_loss()
    thin = thin_parts(mask, 4.0)
    assert thin[crack].all()
    assert not thin[43:67, 113:137].any()  # the loss, but for its corners
    assert not thin[~mask].any()
    # The crack touching the loss: still the refiner's, but for the joint.
    joined = mask.copy()
    joined[55, 30:111] = True
    taken = thin_parts(joined, 4.0)
    assert taken[crack].mean() > 0.95 and not taken[45:65, 115:135].any()
    # A wider limit takes the 30 px square too: no disk of radius 16 fits in it.
    assert thin_parts(mask, 16.0)[loss].all()


def test_untrained_refiner_is_navier_stokes_on_cracks_and_the_generator_fills_losses() -> None:
    image = textured_image()
    mask, crack, loss = crack_and_loss()
    damaged = image.copy()
    damaged[mask] = 0
    inpainter = with_refiner(ThinRefiner(width=8, dilations=(1, 2)))
    out = inpainter.fill(damaged, mask)  # type: ignore[attr-defined]
    ns = navier_stokes(damaged, mask)
    assert np.abs(out[crack].astype(int) - ns[crack].astype(int)).max() <= 1
    assert np.array_equal(out[~mask], damaged[~mask])
    without = replace(inpainter, thin=None).fill(damaged, mask)  # type: ignore[attr-defined]
    inner = np.zeros_like(loss)
    inner[43:67, 113:137] = True  # the loss but for its corners (thin parts)
    assert np.array_equal(out[inner], without[inner])  # the generator's either way
    assert not np.array_equal(out[crack], without[crack])


def test_a_trained_residual_changes_only_crack_pixels() -> None:
    refiner = ThinRefiner(width=8, dilations=(1,))
    with torch.no_grad():
        refiner.out.bias.fill_(0.2)  # a residual of +25 grey levels inside the mask
    image = textured_image()
    mask, crack, _ = crack_and_loss()
    out = with_refiner(refiner).fill(image, mask)  # type: ignore[attr-defined]
    ns = navier_stokes(image, mask)
    lifted = out[crack].astype(int) - ns[crack].astype(int)
    assert np.median(lifted) >= 24
    assert np.array_equal(out[~mask], image[~mask])


def test_refiner_input_holds_the_two_fills_and_the_mask() -> None:
    image = textured_image(64, 80)
    mask = np.zeros((64, 80), bool)
    mask[30:33, 5:70] = True
    x = encode_thin(image, mask)
    assert x.shape == (64, 80, 7) and x.dtype == np.float32
    assert np.array_equal(x[..., 6] > 0.5, mask)
    unit = image.astype(np.float32) / 127.5 - 1.0
    assert np.allclose(x[~mask][:, 0:3], unit[~mask], atol=1e-6)
    assert np.allclose(x[~mask][:, 3:6], unit[~mask], atol=1e-6)
    assert np.allclose(x[mask][:, 0:3], navier_stokes(image, mask)[mask] / 127.5 - 1.0, atol=1e-6)


def test_training_samples_are_centred_on_damage_and_keep_known_pixels() -> None:
    from restoration.inpaint.thin_train import CROP, draw_samples

    images = [textured_image(300, 400), textured_image(260, 380)[::-1]]
    samples = draw_samples(images, [], np.random.default_rng(0), 6)
    assert samples
    for x, target in samples:
        assert x.shape == (7, CROP, CROP) and target.shape == (3, CROP, CROP)
        known = np.repeat(x[6:7] < 0.5, 3, axis=0)
        assert x[6].any() and not x[6].all()
        assert np.allclose(x[0:3][known], target[known], atol=1e-5)


def test_refiner_is_registered_and_built_by_name() -> None:
    net = INPAINT_MODELS.create(THIN, width=8, dilations=[1, 2])
    assert isinstance(net, ThinRefiner) and net.config == {"width": 8, "dilations": [1, 2]}


def test_committed_refiner_loads_versioned_and_beats_navier_stokes_on_a_striped_crack() -> None:
    if not (weights_available() and THIN_WEIGHTS.is_file()):
        pytest.skip("no committed thin refiner weights")
    inpainter = load_inpainter(device="cpu")
    assert inpainter.thin is not None and "+thin@" in inpainter.version
    from restoration.inpaint.evaluate import masked_psnr

    image = textured_image()
    _, crack, _ = crack_and_loss()
    out = inpainter.fill(image, crack)
    assert masked_psnr(out, image, crack) > masked_psnr(navier_stokes(image, crack), image, crack)


def test_training_refuses_a_folder_without_artworks(tmp_path) -> None:
    from restoration.inpaint.thin_train import main

    with pytest.raises(SystemExit, match="no training or no validation artworks"):
        main(["--data", str(tmp_path), "--out", str(tmp_path / "run"), "--minutes", "0.01"])


def test_a_short_run_resumes_exports_and_loads_as_the_refiner(tmp_path) -> None:
    from PIL import Image

    from restoration.inpaint.thin_train import main

    (tmp_path / "images").mkdir()
    for i in range(10):
        Image.fromarray(textured_image(200, 260)[:, :: (1 if i % 2 else -1)]).save(
            tmp_path / "images" / f"art{i}.png"
        )
    run = tmp_path / "run"
    args = ["--data", str(tmp_path), "--out", str(run), "--batch", "2", "--eval-every", "2"]
    args += ["--eval-crops", "8", "--threads", str(torch.get_num_threads())]  # as it was
    main([*args, "--minutes", "0.03"])
    first = torch.load(run / "checkpoint.pt", weights_only=False)["state"]["steps"]
    main([*args, "--minutes", "0.03"])
    state = torch.load(run / "checkpoint.pt", weights_only=False)["state"]
    assert first >= 2 and state["steps"] > first  # the second call went on from the first
    assert state["best"]["steps"] in [h[0] for h in state["history"]]
    weights = tmp_path / "thin.pt"
    main(["--export", str(run / "checkpoint.pt"), "--out", str(weights)])
    gated = tmp_path / "gated.pt"
    torch.manual_seed(0)
    generator = InpaintGenerator(width=4, dilations=(1,))
    torch.save({"config": generator.config, "generator": generator.state_dict()}, gated)
    inpainter = load_inpainter(gated, device="cpu", thin=weights)
    assert inpainter.thin is not None and "+thin@" in inpainter.version
    with pytest.raises(FileNotFoundError):
        load_inpainter(gated, device="cpu", thin=tmp_path / "absent.pt")
