"""Evaluation of every inpainting method in one run: PSNR, SSIM and CIEDE2000 inside the mask,
and seconds, per image and summarised (mean, median, wins), so a few images cannot carry it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from museum.common import images
from restoration.inpaint.data import TRAINING_MAX_PIXELS, image_files, load_rgb
from restoration.inpaint.inference import restore_texture
from restoration.inpaint.masks import generate_mask


def masked_psnr(pred: np.ndarray, target: np.ndarray, mask: np.ndarray) -> float:
    diff = pred[mask].astype(np.float64) - target[mask].astype(np.float64)
    mse = float(np.mean(diff**2))
    return 99.0 if mse <= 1e-12 else float(10 * np.log10(255.0**2 / mse))


def masked_ssim(pred: np.ndarray, target: np.ndarray, mask: np.ndarray) -> float:
    from skimage.metrics import structural_similarity

    _, local = structural_similarity(pred, target, channel_axis=2, data_range=255, full=True)
    return float(local[mask].mean())


def masked_delta_e(pred: np.ndarray, target: np.ndarray, mask: np.ndarray) -> float:
    """Mean CIEDE2000 colour difference over the masked pixels."""
    from skimage.color import deltaE_ciede2000, rgb2lab

    a = rgb2lab(pred[mask][:, None, :].astype(np.float64) / 255.0)
    b = rgb2lab(target[mask][:, None, :].astype(np.float64) / 255.0)
    return float(deltaE_ciede2000(a, b).mean())


@dataclass
class Row:
    image: str
    method: str
    psnr: float
    ssim: float
    delta_e: float
    seconds: float
    mask_share: float


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def methods(self) -> list[str]:
        return list(dict.fromkeys(r.method for r in self.rows))

    def values(self, method: str, metric: str) -> np.ndarray:
        return np.array([getattr(r, metric) for r in self.rows if r.method == method])

    def best_classical(self, learned: str) -> str | None:
        classical = [m for m in self.methods() if m not in (learned, "plan", "auto")]
        if not classical:
            return None
        return max(classical, key=lambda m: float(self.values(m, "psnr").mean()))

    def table(self, learned: str) -> str:
        lines = [
            f"{'method':<12}{'PSNR mean':>10}{'median':>8}{'SSIM':>7}{'ΔE00':>7}"
            f"{'s/img':>8}{'wins':>7}",
        ]
        best = self.best_classical(learned)
        for method in self.methods():
            psnr = self.values(method, "psnr")
            wins = ""
            if best and method != best:
                wins = f"{int((psnr > self.values(best, 'psnr')).sum())}/{len(psnr)}"
            lines.append(
                f"{method:<12}{psnr.mean():>10.2f}{np.median(psnr):>8.2f}"
                f"{self.values(method, 'ssim').mean():>7.3f}"
                f"{self.values(method, 'delta_e').mean():>7.2f}"
                f"{self.values(method, 'seconds').mean():>8.3f}{wins:>7}"
            )
        if best and learned in self.methods():
            gain = self.values(learned, "psnr") - self.values(best, "psnr")
            lines.append(
                f"{learned} - {best} (best classical): mean {gain.mean():+.2f} dB, "
                f"median {np.median(gain):+.2f} dB, wins {int((gain > 0).sum())}/{len(gain)}"
            )
        share = np.array([r.mask_share for r in self.rows if r.method == self.methods()[0]])
        lines.append(f"{len(share)} images, mask share mean {share.mean():.1%}")
        return "\n".join(lines)


def load_mask(path: Path, shape: tuple[int, int]) -> np.ndarray:
    with images.read_image(path, max_pixels=TRAINING_MAX_PIXELS) as img:
        mask = img.convert("L")
        if mask.size != (shape[1], shape[0]):
            mask = mask.resize((shape[1], shape[0]), Image.Resampling.NEAREST)
        return np.asarray(mask) > 127


def evaluate(
    images: Iterable[Path],
    methods: list[str],
    *,
    masks: Path | None = None,
    kind: str = "large",
    seed: int = 0,
    max_side: int = 1024,
    inpainter: object = None,
    on_row: Callable[[Row], None] | None = None,
) -> Report:
    """Run every method on every image with the same mask; missing given masks skip the image."""
    report = Report()
    for index, path in enumerate(images):
        target = load_rgb(path, max_side)
        if masks is not None:
            mask_path = masks / f"{path.stem}.png"
            if not mask_path.is_file():
                continue
            mask = load_mask(mask_path, target.shape[:2])
        else:
            mask = generate_mask(kind, target.shape[:2], np.random.default_rng([seed, index]))
        if not mask.any() or mask.all():
            continue
        for method in methods:
            start = time.perf_counter()
            out = restore_texture(
                target,
                mask,
                method=method,
                inpainter=inpainter if method in ("gated", "plan", "auto") else None,
            )
            seconds = time.perf_counter() - start
            row = Row(
                image=path.name,
                method=method,
                psnr=masked_psnr(out.image, target, mask),
                ssim=masked_ssim(out.image, target, mask),
                delta_e=masked_delta_e(out.image, target, mask),
                seconds=seconds,
                mask_share=float(mask.mean()),
            )
            report.rows.append(row)
            if on_row is not None:
                on_row(row)
    return report


def eval_images(folder: Path, names: set[str] | None = None) -> list[Path]:
    return [p for p in image_files(folder) if names is None or p.name in names]
