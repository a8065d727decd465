"""Evaluation of the network and the classical baseline on image/mask pairs, in the same run."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import baseline
from .data import image_mask_pairs, read_mask
from .imageio import load_image
from .inference import predict_probabilities
from .metrics import DEFAULT_THRESHOLDS, evaluate
from .model import DamageModel

Pair = tuple[str, np.ndarray, np.ndarray]  # name, (H, W, 3) uint8 image, (H, W) bool crack mask


def load_pairs(images_dir: Path, masks_dir: Path, names: Sequence[str] | None = None) -> list[Pair]:
    """Images with same-named masks (the mask is resized to the image if they differ)."""
    for d in (images_dir, masks_dir):
        if not Path(d).is_dir():
            raise FileNotFoundError(f"not a folder: {d}")
    pairs = image_mask_pairs(Path(images_dir), Path(masks_dir))
    if names is not None:
        wanted = set(names)
        pairs = [p for p in pairs if p[0] in wanted]
    out = []
    for name, ip, mp in pairs:
        img = load_image(ip)
        out.append((name, img, read_mask(mp, img.shape[:2])))
    if not out:
        raise ValueError(f"no image in {images_dir} has a same-named mask in {masks_dir}")
    return out


def crack_scores(model: DamageModel, image: np.ndarray) -> np.ndarray:
    return predict_probabilities(image, model)[model.classes.index("crack")]


def tile_ms(
    fn: Callable[[np.ndarray], Any], *, size: int = 512, repeats: int = 5, stat: str = "median"
) -> float:
    """Milliseconds of fn on one size x size RGB tile after a warm-up call: the median of the
    runs, or with stat="min" the fastest (the cost without other load on a shared machine)."""
    rng = np.random.default_rng(0)
    tile = (rng.random((size, size, 3)) * 255).astype(np.uint8)
    fn(tile)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(tile)
        times.append(time.perf_counter() - t)
    return float((np.min(times) if stat == "min" else np.median(times)) * 1000.0)


def compare(
    model: DamageModel,
    pairs: Sequence[Pair],
    *,
    threshold: float | None = None,
    baseline_method: str = "blackhat",
    baseline_threshold: float | None = None,
    timing: bool = True,
) -> dict[str, Any]:
    """Figures for our model and the baseline on the same pairs, plus ms per 512² tile for each."""
    truths = [m for _, _, m in pairs]
    ours = [crack_scores(model, img) for _, img, _ in pairs]
    base = [baseline.baseline_scores(img, method=baseline_method) for _, img, _ in pairs]
    t_ours = model.thresholds["crack"] if threshold is None else threshold
    if baseline_threshold is None:
        baseline_threshold = baseline.DEFAULT_THRESHOLDS[baseline_method]
    out: dict[str, Any] = {
        "images": len(pairs),
        "model": {"version": model.version, **evaluate(ours, truths, threshold=t_ours)},
        "baseline": {
            "method": baseline_method,
            **evaluate(base, truths, threshold=baseline_threshold),
        },
    }
    if timing:
        for key, fn in (
            ("model", lambda t: predict_probabilities(t, model)),
            ("baseline", lambda t: baseline.baseline_scores(t, method=baseline_method)),
        ):
            out[key]["ms_per_512_tile"] = tile_ms(fn)
            out[key]["ms_per_512_tile_min"] = tile_ms(fn, stat="min")
    return out


def best_threshold(
    scores: Sequence[np.ndarray], truths: Sequence[np.ndarray], *, tolerance: float
) -> float:
    """The threshold with the best pooled F1 (what ODS reports), for calibration."""
    res = evaluate(
        scores, truths, threshold=0.5, tolerances=(tolerance,), thresholds=DEFAULT_THRESHOLDS
    )
    return float(res[f"ods_threshold@{tolerance:g}px"])


FIGURES = [
    ("precision@0px", "P@0"),
    ("recall@0px", "R@0"),
    ("f1@0px", "F1@0"),
    ("precision@2px", "P@2"),
    ("recall@2px", "R@2"),
    ("f1@2px", "F1@2"),
    ("ods@2px", "ODS@2"),
    ("ois@2px", "OIS@2"),
    ("ods@0px", "ODS@0"),
    ("ois@0px", "OIS@0"),
    ("miou", "mIoU"),
    ("ms_per_512_tile", "ms/512²"),
    ("ms_per_512_tile_min", "min ms"),
]


def format_table(result: dict[str, Any]) -> str:
    """A small text table: one row per detector, the ratio ours / baseline last."""
    head = f"{'detector':<22}" + "".join(f"{short:>9}" for _, short in FIGURES)
    rows = [head]
    for key, label in (
        ("model", "ours"),
        ("baseline", f"baseline ({result['baseline']['method']})"),
    ):
        r = result[key]
        rows.append(
            f"{label:<22}" + "".join(f"{r[k]:>9.3f}" if k in r else f"{'-':>9}" for k, _ in FIGURES)
        )
    ratio = []
    for k, _ in FIGURES:
        a, b = result["model"].get(k), result["baseline"].get(k)
        ratio.append(f"{a / b:>9.2f}" if a is not None and b else f"{'-':>9}")
    rows.append(f"{'ratio ours/baseline':<22}" + "".join(ratio))
    return "\n".join(rows)
