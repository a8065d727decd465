"""Detection on images of any size: tiles with overlap, blended; masks, shares, Grad-CAM, files."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F

from museum.common.devices import use_cores

from . import batched
from .explain import grad_cam
from .model import DamageModel, load_model

# Grad-CAM is coarse by nature (its layer sits at stride 4): computed on a copy of at most this
# side, one 512² tile, a ninth of the work at 1024 (#24); the heat map is scaled back up.
EXPLAIN_MAX_SIDE = 512
# zlib level of the probability maps and colour pictures: level 3 encodes a 2048² probability
# map 2.4x as fast as level 6 for ~13% more bytes (#24); masks, small either way, stay at 6.
MAP_PNG_LEVEL = 3
MASK_PNG_LEVEL = 6


@dataclass
class DamageResult:
    """What detection found on one image; arrays are at the image's resolution."""

    probabilities: np.ndarray  # (C, H, W) float32 in [0, 1]
    masks: dict[str, np.ndarray]  # class -> (H, W) bool
    explanation: np.ndarray | None  # (H, W) float32 in [0, 1], Grad-CAM of explain_class
    pixel_share: dict[str, float]  # class -> fraction of the image's pixels
    model_version: str
    seconds: float
    thresholds: dict[str, float] = field(default_factory=dict)
    explain_class: str | None = None
    # Where the class is possible but not confident (calibrated models): said, not painted.
    uncertain: dict[str, np.ndarray] = field(default_factory=dict)
    calibrated: bool = False

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return int(self.probabilities.shape[2]), int(self.probabilities.shape[1])

    def summary(self, *, metres_per_pixel: float | None = None) -> dict[str, Any]:
        """JSON-able figures: per class pixel share and count; area in cm² given the scale."""
        if metres_per_pixel is not None and not (
            metres_per_pixel > 0 and np.isfinite(metres_per_pixel)
        ):
            raise ValueError("metres_per_pixel must be a positive number")
        width, height = self.size
        classes = {}
        for name, mask in self.masks.items():
            pixels = int(mask.sum())
            entry: dict[str, Any] = {
                "pixel_share": round(float(self.pixel_share[name]), 6),
                "pixels": pixels,
                "max_probability": round(
                    float(self.probabilities[list(self.masks).index(name)].max()), 4
                ),
            }
            if metres_per_pixel is not None:
                entry["area_cm2"] = round(pixels * (metres_per_pixel * 100.0) ** 2, 4)
            if name in self.uncertain:
                entry["uncertain_share"] = round(float(self.uncertain[name].mean()), 6)
            classes[name] = entry
        return {
            "model_version": self.model_version,
            "image": {"width": width, "height": height},
            "metres_per_pixel": metres_per_pixel,
            "thresholds": {k: round(v, 4) for k, v in self.thresholds.items()},
            "classes": classes,
            "explain_class": self.explain_class,
            "calibrated": self.calibrated,
            "seconds": round(self.seconds, 3),
        }


def _starts(length: int, tile: int, overlap: int) -> list[int]:
    if length <= tile:
        return [0]
    step = max(tile - overlap, 1)
    starts = list(range(0, length - tile, step))
    return [*starts, length - tile]


def _window(h: int, w: int, overlap: int) -> np.ndarray:
    """Blending weights: linear ramps over the overlap at every tile edge, never zero."""

    def ramp(n: int) -> np.ndarray:
        if overlap <= 0:
            return np.ones(n, np.float32)
        i = np.arange(n, dtype=np.float32)
        return np.minimum(1.0, np.minimum(i + 0.5, n - i - 0.5) / overlap)

    return np.outer(ramp(h), ramp(w))


def _pad(x: torch.Tensor, multiple: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if not (ph or pw):
        return x
    mode = "reflect" if ph < h and pw < w else "replicate"
    return F.pad(x, (0, pw, 0, ph), mode=mode)


def _to_tensor(image: np.ndarray, model: DamageModel) -> torch.Tensor:
    x = torch.from_numpy(np.ascontiguousarray(image)).to(model.device)
    x = x.permute(2, 0, 1)[None].float().div_(255.0)
    return x.contiguous(memory_format=torch.channels_last)


def _tiles(h: int, w: int, tile: int, overlap: int) -> Iterator[tuple[int, int, int, int]]:
    for y in _starts(h, tile, overlap):
        for x in _starts(w, tile, overlap):
            yield y, x, min(tile, h - y), min(tile, w - x)


def _run_tiled(
    image: np.ndarray,
    fn: Callable[[torch.Tensor], torch.Tensor],
    channels: int,
    *,
    model: DamageModel,
    tile: int,
    overlap: int,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    h, w = image.shape[:2]
    acc = np.zeros((channels, h, w), np.float32)
    weight = np.zeros((h, w), np.float32)
    stride = model.config.stride
    for y, x, th, tw in _tiles(h, w, tile, overlap):
        t = _to_tensor(image[y : y + th, x : x + tw], model)
        out = fn(_pad(t, stride))[..., :th, :tw].float().cpu().numpy()[0]
        win = _window(th, tw, overlap)
        acc[:, y : y + th, x : x + tw] += out * win
        weight[y : y + th, x : x + tw] += win
        if progress is not None:
            progress(1)
    return acc / weight


def _run_fast(
    image: np.ndarray,
    fn: Callable[[torch.Tensor], torch.Tensor],
    channels: int,
    *,
    model: DamageModel,
    tile: int,
    overlap: int,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    h, w = image.shape[:2]
    tiles = list(_tiles(h, w, tile, overlap))
    return batched.run_batched(
        image,
        fn,
        channels,
        tiles=tiles,
        window=_window(tiles[0][2], tiles[0][3], overlap),
        device=model.device,
        stride=model.config.stride,
        batch=batched.batch_size(model.device),
        progress=progress,
    )


def _check_image(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise TypeError("image must be a numpy array (H, W, 3) uint8; use load_image() for files")
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"image must be (H, W, 3) uint8 RGB, got {image.shape} {image.dtype}")
    if min(image.shape[:2]) < 1:
        raise ValueError("image is empty")
    return image


def predict_probabilities(
    image: np.ndarray,
    model: DamageModel,
    *,
    tile: int = 512,
    overlap: int = 64,
    progress: Callable[[int], None] | None = None,
    reference: bool = False,
) -> np.ndarray:
    """(C, H, W) float32 probabilities, blended over overlapping tiles.

    Tiles run in batches through the folded network (`batched`); `reference` runs the original
    tile-by-tile loop, kept to check and measure the fast path against."""
    if tile < model.config.stride or not 0 <= overlap < tile:
        raise ValueError(f"need tile >= {model.config.stride} and 0 <= overlap < tile")
    if not reference:
        return _run_fast(
            image,
            batched.probabilities_fn(model),
            len(model.classes),
            model=model,
            tile=tile,
            overlap=overlap,
            progress=progress,
        )
    # Module.to(memory_format=...) exists but is missing from torch's overloads.
    net = model.net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]

    def fn(t: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return torch.sigmoid(net(t))

    return _run_tiled(
        image, fn, len(model.classes), model=model, tile=tile, overlap=overlap, progress=progress
    )


def explain(
    image: np.ndarray,
    model: DamageModel,
    class_name: str = "crack",
    *,
    tile: int = 512,
    overlap: int = 64,
    reference: bool = False,
) -> np.ndarray:
    """Grad-CAM (H, W) in [0, 1] for one class, computed on a copy of at most EXPLAIN_MAX_SIDE
    (tiles batched unless `reference`)."""
    if class_name not in model.classes:
        raise ValueError(f"unknown class {class_name!r}; known: {', '.join(model.classes)}")
    h, w = image.shape[:2]
    scale = min(1.0, EXPLAIN_MAX_SIDE / max(h, w))
    small = (
        image
        if scale == 1.0
        else cv2.resize(
            image,
            (max(1, round(w * scale)), max(1, round(h * scale))),
            interpolation=cv2.INTER_AREA,
        )
    )
    index = model.classes.index(class_name)
    threshold = model.thresholds.get(class_name, 0.5)

    def fn(t: torch.Tensor) -> torch.Tensor:
        return grad_cam(model.net, model.net.cam_layer, t, index, threshold)[:, None]

    if reference:
        cam = _run_tiled(small, fn, 1, model=model, tile=tile, overlap=overlap)[0]
    else:
        cam_fn = batched.grad_cam_fn(model, index)
        cam = _run_fast(small, cam_fn, 1, model=model, tile=tile, overlap=overlap)[0]
    if scale != 1.0:
        cam = cv2.resize(cam, (w, h), interpolation=cv2.INTER_LINEAR)
    top = float(cam.max())
    return (np.clip(cam / top, 0.0, 1.0) if top > 0 else np.zeros_like(cam)).astype(np.float32)


def detect(
    image: np.ndarray,
    *,
    model: DamageModel | None = None,
    explain: bool = True,
    explain_class: str = "crack",
    tile: int = 512,
    overlap: int = 64,
    progress: Callable[[float], None] | None = None,
    reference: bool = False,
) -> DamageResult:
    """Per-class probabilities and masks for an (H, W, 3) uint8 RGB image, with Grad-CAM.

    One forward pass gives every class; `reference` runs the original tile-by-tile path."""
    image = _check_image(image)
    model = model or load_model()
    use_cores()
    start = time.perf_counter()
    h, w = image.shape[:2]
    total = len(list(_tiles(h, w, tile, overlap))) * (2 if explain else 1)
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(min(done / total, 1.0))

    probs = predict_probabilities(
        image, model, tile=tile, overlap=overlap, progress=step, reference=reference
    )
    cam = None
    if explain:
        cam = _explain(image, model, explain_class, tile=tile, overlap=overlap, reference=reference)
        step(total - done)
    uncertain: dict[str, np.ndarray] = {}
    if model.calibration is not None:
        probs = model.calibration.calibrate(probs, model.classes)
        masks, uncertain = model.calibration.bands(probs, model.classes)
    else:
        masks = {c: probs[i] >= model.thresholds[c] for i, c in enumerate(model.classes)}
    share = {c: float(m.mean()) for c, m in masks.items()}
    return DamageResult(
        probabilities=probs,
        masks=masks,
        explanation=cam,
        pixel_share=share,
        model_version=model.version,
        seconds=time.perf_counter() - start,
        thresholds=(
            {c: k.confident for c, k in model.calibration.classes.items()}
            if model.calibration is not None
            else dict(model.thresholds)
        ),
        explain_class=explain_class if explain else None,
        uncertain=uncertain,
        calibrated=model.calibration is not None,
    )


_explain = explain


def _colour(values: np.ndarray, colormap: int) -> np.ndarray:
    u8 = np.clip(np.rint(values * 255.0), 0, 255).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(u8, colormap), cv2.COLOR_BGR2RGB)


def write_outputs(
    result: DamageResult,
    out_dir: Path,
    *,
    metres_per_pixel: float | None = None,
    image: np.ndarray | None = None,
    explanation_format: Literal["png", "jpeg"] = "png",
) -> dict[str, Path]:
    """Write masks, probability maps, Grad-CAM and summary.json; returns name -> path.

    With `image`, gradcam.png is the heat map laid over the image; without, the heat map alone.
    `explanation_format="jpeg"` writes it as gradcam.jpg instead (what the condition job stores).
    """
    summary = result.summary(metres_per_pixel=metres_per_pixel)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pictures: list[tuple[str, np.ndarray, str]] = []
    for i, (name, mask) in enumerate(result.masks.items()):
        pictures.append((f"{name}_mask.png", mask.astype(np.uint8) * 255, "L"))
        probability = np.rint(result.probabilities[i] * 255).astype(np.uint8)
        pictures.append((f"probability_{name}.png", probability, "L"))
    peak = _colour(result.probabilities.max(axis=0), cv2.COLORMAP_INFERNO)
    pictures.append(("probability.png", peak, "RGB"))
    if result.explanation is not None:
        heat = _colour(result.explanation, cv2.COLORMAP_JET)
        if image is not None and image.shape[:2] == heat.shape[:2]:
            heat = cv2.addWeighted(_check_image(image), 0.5, heat, 0.5, 0)
        suffix = "jpg" if explanation_format == "jpeg" else "png"
        pictures.append((f"gradcam.{suffix}", heat, "RGB"))

    def save(picture: tuple[str, np.ndarray, str]) -> Path:
        name, array, mode = picture
        converted = Image.fromarray(array, mode=None).convert(mode)
        if name.endswith(".jpg"):
            converted.save(out_dir / name, quality=90)
        else:
            level = MASK_PNG_LEVEL if name.endswith("_mask.png") else MAP_PNG_LEVEL
            converted.save(out_dir / name, compress_level=level)
        return out_dir / name

    # Pillow's zlib encoder releases the GIL: the ten 2048² PNGs encode on every core.
    with ThreadPoolExecutor(max_workers=min(len(pictures), os.cpu_count() or 1)) as pool:
        paths = dict(zip([p[0] for p in pictures], pool.map(save, pictures), strict=True))
    path = out_dir / "summary.json"
    path.write_text(json.dumps(summary, indent=2))
    paths["summary.json"] = path
    return paths
