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
from restoration.inpaint.confidence import region_features, spearman
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
class RegionRow:
    """One filled region of one image by one method: its real PSNR and what was predicted."""

    image: str
    method: str
    bbox: tuple[int, int, int, int]
    pixels: int
    psnr: float
    predicted_psnr: float | None
    confidence: float | None
    reach_score: float  # the former "confidence": boundary consistency x exp(-reach / 24)
    chosen: str = ""  # the method that filled it ("plan" picks one per region)
    kind: str = ""  # generated mask kind ("" for given masks)
    features: np.ndarray | None = None


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    regions: list[RegionRow] = field(default_factory=list)

    def region_table(self) -> str:
        """Per method: Spearman of the predicted PSNR, and of the former reach score, with the
        real PSNR of each region (higher = the prediction orders regions as their error does)."""
        lines = []
        for method in self.methods():
            rows = [r for r in self.regions if r.method == method]
            real = np.array([r.psnr for r in rows])
            text = f"{method:<12}{len(rows):>5} regions"
            if rows and rows[0].predicted_psnr is not None:
                predicted = np.array([r.predicted_psnr for r in rows], dtype=float)
                text += f"  Spearman predicted PSNR {spearman(predicted, real):+.2f}"
                text += f" (mean abs error {np.mean(np.abs(predicted - real)):.2f} dB)"
            reach = np.array([r.reach_score for r in rows])
            text += f"  former reach score {spearman(reach, real):+.2f}"
            lines.append(text)
        return "\n".join(lines)

    def plan_accuracy(self, learned: str) -> str | None:
        """How often "plan" (no reference) picks the method that is best by the reference,
        over the regions every method filled (biharmonic may be skipped on large ones)."""
        by_key: dict[tuple[str, tuple[int, int, int, int]], dict[str, RegionRow]] = {}
        for r in self.regions:
            by_key.setdefault((r.image, r.bbox), {})[r.method] = r
        best = better = worse = total = 0
        for methods in by_key.values():
            plan = methods.get("plan")
            if plan is None or learned not in methods:
                continue
            picked = methods.get(plan.chosen)
            if picked is None:
                continue
            others = [m for name, m in methods.items() if name != "plan"]
            total += 1
            best += picked.psnr >= max(m.psnr for m in others) - 1e-9
            if picked.method != learned:
                better += picked.psnr > methods[learned].psnr
                worse += picked.psnr < methods[learned].psnr
        if not total:
            return None
        return (
            f"plan picks the best method by reference in {best}/{total} regions; where it "
            f"leaves {learned}: better {better}, worse {worse}"
        )

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
    features: bool = False,
    calibration: object = True,
) -> Report:
    """Run every method on every image with the same mask; missing given masks skip the image.
    Regions are scored too (`features`: keep their feature vectors, for calibration)."""
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
                calibration=calibration,  # type: ignore[arg-type]
            )
            seconds = time.perf_counter() - start
            for region in out.regions:
                row_ = region_row(path.name, method, region, target, out.image, mask, features)
                row_.kind = "" if masks is not None else kind
                report.regions.append(row_)
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


def region_row(
    name: str,
    method: str,
    region: object,
    target: np.ndarray,
    restored: np.ndarray,
    mask: np.ndarray,
    with_features: bool,
) -> RegionRow:
    import cv2

    x0, y0, x1, y1 = region.bbox  # type: ignore[attr-defined]
    crop_mask = mask[y0:y1, x0:x1]
    filled = restored[y0:y1, x0:x1]
    chosen = next(c for c in region.candidates if c.method == region.method)  # type: ignore[attr-defined]
    boundary = float(chosen.parts["boundary"])
    distance = cv2.distanceTransform(crop_mask.astype(np.uint8), cv2.DIST_L2, 3)
    reach = float(distance[crop_mask].mean())
    vector = None
    if with_features:
        vector = region_features(target[y0:y1, x0:x1], crop_mask, filled, boundary)
    return RegionRow(
        image=name,
        method=method,
        bbox=(x0, y0, x1, y1),
        pixels=int(crop_mask.sum()),
        psnr=masked_psnr(filled, target[y0:y1, x0:x1], crop_mask),
        predicted_psnr=region.predicted_psnr,  # type: ignore[attr-defined]
        confidence=region.confidence,  # type: ignore[attr-defined]
        reach_score=boundary * float(np.exp(-reach / 24.0)),
        chosen=region.method,  # type: ignore[attr-defined]
        features=vector,
    )


def eval_images(folder: Path, names: set[str] | None = None) -> list[Path]:
    return [p for p in image_files(folder) if names is None or p.name in names]
