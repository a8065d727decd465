"""Detection on an image too large to hold: a flat work's source read by strips from a pyvips
image, at full resolution, with the same tiles, overlap and blending as `detect` (so the result
equals `detect` on the whole image within float rounding, tests/unit/test_damage_tiled_image.py).

Memory stays near one strip of tiles across the image: the source's rows are fetched once, top
to bottom (a sequential pyvips image is fine), each strip of tiles runs through the batched
network (`batched.accumulate`), and the rows no later strip touches are finished: calibrated,
thresholded, written as a band of each class's full-resolution 1-bit mask PNG (joined at the end
by libvips, streaming) and pooled into a small copy (masks by max, probabilities by mean) for
previews, overlays and locating the damage.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import pyvips

from museum.common.devices import use_cores

from . import batched
from .inference import _starts, _window

if TYPE_CHECKING:
    from .model import DamageModel

PREVIEW_SIDE = 2048  # the pooled copy's long side is at most this (the web copy's)
MAX_REGIONS = 200  # bounding boxes kept per class, largest first
CHUNK_COLUMNS = 4096  # finished rows are thresholded this many columns at a time


@dataclass
class TiledResult:
    """What detection found on a large image: full-resolution masks on disk, small copies here."""

    width: int
    height: int
    classes: list[str]
    mask_paths: dict[str, Path]  # class -> full-resolution 1-bit PNG (white = damage)
    pixels: dict[str, int]  # class -> confident pixels at full resolution
    uncertain_pixels: dict[str, int]
    max_probability: dict[str, float]
    regions: dict[str, list[list[int]]]  # class -> [x, y, w, h] in full-resolution pixels
    factor: int  # the pooled copies are 1/factor of the image on each side
    preview_masks: dict[str, np.ndarray]  # class -> (h/f, w/f) bool, any damage in the block
    preview_probabilities: np.ndarray  # (C, h/f, w/f) float32, block means
    model_version: str
    seconds: float
    thresholds: dict[str, float] = field(default_factory=dict)
    calibrated: bool = False

    def summary(self, *, metres_per_pixel: float | None = None) -> dict[str, Any]:
        """The JSON figures `DamageResult.summary` gives, plus each class's regions."""
        if metres_per_pixel is not None and not (
            metres_per_pixel > 0 and math.isfinite(metres_per_pixel)
        ):
            raise ValueError("metres_per_pixel must be a positive number")
        total = self.width * self.height
        classes: dict[str, Any] = {}
        for name in self.classes:
            entry: dict[str, Any] = {
                "pixel_share": round(self.pixels[name] / total, 6),
                "pixels": self.pixels[name],
                "max_probability": round(self.max_probability[name], 4),
                "regions": self.regions[name],
            }
            if metres_per_pixel is not None:
                entry["area_cm2"] = round(self.pixels[name] * (metres_per_pixel * 100.0) ** 2, 4)
            if self.calibrated:
                entry["uncertain_share"] = round(self.uncertain_pixels[name] / total, 6)
            classes[name] = entry
        return {
            "model_version": self.model_version,
            "image": {"width": self.width, "height": self.height},
            "metres_per_pixel": metres_per_pixel,
            "thresholds": {k: round(v, 4) for k, v in self.thresholds.items()},
            "classes": classes,
            "explain_class": None,
            "calibrated": self.calibrated,
            "seconds": round(self.seconds, 3),
            "tiled": True,
        }


class Pooler:
    """Pools rows arriving in bands of any height into blocks of `factor` x `factor`."""

    def __init__(self, factor: int, width: int) -> None:
        self.factor = factor
        self.width = width
        self.rest: list[np.ndarray] = []  # (C, r, W) pending rows, r < factor in total
        self.out: list[np.ndarray] = []

    def add(self, rows: np.ndarray, *, last: bool = False) -> None:
        pending = np.concatenate([*self.rest, rows], axis=1) if self.rest else rows
        usable = pending.shape[1] if last else pending.shape[1] - pending.shape[1] % self.factor
        self.rest = [pending[:, usable:]] if usable < pending.shape[1] else []
        if usable:
            self.out.append(self._pool(pending[:, :usable]))

    def _pool(self, rows: np.ndarray) -> np.ndarray:
        f = self.factor
        c, h, w = rows.shape
        ph, pw = (-h) % f, (-w) % f
        if ph or pw:  # edge blocks pool what they have (edge values repeated)
            rows = np.pad(rows, ((0, 0), (0, ph), (0, pw)), mode="edge")
        blocks = rows.reshape(c, (h + ph) // f, f, (w + pw) // f, f)
        return blocks.max(axis=(2, 4)) if rows.dtype == bool else blocks.mean(axis=(2, 4))

    def result(self, channels: int, dtype: Any) -> np.ndarray:
        if not self.out:
            return np.zeros((channels, 0, math.ceil(self.width / self.factor)), dtype)
        return np.concatenate(self.out, axis=1).astype(dtype)


class _MaskWriter:
    """One class's full-resolution mask, written as 1-bit PNG bands joined by libvips."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.bands: list[bytes] = []

    def add(self, rows: np.ndarray) -> None:
        data = np.ascontiguousarray(rows, dtype=np.uint8) * np.uint8(255)
        band = pyvips.Image.new_from_memory(
            data.tobytes(), rows.shape[1], rows.shape[0], 1, "uchar"
        )
        self.bands.append(band.pngsave_buffer(bitdepth=1, compression=6))

    def close(self) -> Path:
        parts = [pyvips.Image.new_from_buffer(b, "", access="sequential") for b in self.bands]
        while len(parts) > 1:  # a balanced tree of joins (arrayjoin would pad to equal cells)
            pairs = zip(parts[::2], parts[1::2], strict=False)
            joined = [top.join(bottom, "vertical") for top, bottom in pairs]
            parts = joined + ([parts[-1]] if len(parts) % 2 else [])
        image = parts[0]
        image.pngsave(str(self.path), bitdepth=1, compression=6)
        self.bands = []
        return self.path


def _rows(image: pyvips.Image, top: int, count: int) -> np.ndarray:
    region = image.crop(0, top, image.width, count)
    data = region.write_to_memory()
    return np.frombuffer(data, np.uint8).reshape(count, image.width, 3)


def _check(image: pyvips.Image) -> pyvips.Image:
    if image.bands == 4:  # open_srgb flattens alpha; tolerate a caller who did not
        image = image.flatten(background=[255, 255, 255])
    if image.bands != 3:
        raise ValueError(f"need a 3-band sRGB image, got {image.bands} bands")
    if image.format != "uchar":
        image = image.cast("uchar")
    if image.width < 1 or image.height < 1:
        raise ValueError("image is empty")
    return image


def regions_of(mask: np.ndarray, factor: int, width: int, height: int) -> list[list[int]]:
    """Bounding boxes [x, y, w, h] in full-resolution pixels of the connected parts of a pooled
    mask (accurate to `factor` pixels), largest first, at most MAX_REGIONS."""
    if not mask.any():
        return []
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    boxes = []
    for x, y, w, h, area in stats[1:count]:
        x0, y0 = int(x) * factor, int(y) * factor
        x1, y1 = min(width, int(x + w) * factor), min(height, int(y + h) * factor)
        boxes.append((int(area), [x0, y0, x1 - x0, y1 - y0]))
    boxes.sort(key=lambda item: -item[0])
    return [box for _, box in boxes[:MAX_REGIONS]]


def detect_image(
    image: pyvips.Image,
    out_dir: Path,
    *,
    model: DamageModel | None = None,
    tile: int = 512,
    overlap: int = 64,
    preview_side: int = PREVIEW_SIDE,
    progress: Callable[[float], None] | None = None,
) -> TiledResult:
    """Detect damage on a (large) sRGB pyvips image by strips; masks go to `out_dir`."""
    from .model import load_model

    image = _check(image)
    model = model or load_model()
    if tile < model.config.stride or not 0 <= overlap < tile:
        raise ValueError(f"need tile >= {model.config.stride} and 0 <= overlap < tile")
    use_cores()
    start = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    height, width = image.height, image.width
    classes = list(model.classes)
    ys, xs = _starts(height, tile, overlap), _starts(width, tile, overlap)
    th, tw = min(tile, height), min(tile, width)
    window = _window(th, tw, overlap)
    fn = batched.probabilities_fn(model)
    factor = max(1, math.ceil(max(width, height) / preview_side))
    # Finished rows are thresholded and pooled by column chunks (a multiple of the pooling
    # factor wide), so a very wide image adds no full-width float copies.
    chunk = factor * max(1, CHUNK_COLUMNS // factor)
    chunks = [(c0, min(width, c0 + chunk)) for c0 in range(0, width, chunk)]
    masks_pools = [Pooler(factor, c1 - c0) for c0, c1 in chunks]
    probs_pools = [Pooler(factor, c1 - c0) for c0, c1 in chunks]
    writers = {name: _MaskWriter(out_dir / f"{name}_mask.png") for name in classes}
    pixels = dict.fromkeys(classes, 0)
    uncertain = dict.fromkeys(classes, 0)
    peak = dict.fromkeys(classes, 0.0)
    total, done = len(ys) * len(xs), 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(min(done / total, 1.0))

    def finish(acc: np.ndarray, weight: np.ndarray, *, last: bool) -> None:
        rows = acc.shape[1]
        masks_rows = {name: np.empty((rows, width), bool) for name in classes}
        for number, (c0, c1) in enumerate(chunks):
            probs = acc[:, :, c0:c1] / weight[:, c0:c1]
            if model.calibration is not None:
                probs = model.calibration.calibrate(probs, classes)
                masks, unsure = model.calibration.bands(probs, classes)
            else:
                masks = {c: probs[i] >= model.thresholds[c] for i, c in enumerate(classes)}
                unsure = {}
            for i, name in enumerate(classes):
                masks_rows[name][:, c0:c1] = masks[name]
                pixels[name] += int(masks[name].sum())
                if name in unsure:
                    uncertain[name] += int(unsure[name].sum())
                peak[name] = max(peak[name], float(probs[i].max()))
            masks_pools[number].add(np.stack([masks[c] for c in classes]), last=last)
            probs_pools[number].add(probs, last=last)
        for name in classes:
            writers[name].add(masks_rows[name])

    pixels_buf = np.zeros((0, width, 3), np.uint8)
    buf_top = 0  # the image row of pixels_buf[0]
    # The blended sums of rows [y, y + th) of the current strip: each strip starts where the
    # previous one's finished rows end, so th rows always suffice (the rest carried over).
    acc = np.zeros((len(classes), th, width), np.float32)
    weight = np.zeros((th, width), np.float32)
    for index, y in enumerate(ys):
        bottom = y + th
        have = buf_top + len(pixels_buf)
        if bottom > have:  # fetch each row once, in order
            pixels_buf = np.concatenate([pixels_buf, _rows(image, have, bottom - have)])
        pixels_buf, buf_top = pixels_buf[y - buf_top :], y
        batched.accumulate(
            pixels_buf[:th],
            fn,
            len(classes),
            tiles=[(0, x, th, tw) for x in xs],
            window=window,
            device=model.device,
            stride=model.config.stride,
            batch=batched.batch_size(model.device),
            progress=step,
            into=(acc, weight),
        )
        last = index == len(ys) - 1
        ready = (height if last else ys[index + 1]) - y  # rows no later strip touches
        finish(acc[:, :ready], weight[:ready], last=last)
        carried = th - ready
        acc[:, :carried] = acc[:, ready:].copy()
        weight[:carried] = weight[ready:].copy()
        acc[:, carried:] = 0.0
        weight[carried:] = 0.0
    mask_paths = {name: writer.close() for name, writer in writers.items()}
    pooled_masks = np.concatenate([p.result(len(classes), bool) for p in masks_pools], axis=2)
    pooled_probs = np.concatenate([p.result(len(classes), np.float32) for p in probs_pools], axis=2)
    preview_masks = {name: pooled_masks[i] for i, name in enumerate(classes)}
    thresholds = (
        {c: k.confident for c, k in model.calibration.classes.items()}
        if model.calibration is not None
        else dict(model.thresholds)
    )
    return TiledResult(
        width=width,
        height=height,
        classes=classes,
        mask_paths=mask_paths,
        pixels=pixels,
        uncertain_pixels=uncertain,
        max_probability=peak,
        regions={n: regions_of(m, factor, width, height) for n, m in preview_masks.items()},
        factor=factor,
        preview_masks=preview_masks,
        preview_probabilities=pooled_probs,
        model_version=model.version,
        seconds=time.perf_counter() - start,
        thresholds=thresholds,
        calibrated=model.calibration is not None,
    )
