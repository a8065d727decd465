"""One timed training shot of the inpainting generator on a GPU (the reproducing command of
`restoration/weights/INPAINT_MODEL_CARD.md`); no Django, numpy/torch/OpenCV only.

`python3 -m restoration.inpaint.gpu_train --data .gpu/data --out OUT --minutes 8 --device cuda
--workers 4`

Reads the TRAIN split only. CPU workers cut crops, draw masks over 1.5x the crop with strokes
sized for the whole image (as inference sees them) and compute the classical fills; the
samples go, as uint8, into a replay buffer on the GPU from which each step draws a batch under
a random flip/transpose, so the GPU never waits on the (slower) fills. Writes `log.txt` and
`snapshots.pt` (generator weights in float16 every ~2 minutes, and the latest generator and
discriminator), replaced atomically so a kill at any moment leaves a valid file.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import queue
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from restoration.inpaint.data import load_pool, make_batch

MAX_SNAPSHOTS = 4
CHANNELS = 11  # Telea RGB, push-pull RGB, mask, target RGB, spare (keeps rows aligned)
ARCHITECTURE = {
    "width": 16,
    "dilations": [1, 2, 4],
    "deep": [1, 2, 4, 8],
    "deep_width": 96,
    "fourier": 2,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=8.0)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--crop", type=int, default=256)
    parser.add_argument("--context", type=float, default=1.5)
    parser.add_argument("--chunk", type=int, default=8, help="samples per worker message")
    parser.add_argument("--buffer", type=int, default=10000, help="replay buffer, samples")
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--adversarial", type=float, default=0.001)
    parser.add_argument("--snapshot-every", type=float, default=120.0, help="seconds")
    parser.add_argument("--save-every", type=float, default=60.0, help="seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--init", type=Path, default=None, help="continue from these weights (inpaint_gated.pt)"
    )
    return parser.parse_args(argv)


def to_uint8(inputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """make_batch's float arrays (exact multiples of 1/127.5) back to uint8 rows."""
    rows = np.zeros((len(inputs), CHANNELS, *inputs.shape[2:]), np.uint8)
    rows[:, 0:6] = np.rint((inputs[:, 0:6] + 1.0) * 127.5)
    rows[:, 6] = inputs[:, 6] > 0.5
    rows[:, 7:10] = np.rint((targets + 1.0) * 127.5)
    return rows


def produce(pool: Any, args: argparse.Namespace, worker: int, out: Any, stop: Any) -> None:
    """A data worker: chunks of uint8 samples into `out` until `stop` is set."""
    import cv2

    cv2.setNumThreads(1)
    rng = np.random.default_rng([args.seed, worker])
    while not stop.is_set():
        inputs, targets = make_batch(pool, args.crop, args.chunk, rng, args.context, augment=True)
        rows = to_uint8(inputs, targets)
        while not stop.is_set():
            try:
                out.put(rows, timeout=0.5)
                break
            except queue.Full:
                continue


def dihedral(x: Any, k: int) -> Any:
    """One of the 8 flips/rotations of (B, C, H, W) (square crops)."""
    import torch

    x = torch.rot90(x, k % 4, dims=(2, 3))
    return torch.flip(x, dims=(3,)) if k >= 4 else x


def save_atomic(state: dict[str, Any], target: Path) -> None:
    import torch

    handle, name = tempfile.mkstemp(suffix=".pt", dir="/tmp")
    os.close(handle)
    torch.save(state, name)
    os.chmod(name, 0o644)
    shutil.move(name, target)


def half_state(module: Any) -> dict[str, Any]:
    return {k: v.detach().to("cpu", copy=True).half() for k, v in module.state_dict().items()}


def init_from(path: Path, generator: Any, discriminator: Any) -> None:
    """Load a shipped checkpoint's generator (and its discriminator, where it kept one) into the
    networks; refuses a checkpoint of another architecture."""
    import torch

    start = torch.load(path, map_location="cpu", weights_only=False)
    if start.get("config") != ARCHITECTURE:
        raise SystemExit(f"--init {path}: architecture {start.get('config')}, not {ARCHITECTURE}")
    generator.load_state_dict({k: v.float() for k, v in start["generator"].items()})
    if start.get("discriminator"):
        discriminator.load_state_dict({k: v.float() for k, v in start["discriminator"].items()})


def train(args: argparse.Namespace, began: float) -> None:
    import torch
    from torch.nn import functional as F

    from restoration.inpaint.model import InpaintGenerator, PatchDiscriminator, parameter_count

    budget = args.minutes * 60.0
    args.out.mkdir(parents=True, exist_ok=True)
    log_file = (args.out / "log.txt").open("a", encoding="utf-8")

    def log(text: str) -> None:
        line = f"[{time.monotonic() - began:7.1f} s] {text}"
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    device = torch.device(args.device)
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)  # the data workers have the other cores
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    pool = load_pool(args.data, "train")  # never the validation or test split
    if not pool.images:
        raise SystemExit(f"no training images under {args.data}")
    log(f"train pool: {pool.describe()}; args {vars(args)}")

    context = mp.get_context("fork")  # workers inherit the decoded pool
    samples: Any = context.Queue(maxsize=max(8, 4 * args.workers))
    stop = context.Event()
    workers = [
        context.Process(target=produce, args=(pool, args, i, samples, stop), daemon=True)
        for i in range(max(1, args.workers))
    ]
    for worker in workers:
        worker.start()

    generator = InpaintGenerator(**ARCHITECTURE).to(device)  # type: ignore[arg-type]
    discriminator = PatchDiscriminator(width=24).to(device)
    if args.init:
        init_from(args.init, generator, discriminator)
        log(f"continuing from {args.init}")
    log(
        f"generator {parameter_count(generator):,} parameters, "
        f"discriminator {parameter_count(discriminator):,}"
    )
    g_opt = torch.optim.Adam(generator.parameters(), lr=args.lr, betas=(0.9, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=args.lr, betas=(0.5, 0.999))
    bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()

    buffer = torch.empty((args.buffer, CHANNELS, args.crop, args.crop), dtype=torch.uint8)
    buffer = buffer.to(device)
    filled = write = fresh = 0
    min_fill = min(args.buffer, max(4 * args.batch, 800))  # no first steps on a handful
    step = seen = 0
    snapshots: list[dict[str, Any]] = []
    last_save = last_log = time.monotonic()
    next_snapshot = args.snapshot_every
    losses: list[float] = []
    gains: list[float] = []
    rng = np.random.default_rng(args.seed + 1000)

    def entry() -> dict[str, Any]:
        return {
            "steps": step,
            "samples": seen,
            "fresh_samples": fresh,
            "seconds": round(time.monotonic() - began, 1),
            "generator": half_state(generator),
        }

    def save(final: bool = False) -> None:
        latest = entry()
        latest["discriminator"] = half_state(discriminator)
        latest["final"] = final
        state = {
            "format": "mouseion-inpaint-snapshots-v1",
            "config": dict(ARCHITECTURE),
            "disc_config": {"width": 24},
            "args": {k: str(v) for k, v in vars(args).items()},
            "snapshots": snapshots,
            "latest": latest,
        }
        save_atomic(state, args.out / "snapshots.pt")

    def drain(block: bool) -> None:
        nonlocal filled, write, fresh
        for _ in range(64):
            try:
                rows = samples.get(timeout=1.0) if block else samples.get_nowait()
            except queue.Empty:
                return
            block = False
            chunk = torch.from_numpy(rows)
            for start in range(0, len(chunk), args.buffer):
                part = chunk[start : start + args.buffer]
                end = min(write + len(part), args.buffer)
                buffer[write:end] = part[: end - write].to(device, non_blocking=True)
                rest = len(part) - (end - write)
                if rest:
                    buffer[:rest] = part[end - write :].to(device, non_blocking=True)
                write = (write + len(part)) % args.buffer
                filled = min(args.buffer, filled + len(part))
                fresh += len(part)

    try:
        while True:
            elapsed = time.monotonic() - began
            if elapsed >= budget - 6.0:  # leaves time for the last save and the exit
                break
            drain(block=filled < min_fill)
            if filled < min_fill:
                continue
            fraction = min(1.0, elapsed / budget)
            warm = min(1.0, (step + 1) / 200)
            lr = args.lr * warm * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * fraction)))
            for group in (*g_opt.param_groups, *d_opt.param_groups):
                group["lr"] = lr
            index = torch.from_numpy(rng.integers(0, filled, args.batch)).to(device)
            rows = dihedral(buffer[index], int(rng.integers(0, 8))).float()
            x = torch.cat([rows[:, 0:6] / 127.5 - 1.0, rows[:, 6:7]], dim=1)
            y = rows[:, 7:10] / 127.5 - 1.0
            mask = x[:, 6:7]
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                fake = generator(x).float()
            hole = mask.sum().clamp(min=1.0) * 3
            reconstruction = ((fake - y) ** 2 * mask).sum() / hole
            loss = reconstruction
            if args.adversarial > 0:
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                    d_fake = discriminator(fake, mask).float()
                loss = loss - args.adversarial * d_fake.mean()
            g_opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(generator.parameters(), 1.0)
            g_opt.step()
            if args.adversarial > 0:
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                    d_real = discriminator(y, mask).float()
                    d_fake = discriminator(fake.detach(), mask).float()
                d_loss = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
                d_opt.zero_grad(set_to_none=True)
                d_loss.backward()
                d_opt.step()
            step += 1
            seen += args.batch
            if step % 10 == 0:
                base = 0.5 * (x[:, 0:3] + x[:, 3:6])
                base_mse = ((base - y) ** 2 * mask).sum() / hole
                mse = reconstruction.item()
                losses.append(mse)
                gains.append(10 * math.log10(max(base_mse.item(), 1e-10) / max(mse, 1e-10)))
            now = time.monotonic()
            if now - last_log >= 20.0 and losses:
                log(
                    f"step {step} samples {seen} fresh {fresh} buffer {filled} lr {lr:.2e} "
                    f"mse {np.mean(losses[-20:]):.5f} gain over blend "
                    f"{np.mean(gains[-20:]):+.2f} dB ({seen / (now - began):.0f} samples/s)"
                )
                last_log = now
            if now - began >= next_snapshot:
                snapshots.append(entry())
                del snapshots[:-MAX_SNAPSHOTS]  # the file stays under 15 MiB
                next_snapshot += args.snapshot_every
                save()
                last_save = now
            elif now - last_save >= args.save_every:
                save()
                last_save = now
    finally:
        stop.set()
        for worker in workers:  # stateless: no need to wait for them
            worker.terminate()
        save(final=True)
        log(f"done: {step} steps, {seen} samples ({fresh} fresh), {len(snapshots)} snapshots")
        log_file.close()
        for worker in workers:
            worker.join(timeout=1.0)
        samples.cancel_join_thread()


def main(argv: list[str] | None = None) -> None:
    began = time.monotonic()  # the budget counts data loading and start-up
    train(parse_args(argv), began)


if __name__ == "__main__":
    main()
