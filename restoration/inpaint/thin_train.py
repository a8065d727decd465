"""Training of the thin-damage refiner (`thin_model`) on the CPU, resumable; no Django.

`python3 -m restoration.inpaint.thin_train --data DATA --out RUN --minutes 60` (DATA: the folder
given as `--data`, holding `images/` with its manifest and optionally `damage/masonry-cracks/`)
`python3 -m restoration.inpaint.thin_train --export RUN/checkpoint.pt --label best --out W.pt`

Reads the TRAIN split of the artworks (and the masonry photographs, training only). Each draw
takes an image at 0.5-1x of the evaluation scale (1024 px on the long side), draws a whole-image
crack mask (the evaluation generator, wider synthetic cracks, or real masonry crack shapes),
and cuts crops centred on damaged pixels; the Navier-Stokes and Telea fills are computed with a
margin around each crop, as inference computes them around a damaged region. Loss: mean squared
error inside the mask (PSNR is the target metric). Every `--eval-every` steps the net is scored
on fixed crops of the VALIDATION split against Navier-Stokes; `RUN/checkpoint.pt` keeps the
latest state (resumed on the next call) and the best one by validation, written atomically.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from restoration.inpaint.data import load_pool
from restoration.inpaint.masks import crack_mask, generate_mask
from restoration.inpaint.thin_model import encode_thin

CROP = 96
MARGIN = 16
ARCHITECTURE: dict[str, Any] = {"width": 32, "dilations": [1, 2, 4, 8, 2, 1]}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--export", type=Path, help="a run's checkpoint.pt to write as weights")
    parser.add_argument("--label", choices=["best", "latest"], default="best")
    parser.add_argument("--minutes", type=float, default=60.0, help="this call's budget")
    parser.add_argument(
        "--total-minutes",
        type=float,
        default=0.0,
        help="the schedule's length over all calls (default: --minutes)",
    )
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--crops-per-draw", type=int, default=4)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--eval-crops", type=int, default=384)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def whole_mask(shape: tuple[int, int], rng: np.random.Generator, crack_shapes: list) -> np.ndarray:
    """A whole-image thin-damage mask: the evaluation's crack generator (60 %), wider synthetic
    cracks (25 %), or real masonry crack shapes pasted at a random scale (15 %)."""
    roll = rng.random()
    if roll < 0.6 or (roll >= 0.85 and not crack_shapes):
        return generate_mask("thin", shape, rng)
    if roll < 0.85:
        return crack_mask(shape, rng, unit=float(rng.uniform(1.0, 3.5)))
    mask = np.zeros(shape, bool)
    for _ in range(int(rng.integers(1, 4))):
        real = crack_shapes[int(rng.integers(0, len(crack_shapes)))]
        side = int(rng.uniform(0.15, 0.5) * min(shape))
        piece = cv2.resize(real.astype(np.uint8), (side, side), interpolation=cv2.INTER_NEAREST)
        piece = np.rot90(piece, int(rng.integers(0, 4))).astype(bool)
        y, x = int(rng.integers(0, shape[0] - side + 1)), int(rng.integers(0, shape[1] - side + 1))
        mask[y : y + side, x : x + side] |= piece
    return mask


def draw_samples(
    images: list[np.ndarray],
    crack_shapes: list,
    rng: np.random.Generator,
    count: int,
    augment: bool = True,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`count` (input (7, S, S), target (3, S, S)) pairs from one image and one mask."""
    image = images[int(rng.integers(0, len(images)))]
    if augment:
        scale = rng.uniform(0.5, 1.0)
        if scale < 0.97:
            size = (
                max(CROP + 2 * MARGIN, round(image.shape[1] * scale)),
                max(CROP + 2 * MARGIN, round(image.shape[0] * scale)),
            )
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        image = np.rot90(image, int(rng.integers(0, 4)))
        if rng.random() < 0.5:
            image = image[:, ::-1]
        image = np.ascontiguousarray(image)
    h, w = image.shape[:2]
    outer = CROP + 2 * MARGIN
    mask = whole_mask((h, w), rng, crack_shapes)
    ys, xs = np.nonzero(mask)
    out = []
    for _ in range(count):
        if len(ys):
            k = int(rng.integers(0, len(ys)))
            cy, cx = ys[k] + int(rng.integers(-24, 25)), xs[k] + int(rng.integers(-24, 25))
        else:
            cy, cx = h // 2, w // 2
        y0 = int(np.clip(cy - outer // 2, 0, h - outer))
        x0 = int(np.clip(cx - outer // 2, 0, w - outer))
        region = image[y0 : y0 + outer, x0 : x0 + outer]
        region_mask = mask[y0 : y0 + outer, x0 : x0 + outer]
        if not region_mask[MARGIN:-MARGIN, MARGIN:-MARGIN].any() or region_mask.all():
            continue
        x = encode_thin(region, region_mask)[MARGIN:-MARGIN, MARGIN:-MARGIN]
        target = region[MARGIN:-MARGIN, MARGIN:-MARGIN].astype(np.float32) / 127.5 - 1.0
        out.append((x.transpose(2, 0, 1), target.transpose(2, 0, 1)))
    return out


def fixed_validation(pool_images: list[np.ndarray], crack_shapes: list, count: int) -> tuple:
    """The same validation crops on every call (seeded), at the evaluation scale."""
    rng = np.random.default_rng(12345)
    samples: list = []
    while len(samples) < count:
        samples += draw_samples(pool_images, crack_shapes, rng, 4, augment=False)
    x = np.stack([s[0] for s in samples[:count]])
    y = np.stack([s[1] for s in samples[:count]])
    return x, y


def masked_mse(pred: Any, target: Any, mask: Any) -> Any:
    return (((pred - target) ** 2) * mask).sum() / (3 * mask.sum()).clamp(min=1)


def evaluate(net: Any, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(PSNR of the net, PSNR of Navier-Stokes) over all masked pixels of the crops, in dB of
    the 0-255 scale (MSE in [-1, 1] units times 127.5²)."""
    import torch

    net.eval()
    total = base = pixels = 0.0
    with torch.inference_mode():
        for first in range(0, len(x), 64):
            xb = torch.from_numpy(x[first : first + 64])
            yb = torch.from_numpy(y[first : first + 64])
            mask = xb[:, 6:7]
            pred = net(xb)
            total += float((((pred - yb) ** 2) * mask).sum())
            base += float((((xb[:, 0:3] - yb) ** 2) * mask).sum())
            pixels += float(3 * mask.sum())
    net.train()

    def psnr(err: float) -> float:
        return 10 * math.log10(255.0**2 / max(err / pixels * 127.5**2, 1e-12))

    return psnr(total), psnr(base)


def save_atomic(state: dict, path: Path) -> None:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(handle)
    torch.save(state, tmp)
    os.replace(tmp, path)


def export(checkpoint: Path, label: str, out: Path) -> Path:
    """Write the run's best-by-validation (or latest) net as the weights file the product
    loads: {"config", "net"} in float32 (the refiner is small), with its history."""
    import torch

    from museum.common.registry import write_checkpoint

    saved = torch.load(checkpoint, map_location="cpu", weights_only=False)
    best = saved["state"]["best"]
    net = best["net"] if label == "best" else saved["net"]
    steps = best["steps"] if label == "best" else saved["state"]["steps"]
    return write_checkpoint({"config": saved["config"], "net": net, "steps": steps}, out)


def main(argv: list[str] | None = None) -> None:
    import torch

    from restoration.inpaint.model import INPAINT_MODELS
    from restoration.inpaint.thin_model import THIN

    args = parse_args(argv)
    if args.export is not None:
        print(export(args.export, args.label, args.out))
        return
    if args.data is None:
        raise SystemExit("--data is required for training")
    torch.set_num_threads(args.threads)
    train = load_pool(args.data, "train")
    images = [
        im
        for im, source in zip(train.images, train.sources, strict=True)
        if source in ("artwork", "masonry")
    ]
    val_pool = load_pool(args.data, "val")
    crack_shapes = train.crack_masks
    if not images or not val_pool.images:
        raise SystemExit(
            f"{args.data}: no training or no validation artworks (images/ with a manifest.csv "
            "whose split groups give both sides)"
        )
    val_x, val_y = fixed_validation(val_pool.images, crack_shapes, args.eval_crops)
    net = INPAINT_MODELS.create(THIN, **ARCHITECTURE)
    optimiser = torch.optim.Adam(net.parameters(), lr=args.lr)
    path = args.out / "checkpoint.pt"
    state: dict[str, Any] = {"steps": 0, "seconds": 0.0, "best": None, "history": []}
    if path.is_file():
        saved = torch.load(path, map_location="cpu", weights_only=False)
        net.load_state_dict(saved["net"])
        optimiser.load_state_dict(saved["optimiser"])
        state = saved["state"]
    total = 60 * (args.total_minutes or args.minutes)
    rng = np.random.default_rng([args.seed, state["steps"]])
    args.out.mkdir(parents=True, exist_ok=True)
    log = (args.out / "log.txt").open("a")
    start = time.perf_counter()
    pending: list[tuple[np.ndarray, np.ndarray]] = []
    seconds0 = state["seconds"]
    net.train()
    while time.perf_counter() - start < 60 * args.minutes:
        while len(pending) < args.batch:
            pending += draw_samples(images, crack_shapes, rng, args.crops_per_draw)
        batch, pending = pending[: args.batch], pending[args.batch :]
        xb = torch.from_numpy(np.stack([b[0] for b in batch]))
        yb = torch.from_numpy(np.stack([b[1] for b in batch]))
        elapsed = seconds0 + time.perf_counter() - start
        lr = args.lr * min(1.0, (state["steps"] + 1) / 200)
        lr *= 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, elapsed / total)))
        for group in optimiser.param_groups:
            group["lr"] = lr
        loss = masked_mse(net(xb), yb, xb[:, 6:7])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimiser.step()
        state["steps"] += 1
        if state["steps"] % args.eval_every == 0:
            ours, ns = evaluate(net, val_x, val_y)
            state["seconds"] = seconds0 + time.perf_counter() - start
            state["history"].append((state["steps"], state["seconds"], ours, ns))
            line = (
                f"step {state['steps']} {state['seconds']:.0f}s lr {lr:.2e} "
                f"loss {float(loss.detach()):.5f} val PSNR {ours:.3f} NS {ns:.3f} "
                f"gain {ours - ns:+.3f}"
            )
            print(line, flush=True)
            log.write(line + "\n")
            log.flush()
            if state["best"] is None or ours > state["best"]["psnr"]:
                state["best"] = {
                    "psnr": ours,
                    "steps": state["steps"],
                    "net": {k: v.clone() for k, v in net.state_dict().items()},
                }
            save_atomic(
                {
                    "config": net.config,
                    "net": net.state_dict(),
                    "optimiser": optimiser.state_dict(),
                    "state": state,
                },
                path,
            )


if __name__ == "__main__":
    main()
