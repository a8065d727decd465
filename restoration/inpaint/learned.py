"""Running the learned generator: weights loading, windowed inference, realism scoring.

The net runs in windows of the size it was trained on (blended where they overlap): run on a
whole 1024 px image, a prototype drifted in colour where windows did not.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from museum.common.devices import bf16_autocast, bf16_supported, resolve_device, use_cores
from restoration.inpaint.classical import blended_fill
from restoration.inpaint.data import encode_channels_last

# The device and bf16 helpers are shared (museum.common.devices); re-exported for callers here.
__all__ = [
    "LearnedInpainter",
    "bf16_autocast",
    "bf16_supported",
    "load_inpainter",
    "resolve_device",
]

WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "inpaint_gated.pt"
# The thin-damage refiner (thin_model): fills cracks where the generator is worse than
# Navier-Stokes. It takes the damaged pixels that no disk of radius THIN_MAX_RADIUS + 1 inside
# the damage covers (cracks up to ~10 px wide, as it was trained on); the generator the rest.
THIN_WEIGHTS = WEIGHTS.with_name("inpaint_thin.pt")
# Chosen on the validation split (model card): per pixel at 4 px, 23.63 dB on thin masks, as
# good as whole regions up to 8 px (23.64) and not dragged to the generator by one wide
# junction (whole regions up to 4 px: 22.50).
THIN_MAX_RADIUS = 4.0
# Its receptive field is ~50 px: small windows follow a crack with less paint around it.
THIN_WINDOW = 128
WINDOW = 256
OVERLAP = 32
# Windows per forward pass: 16 took 35-45% less CPU than 4 on the bf16 CPU path with the same
# output (windows of one crop share a shape, so the batch changes no padding); peak memory of a
# fill rose from +0.16 to +0.49 GB (1024² crop).
BATCH = 16
THIN_RADIUS = 0.0  # px; > 0 leaves damage no wider than about twice this to Telea (faster)

_cache: dict[tuple[str, str, str], LearnedInpainter] = {}
_lock = threading.Lock()


@dataclass
class LearnedInpainter:
    generator: Any
    discriminator: Any | None
    device: str
    version: str
    thin_radius: float = THIN_RADIUS
    calibration: Any = None  # confidence.Calibration fitted for these weights, if any
    thin: Any = None  # the thin-damage refiner, if installed
    thin_max_radius: float = THIN_MAX_RADIUS

    def fill(
        self,
        image: np.ndarray,
        mask: np.ndarray,
        fills: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Inpaint one crop: (H, W, 3) uint8 + (H, W) bool -> uint8, unmasked pixels kept;
        `fills`: the crop's `blended_fill` (the net's input) when the caller already has it.

        With the thin refiner installed, the thin parts of the damage (`thin_parts`: cracks)
        are filled by it and the generator fills the rest. With `thin_radius` > 0 the
        generator runs only in windows holding wide damage (a pixel farther than that from
        intact paint) and thin cracks elsewhere keep the Telea fill: faster, but 0.3 dB worse
        on thin masks (model card), so it is off by default."""
        if fills is None:  # once: the generator's input, and Telea for the refiner's
            fills = blended_fill(image, mask)
        x = encode_channels_last(image, mask, fills)
        result = image.copy()
        result[mask] = np.clip((x[mask][:, 0:3] + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
        rest = mask
        if self.thin is not None:
            cracks = thin_parts(mask, self.thin_max_radius)
            if cracks.any():
                self._refine_thin(image, mask, cracks, result, fills)
                rest = mask & ~cracks
        wide = rest
        if self.thin_radius > 0:
            distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
            wide = rest & (distance > self.thin_radius)
        if wide.any():
            self._run_windows(self.generator, x, wide, rest, result)
        return result

    def _refine_thin(
        self,
        image: np.ndarray,
        mask: np.ndarray,
        thin: np.ndarray,
        result: np.ndarray,
        fills: tuple[np.ndarray, np.ndarray],
    ) -> None:
        """Fill the `thin` pixels of `result` with the refiner (Navier-Stokes and Telea over
        the whole crop mask: a crack touching a wide loss must not read the loss as paint)."""
        from restoration.inpaint.thin_model import encode_thin

        x = encode_thin(image, mask, telea=fills[0])
        # Under bfloat16 autocast only the residual is reduced (the Navier-Stokes base stays
        # float32): the same 23.63 dB on validation thin masks as float32, in half the time.
        self._run_windows(self.thin, x, thin, thin, result, reduced=True, size=THIN_WINDOW)

    def _run_windows(
        self,
        net: Any,
        x: np.ndarray,
        cover: np.ndarray,
        write: np.ndarray,
        result: np.ndarray,
        reduced: bool = True,
        size: int = WINDOW,
    ) -> None:
        """Run `net` on (H, W, C) input `x` in overlapping windows around `cover`, blended with
        linear ramps, and write its output into `result` at the pixels of `write` those
        windows reach; `reduced`: under bfloat16 autocast where the device supports it."""
        import torch

        out = np.zeros((*cover.shape, 3), np.float32)
        weight = np.zeros(cover.shape, np.float32)
        boxes = windows(cover, size, OVERLAP)
        autocast = bf16_autocast(self.device, enabled=reduced)
        with torch.inference_mode(), autocast():
            for first in range(0, len(boxes), BATCH):
                group = boxes[first : first + BATCH]
                tiles = [_padded(x[y0:y1, x0:x1]) for y0, x0, y1, x1 in group]
                shape = tuple(max(t.shape[i] for t in tiles) for i in (0, 1))
                batch = np.stack([_pad_to(t, shape) for t in tiles])
                tensor = (
                    torch.from_numpy(batch).permute(0, 3, 1, 2).to(self.device)
                )  # channels-last view
                preds = net(tensor).float().permute(0, 2, 3, 1).cpu().numpy()
                for (y0, x0, y1, x1), pred in zip(group, preds, strict=True):
                    ramp = _ramp(y1 - y0, x1 - x0, OVERLAP)
                    out[y0:y1, x0:x1] += pred[: y1 - y0, : x1 - x0] * ramp[..., None]
                    weight[y0:y1, x0:x1] += ramp
        filled = out / np.maximum(weight, 1e-6)[..., None]
        netted = write & (weight > 0)
        result[netted] = np.clip((filled[netted] + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)

    def realism(self, image: np.ndarray, mask: np.ndarray) -> float | None:
        """Mean discriminator logit over the masked patches (higher = more like intact paint)."""
        if self.discriminator is None or not mask.any():
            return None
        import torch

        h, w = mask.shape
        ph, pw = (-h) % 16, (-w) % 16
        img = np.pad(_to_unit(image), ((0, ph), (0, pw), (0, 0)), mode="edge")
        m = np.pad(mask.astype(np.float32), ((0, ph), (0, pw)))
        with torch.inference_mode():
            logits = (
                self.discriminator(  # (H, W, C) memory: channels-last views, as its weights
                    torch.from_numpy(img).permute(2, 0, 1)[None].to(self.device),
                    torch.from_numpy(m)[None, None].to(self.device),
                )[0, 0]
                .float()
                .cpu()
                .numpy()
            )
        cover = m.reshape(logits.shape[0], 16, logits.shape[1], 16).mean(axis=(1, 3))
        if cover.sum() <= 0:
            return None
        return float((logits * cover).sum() / cover.sum())


def thin_parts(mask: np.ndarray, max_radius: float) -> np.ndarray:
    """The damaged pixels that no disk of radius `max_radius` + 1 inside the damage covers
    (a morphological opening): cracks, and the thin ends of losses, pixel by pixel; a wide
    junction of a crack network stays with the generator, the rest of the network does not."""
    side = 2 * int(np.ceil(max_radius)) + 3
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    wide = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, disk).astype(bool)
    return mask & ~wide


def windows(mask: np.ndarray, size: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """Windows of at most `size` px covering the image, overlapping by `overlap`, keeping only
    those that contain masked pixels."""
    h, w = mask.shape
    step = size - overlap
    ys = list(range(0, max(h - size, 0) + 1, step)) or [0]
    xs = list(range(0, max(w - size, 0) + 1, step)) or [0]
    if ys[-1] + size < h:
        ys.append(h - size)
    if xs[-1] + size < w:
        xs.append(w - size)
    out = []
    for y0 in ys:
        for x0 in xs:
            y1, x1 = min(y0 + size, h), min(x0 + size, w)
            if mask[y0:y1, x0:x1].any():
                out.append((y0, x0, y1, x1))
    return out


def _padded(tile: np.ndarray) -> np.ndarray:
    ph, pw = (-tile.shape[0]) % 4, (-tile.shape[1]) % 4
    return np.pad(tile, ((0, ph), (0, pw), (0, 0)), mode="edge") if ph or pw else tile


def _pad_to(tile: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    ph, pw = shape[0] - tile.shape[0], shape[1] - tile.shape[1]
    return np.pad(tile, ((0, ph), (0, pw), (0, 0)), mode="edge") if ph or pw else tile


def _ramp(h: int, w: int, overlap: int) -> np.ndarray:
    def axis(n: int) -> np.ndarray:
        r = np.ones(n, np.float32)
        k = min(overlap, n // 2)
        if k > 0:
            edge = (np.arange(k, dtype=np.float32) + 1) / (k + 1)
            r[:k], r[n - k :] = edge, edge[::-1]
        return r

    return np.outer(axis(h), axis(w))


def _to_unit(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32) / 127.5 - 1.0


def weights_available(path: Path | None = None) -> bool:
    return (path or WEIGHTS).is_file()


def load_inpainter(
    path: Path | None = None, device: str | None = None, thin: Path | bool = True
) -> LearnedInpainter:
    """The committed generator (and discriminator) and the thin-damage refiner, cached per
    process and device. `thin`: True for the committed refiner where it is installed, a path
    for another refiner file, False for none."""
    path = path or WEIGHTS
    thin_path = (THIN_WEIGHTS if thin is True else thin) or None
    if thin_path is not None and not thin_path.is_file():
        if thin is not True:
            raise FileNotFoundError(f"thin refiner weights not found: {thin_path}")
        thin_path = None
    device = resolve_device(device)
    use_cores()
    key = (str(path), device, str(thin_path or ""))
    with _lock:
        if key not in _cache:
            _cache[key] = _load(path, device, thin_path)
        return _cache[key]


def _load(path: Path, device: str, thin_path: Path | None = None) -> LearnedInpainter:
    """Our checkpoint format: {"config", "generator"} and optionally {"disc_config",
    "discriminator"} (architectures GENERATOR and DISCRIMINATOR of INPAINT_MODELS); the thin
    refiner's file is {"config", "net"} (THIN)."""
    import torch

    from museum.common.registry import load_module, read_checkpoint
    from restoration.inpaint.model import DISCRIMINATOR, GENERATOR, INPAINT_MODELS, split_gates

    checkpoint = read_checkpoint(path)
    state = checkpoint.payload
    generator = load_module(
        INPAINT_MODELS,
        GENERATOR,
        state["config"],
        state["generator"],
        device=device,
        memory_format=torch.channels_last,
    )
    split_gates(generator)  # the same numbers, 1.5x faster on CPU (model.GatedConv)
    discriminator = None
    if "discriminator" in state:
        discriminator = load_module(
            INPAINT_MODELS,
            DISCRIMINATOR,
            state.get("disc_config", {}),
            state["discriminator"],
            device=device,
            # The same scores as contiguous float32, 1.5x faster on CPU.
            memory_format=torch.channels_last,
        )
    from restoration.inpaint.confidence import Calibration, calibration_path

    version = checkpoint.version("inpaint-gated", digits=10, sep="@")
    thin = None
    if thin_path is not None:
        from restoration.inpaint.thin_model import THIN

        refiner = read_checkpoint(thin_path)
        thin = load_module(
            INPAINT_MODELS, THIN, refiner.payload["config"], refiner.payload["net"], device=device
        )
        version += "+" + refiner.version("thin", digits=10, sep="@")
    return LearnedInpainter(
        generator,
        discriminator,
        device,
        version,
        calibration=Calibration.load(calibration_path(path)),
        thin=thin,
    )


def from_modules(
    generator: Any, discriminator: Any = None, device: str = "cpu"
) -> LearnedInpainter:
    """An inpainter around in-memory modules (tests with tiny untrained models, evaluation
    during training)."""
    generator.eval()
    if discriminator is not None:
        discriminator.eval()
    return LearnedInpainter(generator, discriminator, device, "inpaint-gated@memory")
