"""Time-boxed training of the damage detector on a GPU (or the CPU, for a smoke test).

    python3 -m restoration.damage.gpu_train --data .gpu/data --out OUT/det --minutes 8 \
        --device cuda --workers 6

Trains on the TRAIN side only: the masonry patches of `data.grouped_split` (seed 0; the val and
test photographs are never read) and the artworks of every `split_group` not held out for
calibration (`heldout_groups.json`: the groups of the validation and test artworks, so no artist,
Mucha year or Morris design is on two sides). Samples are drawn by `workers` processes: real
masonry cracks, synthetic damage (`synth.add_damage`), real crack shapes pasted onto artworks and
cracks of every width and contrast (`hard_cases`), and hard negatives (sound artworks, ornament
lines, atlas padding, shadows, mortar joints) labelled "no damage".

Stops by itself after `--minutes` of wall time (from start, data loading included). Writes only
`OUT/snapshots.pt` (replaced atomically at least every `--snapshot-every` seconds: EMA weights
at several moments, the last raw weights and the optimizer state) and `OUT/log.txt`.
Imports no Django. Choosing a snapshot, calibrating and testing happen afterwards on the CPU.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from .config import DAMAGE_CLASSES
from .data import IMAGE_SUFFIXES, _crop, _fit, _jitter, grouped_split, masonry_pairs, read_mask
from .hard_cases import add_hard_negative, draw_varied_cracks, paste_crack_shape
from .imageio import load_image
from .model import DAMAGE_MODELS, DamageUNet
from .synth import add_damage
from .train import loss_fn

HELDOUT = Path(__file__).with_name("heldout_groups.json")
MAX_BYTES = 14 * 2**20


def heldout_groups() -> set[str]:
    spec = json.loads(HELDOUT.read_text())
    return set(spec["val_groups"]) | set(spec["test_groups"])


def training_artworks(root: Path, *, long_side: int = 640) -> tuple[list[np.ndarray], list[str]]:
    """Artworks whose manifest split_group is not held out, downscaled to `long_side`."""
    folder = root / "images"
    manifest = folder / "manifest.csv"
    groups: dict[str, str] = {}
    if manifest.is_file():
        with manifest.open(newline="") as handle:
            groups = {row["file"]: row["split_group"] for row in csv.DictReader(handle)}
    held = heldout_groups()
    images, names = [], []
    for p in sorted(folder.iterdir()) if folder.is_dir() else []:
        if p.suffix.lower() in IMAGE_SUFFIXES and groups.get(p.name, p.name) not in held:
            images.append(_fit(load_image(p), long_side))
            names.append(p.name)
    return images, names


def training_masonry(root: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(image, mask) of the masonry train side; val and test files are not opened."""
    pairs = masonry_pairs(root)
    train = set(grouped_split([n for n, _, _ in pairs], seed=0)["train"])
    return [(load_image(i), read_mask(m)) for n, i, m in pairs if n in train]


class HardSampleStream(IterableDataset):
    """An endless stream of (image, masks, valid) crops; each worker seeds its own generator."""

    def __init__(
        self,
        masonry: list[tuple[np.ndarray, np.ndarray]],
        artworks: list[np.ndarray],
        *,
        size: int,
        seed: int,
        paste: float = 0.5,
    ) -> None:
        self.masonry, self.artworks, self.size, self.seed = masonry, artworks, size, seed
        self.paste = paste  # share of damaged artwork crops that get a real crack shape
        self.shapes = [m for _, m in masonry if m.any()]

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        info = get_worker_info()
        torch.set_num_threads(1)
        cv2.setNumThreads(0)
        rng = np.random.default_rng((self.seed, info.id if info else 0, os.getpid()))
        while True:
            img, masks = self.sample(rng)
            # uint8 across processes: a quarter of the shared memory of float32.
            x = torch.from_numpy(np.ascontiguousarray((img * 255 + 0.5).astype(np.uint8)))
            m = torch.from_numpy((masks > 0.5).astype(np.uint8))
            yield x.permute(2, 0, 1), m, torch.ones(len(DAMAGE_CLASSES))

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """A float32 (H, W, 3) image in [0, 1] and its (C, H, W) float32 masks."""
        c, size = len(DAMAGE_CLASSES), self.size
        kind = rng.random()
        if self.masonry and (kind < 0.3 or not self.artworks):
            img, crack = self.masonry[int(rng.integers(0, len(self.masonry)))]
            scale = float(rng.uniform(0.75, 1.35))
            img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            crack = (
                cv2.resize(
                    crack.astype(np.uint8), img.shape[1::-1], interpolation=cv2.INTER_NEAREST
                )
                > 0
            )
            img, crack = _crop([img, crack], size, rng)
            img = _jitter(img.astype(np.float32) / 255.0, rng)
            masks = np.zeros((c, size, size), np.float32)
            masks[0] = crack
            if rng.random() < 0.25:  # thin synthetic cracks on real walls
                masks = np.maximum(masks, add_damage(img, rng, crack_only=True))
        else:
            src = self.artworks[int(rng.integers(0, len(self.artworks)))]
            scale = float(rng.uniform(0.3, 1.0))
            if scale < 0.97:
                src = cv2.resize(src, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            (img,) = _crop([src], size, rng)
            img = _jitter(img.astype(np.float32) / 255.0, rng)
            masks = np.zeros((c, size, size), np.float32)
            if rng.random() < 0.45:  # distractors, also under real damage
                add_hard_negative(img, rng)
            if kind < 0.75:  # damaged artwork (else: a sound one, every pixel negative)
                masks = add_damage(img, rng)
                if rng.random() < self.paste and self.shapes:
                    masks[0] = np.maximum(masks[0], paste_crack_shape(img, self.shapes, rng))
                if rng.random() < 0.4:
                    masks[0] = np.maximum(masks[0], draw_varied_cracks(img, rng))
        k = int(rng.integers(0, 4))
        img, masks = np.rot90(img, k, (0, 1)), np.rot90(masks, k, (1, 2))
        if rng.random() < 0.5:
            img, masks = img[:, ::-1], masks[:, :, ::-1]
        img = np.clip(img, 0, 1).astype(np.float32)
        return np.ascontiguousarray(img), np.ascontiguousarray(masks.astype(np.float32))


class Log:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = path.open("a", buffering=1)

    def __call__(self, message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        print(line, flush=True)
        self.handle.write(line + "\n")
        self.handle.flush()


def half_state(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {
        k: (v.detach().half() if v.is_floating_point() else v.detach()).cpu().clone()
        for k, v in net.state_dict().items()
    }


def save_snapshots(payload: dict[str, Any], out: Path) -> int:
    """torch.save to a temp file under /tmp, then move onto `out`: never a half-written file.
    The oldest snapshots are dropped while the file would exceed MAX_BYTES."""
    fd, tmp = tempfile.mkstemp(suffix=".pt", dir="/tmp")
    os.close(fd)
    while True:
        torch.save(payload, tmp)
        size = os.path.getsize(tmp)
        if size <= MAX_BYTES or len(payload["snapshots"]) <= 1:
            break
        payload["snapshots"].pop(0)
    shutil.move(tmp, out)
    return size


def lr_at(fraction: float, base: float, warm: float = 0.03) -> float:
    """Linear warm-up, then cosine to 2 % of base, over the fraction of the time budget used."""
    if fraction < warm:
        return base * max(fraction, 1e-3) / warm
    t = min(1.0, (fraction - warm) / (1 - warm))
    return base * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * t)))


def run(args: argparse.Namespace) -> None:
    started = time.time()
    # OpenCV's thread pool does not survive fork (a worker's first cv2 call hangs): the main
    # process uses none, and so creates none, before the workers fork.
    cv2.setNumThreads(0)
    margin = min(args.margin, 0.1 * args.minutes * 60)  # short smoke runs still train
    deadline = started + args.minutes * 60 - margin
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = Log(out / "log.txt")
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    masonry = training_masonry(Path(args.data))
    artworks, names = training_artworks(Path(args.data))
    log(
        f"data: {len(masonry)} masonry train patches, {len(artworks)} training artworks "
        f"(held-out groups left out: {sorted(heldout_groups())})"
    )
    stream = HardSampleStream(masonry, artworks, size=args.crop, seed=args.seed, paste=args.paste)
    loader = DataLoader(
        stream,
        batch_size=args.batch,
        num_workers=args.workers,
        pin_memory=args.device.startswith("cuda"),
        persistent_workers=args.workers > 0,
        prefetch_factor=4 if args.workers > 0 else None,
    )
    batches = iter(loader)  # workers fork before CUDA is touched
    device = torch.device(args.device)
    net: DamageUNet = DAMAGE_MODELS.create(args.model)
    if args.init:  # continue from shipped weights (a checkpoint written by save_weights)
        start = torch.load(args.init, map_location="cpu", weights_only=False)
        if start.get("config") != args.model:
            found = start.get("config")
            raise SystemExit(f"--init {args.init} holds {found!r}, not {args.model!r}")
        net.load_state_dict({k: v.float() for k, v in start["state_dict"].items()})
    net.to(device).to(memory_format=torch.channels_last).train()  # type: ignore[call-overload]
    ema: DamageUNet = DAMAGE_MODELS.create(args.model)
    ema.load_state_dict(net.state_dict())
    ema.to(device).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    use_bf16 = device.type == "cuda"
    params = sum(p.numel() for p in net.parameters())
    log(
        f"model {args.model}: {params} parameters; device {device}, bf16 {use_bf16}, "
        f"batch {args.batch} x reuse {args.reuse}, crop {args.crop}, workers {args.workers}"
    )
    payload: dict[str, Any] = {
        "model": args.model,
        "classes": list(DAMAGE_CLASSES),
        "args": vars(args),
        "init": str(args.init) if args.init else None,
        "training_artworks": names,
        "masonry_train_patches": len(masonry),
        "snapshots": [],
    }
    step = samples = 0
    losses: list[float] = []
    last_log = last_snap = time.time()
    train_start = time.time()
    budget = max(1.0, deadline - train_start)

    def snapshot(final: bool = False) -> None:
        wall = time.time() - started
        payload["snapshots"].append(
            {
                "steps": step,
                "samples": samples,
                "wall_s": round(wall, 1),
                "loss": float(np.mean(losses[-50:])) if losses else None,
                "ema": half_state(ema),
            }
        )
        payload["last"] = {
            "steps": step,
            "samples": samples,
            "wall_s": round(wall, 1),
            "final": final,
            "raw": half_state(net),
            "optimizer": {
                "state": {
                    k: {
                        n: (t.to(torch.bfloat16).cpu() if t.is_floating_point() and t.dim() else t)
                        for n, t in s.items()
                    }
                    for k, s in opt.state_dict()["state"].items()
                },
                "param_groups": opt.state_dict()["param_groups"],
            },
        }
        size = save_snapshots(payload, out / "snapshots.pt")
        log(
            f"snapshot at {wall:.0f}s: step {step}, {len(payload['snapshots'])} kept, "
            f"{size / 2**20:.1f} MiB{' (final)' if final else ''}"
        )

    while time.time() < deadline:
        x, y, v = next(batches)
        x = x.to(device, non_blocking=True).float().div_(255)
        x = x.contiguous(memory_format=torch.channels_last)
        y, v = y.to(device, non_blocking=True).float(), v.to(device, non_blocking=True)
        for r in range(args.reuse):
            if r:  # the same batch turned and mirrored on the device: more steps per sample
                x, y = torch.rot90(x, 1, (2, 3)), torch.rot90(y, 1, (2, 3))
                x = x.flip(3).contiguous(memory_format=torch.channels_last)
                y = y.flip(3)
            lr = lr_at((time.time() - train_start) / budget, args.lr)
            for g in opt.param_groups:
                g["lr"] = lr
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
                logits = net(x)
            loss = loss_fn(logits.float(), y, v)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                decay = min(args.ema, (1 + step) / (10 + step))
                for pe, pn in zip(ema.parameters(), net.parameters(), strict=True):
                    pe.lerp_(pn, 1 - decay)
                for be, bn in zip(ema.buffers(), net.buffers(), strict=True):
                    be.copy_(bn)
            step += 1
            if step % 10 == 1:  # .item() waits for the device: not every step
                losses.append(float(loss.item()))
        samples += x.shape[0]
        now = time.time()
        if now - last_log >= args.log_every:
            rate = samples / (now - train_start)
            log(
                f"t {now - started:.0f}s step {step} samples {samples} ({rate:.0f}/s) "
                f"loss {np.mean(losses[-50:]):.4f} lr {lr:.2e}"
            )
            last_log = now
        if now - last_snap >= args.snapshot_every:
            snapshot()
            last_snap = time.time()
    snapshot(final=True)
    log(f"done: {step} steps, {samples} samples in {time.time() - started:.0f}s")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", required=True, help="data root (damage/masonry-cracks, images)")
    ap.add_argument("--out", required=True, help="folder for snapshots.pt and log.txt")
    ap.add_argument("--minutes", type=float, required=True, help="wall-time budget, from start")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--workers", type=int, default=6, help="sample-generating processes")
    ap.add_argument("--model", default="damage_unet_m")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--reuse", type=int, default=2, help="steps per batch (turned, mirrored)")
    ap.add_argument("--crop", type=int, default=224)
    ap.add_argument("--lr", type=float, default=4e-3)
    ap.add_argument("--init", type=Path, default=None, help="start from these weights (.pt)")
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--ema", type=float, default=0.998)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--paste", type=float, default=0.5, help="share of damaged artworks with a real crack shape"
    )
    ap.add_argument("--threads", type=int, default=2, help="torch threads of the main process")
    ap.add_argument("--snapshot-every", type=float, default=60.0, help="seconds (<= 90)")
    ap.add_argument("--log-every", type=float, default=20.0)
    ap.add_argument(
        "--margin",
        type=float,
        default=12.0,
        help="seconds kept for the last save (at most 10 %% of the budget)",
    )
    return ap.parse_args(argv)


if __name__ == "__main__":
    run(parse())
