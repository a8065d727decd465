"""Training of the inpainting generator against the SN-PatchGAN discriminator.

Loss: mean squared error inside the hole (what PSNR measures; L1 lowered L1 without raising
PSNR in a prototype) plus a small hinge adversarial term that keeps fills from going flat.
Checkpoints every `save_every` iterations; `resume` continues from the last one exactly
(models, optimisers, iteration and random state).
"""

from __future__ import annotations

import math
import pickle
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from restoration.inpaint.data import Pool, load_pool, make_batch


@dataclass
class TrainConfig:
    data: Path
    out: Path
    iterations: int = 5000
    batch: int = 8
    crop: int = 160
    lr: float = 3e-4
    adversarial: float = 0.001
    seed: int = 0
    width: int = 16
    disc_width: int = 24
    save_every: int = 200
    val_every: int = 1000
    threads: int = 0
    resume: bool = False
    device: str = "auto"
    minutes: float = 0.0  # with a budget, the schedule runs on elapsed time and stops at it
    bf16: bool = True  # autocast convolutions to bfloat16 where the CPU/GPU supports it
    context: float = 1.0  # fills and masks over context x the crop side (see data.make_batch)
    init: Path | None = None  # start from these weights (fine-tuning) instead of scratch


def psnr_in_mask(pred: np.ndarray, target: np.ndarray, mask: np.ndarray) -> float:
    """PSNR over the masked pixels of images in [-1, 1] ((3, H, W) arrays, (H, W) mask)."""
    diff = (pred - target)[:, mask] * 127.5
    mse = float(np.mean(diff**2))
    return 99.0 if mse <= 1e-10 else 10 * math.log10(255.0**2 / mse)


def validation_set(
    pool: Pool, crop: int, count: int = 32, context: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    return make_batch(pool, crop, count, np.random.default_rng(1234), context)


def validate(
    generator: Any, inputs: np.ndarray, targets: np.ndarray, device: str
) -> dict[str, float]:
    """Median and mean PSNR in the hole: the model, Telea and the mean of the two fills."""
    import torch

    generator.eval()
    with torch.inference_mode():
        preds = generator(torch.from_numpy(inputs).to(device)).float().cpu().numpy()
    generator.train()
    rows: dict[str, list[float]] = {"model": [], "telea": [], "mean_fill": []}
    for pred, x, target in zip(preds, inputs, targets, strict=True):
        mask = x[6] > 0.5
        rows["model"].append(psnr_in_mask(pred, target, mask))
        rows["telea"].append(psnr_in_mask(x[0:3], target, mask))
        rows["mean_fill"].append(psnr_in_mask(0.5 * (x[0:3] + x[3:6]), target, mask))
    out = {f"{k}_mean": float(np.mean(v)) for k, v in rows.items()}
    out.update({f"{k}_median": float(np.median(v)) for k, v in rows.items()})
    out["wins_vs_telea"] = float(np.mean(np.array(rows["model"]) > np.array(rows["telea"])))
    return out


def train(config: TrainConfig, log: Any = print) -> Path:
    """Train, checkpointing as it goes; returns the path of the final weights."""
    import torch
    from torch.nn import functional as F
    from tqdm import tqdm

    from museum.common.devices import bf16_autocast, resolve_device
    from restoration.inpaint.model import InpaintGenerator, PatchDiscriminator, parameter_count

    if config.threads:
        torch.set_num_threads(config.threads)
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    pool = load_pool(config.data, "train")
    holdout = load_pool(config.data, "val")
    if not pool.images:
        raise ValueError(f"No training images found under {config.data}")
    log(f"training pool: {pool.describe()}; validation: {len(holdout.images)} images")
    val = validation_set(holdout if holdout.images else pool, config.crop + 32, 32, config.context)

    generator = InpaintGenerator(width=config.width).to(device)
    discriminator = PatchDiscriminator(width=config.disc_width).to(device)
    log(
        f"generator {parameter_count(generator):,} parameters; "
        f"discriminator {parameter_count(discriminator):,}"
    )
    if config.init is not None and not config.resume:
        initial = torch.load(config.init, map_location=device, weights_only=True)
        generator.load_state_dict(initial["generator"])
        discriminator.load_state_dict(initial["discriminator"])
        log(f"initialised from {config.init}")
    g_opt = torch.optim.Adam(generator.parameters(), lr=config.lr, betas=(0.9, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=config.lr, betas=(0.5, 0.999))
    checkpoint = config.out.with_suffix(".ckpt")
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    start, spent = 0, 0.0
    if config.resume and checkpoint.is_file():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        generator.load_state_dict(state["generator"])
        discriminator.load_state_dict(state["discriminator"])
        g_opt.load_state_dict(state["g_opt"])
        d_opt.load_state_dict(state["d_opt"])
        rng = pickle.loads(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        start, spent = state["iteration"], state.get("seconds", 0.0)
        log(f"resumed at iteration {start}")

    def save_checkpoint(iteration: int) -> None:
        tmp = checkpoint.with_suffix(".tmp")
        torch.save(
            {
                "generator": generator.state_dict(),
                "discriminator": discriminator.state_dict(),
                "g_opt": g_opt.state_dict(),
                "d_opt": d_opt.state_dict(),
                "rng": pickle.dumps(rng),
                "torch_rng": torch.get_rng_state(),
                "iteration": iteration,
                "seconds": spent + time.perf_counter() - began,
                "config": {k: str(v) for k, v in asdict(config).items()},
            },
            tmp,
        )
        tmp.replace(checkpoint)

    began = time.perf_counter()
    budget = config.minutes * 60.0
    autocast = bf16_autocast(device, config.bf16)
    bar = tqdm(
        range(start, config.iterations),
        initial=start,
        total=config.iterations,
        desc="train_inpaint",
    )
    for iteration in bar:
        fraction = iteration / config.iterations
        if budget > 0:
            fraction = max(fraction, (spent + time.perf_counter() - began) / budget)
            if fraction >= 1.0:
                save_checkpoint(iteration)
                scores = validate(generator, *val, device)
                log(f"iteration {iteration} (time budget reached): " + _format(scores))
                break
        for group in (*g_opt.param_groups, *d_opt.param_groups):  # cosine decay to 5%
            group["lr"] = config.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * fraction)))
        inputs, targets = make_batch(pool, config.crop, config.batch, rng, config.context)
        x, y = torch.from_numpy(inputs).to(device), torch.from_numpy(targets).to(device)
        mask = x[:, 6:7]
        with autocast():
            fake = generator(x).float()
        hole = mask.sum().clamp(min=1.0) * 3
        reconstruction = ((fake - y) ** 2 * mask).sum() / hole
        loss = reconstruction
        if config.adversarial > 0:
            with autocast():
                d_fake = discriminator(fake, mask).float()
            loss = loss - config.adversarial * d_fake.mean()
        g_opt.zero_grad(set_to_none=True)
        loss.backward()
        g_opt.step()
        if config.adversarial > 0:
            with autocast():
                d_real, d_fake = discriminator(y, mask), discriminator(fake.detach(), mask)
            d_loss = F.relu(1 - d_real.float()).mean() + F.relu(1 + d_fake.float()).mean()
            d_opt.zero_grad(set_to_none=True)
            d_loss.backward()
            d_opt.step()
        if iteration % 20 == 0:
            bar.set_postfix(mse=f"{reconstruction.item():.4f}")
        done = iteration + 1
        if done % config.save_every == 0 or done == config.iterations:
            save_checkpoint(done)
        if done % config.val_every == 0 or done == config.iterations:
            scores = validate(generator, *val, device)
            log(f"iteration {done} ({time.perf_counter() - began:.0f} s): " + _format(scores))
    export(generator, discriminator, config.out)
    return config.out


def _format(scores: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in scores.items())


def export(generator: Any, discriminator: Any, path: Path) -> None:
    """The shipped weights: both networks' state (float32) and their constructor arguments."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "config": generator.config,
            "generator": generator.state_dict(),
            "disc_config": {"width": discriminator.net[0].out_channels},
            "discriminator": discriminator.state_dict(),
        },
        path,
    )
