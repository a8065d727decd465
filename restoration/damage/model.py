"""The damage segmentation network: a small U-Net with depthwise-separable blocks.

One architecture, built by name from `config.MODEL_CONFIGS`; no weights are loaded at import.
`DamageModel` wraps the network with its classes, calibrated thresholds, version and device.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, cast

import torch
from torch import nn
from torch.nn import functional as F

from museum.common.devices import resolve_device
from museum.common.registry import (
    ModelRegistry,
    file_digest,
    load_module,
    read_checkpoint,
    write_checkpoint,
)

from .calibration import Calibration
from .config import DEFAULT_THRESHOLD, MODEL_CONFIGS, ModelConfig

logger = logging.getLogger(__name__)

ARCH_VERSION = "damage-unet-v1"
# The shared convention (museum.common.registry): one entry per named config, built by name.
DAMAGE_MODELS = ModelRegistry("damage model")


def default_device() -> str:
    return resolve_device("auto")


def default_weights_path() -> Path:
    """The committed checkpoint: restoration/weights/damage_unet.pt."""
    return Path(__file__).resolve().parent.parent / "weights" / "damage_unet.pt"


class ConvBN(nn.Sequential):
    def __init__(self, cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )


class SepBlock(nn.Module):
    """Depthwise 3x3 then pointwise 1x1 (MobileNet style); residual when shapes allow."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.dw = nn.Sequential(
            nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin)
        )
        self.pw = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pw(F.relu(self.dw(x)))
        return F.relu(y + x if self.residual else y)


class UpBlock(nn.Module):
    """Upsample the deeper features, concatenate the skip, mix with one separable block."""

    def __init__(self, cdeep: int, cskip: int, cout: int) -> None:
        super().__init__()
        self.mix = SepBlock(cdeep + cskip, cout)

    def forward(self, deep: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        deep = F.interpolate(deep, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.mix(torch.cat([deep, skip], dim=1))


class DamageUNet(nn.Module):
    """Logits (N, C, H, W) for images (N, 3, H, W) in [0, 1]; H and W multiples of `stride`."""

    mean: torch.Tensor  # a registered buffer

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        enc = config.encoder
        self.stem = ConvBN(3, enc[0], stride=2)
        levels = []
        for i, (c, n) in enumerate(zip(enc, config.blocks, strict=True)):
            cin = enc[i - 1] if i else enc[0]
            blocks = [SepBlock(cin, c, stride=2 if i else 1)]
            blocks += [SepBlock(c, c) for _ in range(n - 1)]
            levels.append(nn.Sequential(*blocks))
        self.levels = nn.ModuleList(levels)
        ups = []
        deep = enc[-1]
        for skip in reversed(enc[:-1]):
            ups.append(UpBlock(deep, skip, skip))
            deep = skip
        self.ups = nn.ModuleList(ups)  # ups[-1] ends at stride 2
        self.full = ConvBN(3, config.full_res) if config.full_res else None
        cin = enc[0] + config.full_res
        self.head = nn.Sequential(
            SepBlock(cin, config.head), nn.Conv2d(config.head, len(config.classes), 1)
        )
        self.register_buffer("mean", torch.tensor([0.5, 0.5, 0.5]).view(1, 3, 1, 1))

    @property
    def cam_layer(self) -> nn.Module:
        """The decoder block Grad-CAM explains (stride 2 ** (cam_level + 1))."""
        return self.ups[len(self.ups) - self.config.cam_level]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.mean) * 4.0
        feats = []
        y = self.stem(x)
        for level in self.levels:
            y = level(y)
            feats.append(y)
        for up, skip in zip(self.ups, reversed(feats[:-1]), strict=True):
            y = up(y, skip)
        y = F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)
        if self.full is not None:
            y = torch.cat([y, self.full(x)], dim=1)
        return self.head(y)


def _from_config(name: str, **overrides: Any) -> DamageUNet:
    return DamageUNet(replace(MODEL_CONFIGS[name], **overrides))


for _name in MODEL_CONFIGS:
    DAMAGE_MODELS.register(_name)(partial(_from_config, _name))


@dataclass
class DamageModel:
    """A network with what inference needs to read it: classes, thresholds, version, device."""

    net: DamageUNet
    config: ModelConfig
    thresholds: dict[str, float]
    version: str
    device: str
    meta: dict[str, Any] = field(default_factory=dict)
    # Per-class calibration and bands (calibration.py) when a matching sidecar file exists.
    calibration: Calibration | None = None

    @property
    def classes(self) -> tuple[str, ...]:
        return self.config.classes

    def to(self, device: str) -> DamageModel:
        self.net.to(device)
        self.device = device
        return self


def build_model(
    name: str = "damage_unet", *, seed: int | None = 0, device: str | None = None
) -> DamageModel:
    """A network with random weights (seeded, so tests are repeatable)."""
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        net: DamageUNet = DAMAGE_MODELS.create(name)  # UnknownModelError is a KeyError
    config = net.config
    device = device or default_device()
    net.eval().to(device)
    thresholds = dict.fromkeys(config.classes, DEFAULT_THRESHOLD)
    return DamageModel(net, config, thresholds, f"{ARCH_VERSION}+{name}-random", device)


def weights_digest(path: Path) -> str:
    return file_digest(path)[:8]


def save_weights(model: DamageModel, path: Path, *, meta: dict[str, Any] | None = None) -> Path:
    """Write a checkpoint in half precision (a few MB at most): config name, thresholds, weights."""
    state = {
        k: (v.half() if v.is_floating_point() else v) for k, v in model.net.state_dict().items()
    }
    payload = {
        "arch": ARCH_VERSION,
        "config": model.config.name,
        "classes": list(model.config.classes),
        "thresholds": dict(model.thresholds),
        "state_dict": state,
        "meta": meta or dict(model.meta),
    }
    return write_checkpoint(payload, path)


_CACHE: dict[tuple[str, str, float], DamageModel] = {}
_LOCK = threading.Lock()


def load_model(weights: str | Path | None = None, *, device: str | None = None) -> DamageModel:
    """Load a checkpoint (default: the committed one); cached per path, device and mtime."""
    path = Path(weights) if weights is not None else default_weights_path()
    if not path.is_file():
        raise FileNotFoundError(f"damage weights not found: {path}")
    device = device or default_device()
    key = (str(path.resolve()), device, path.stat().st_mtime)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        checkpoint = read_checkpoint(path)
        arch = checkpoint.payload.get("arch", ARCH_VERSION)
        model = model_from_payload(checkpoint.payload, checkpoint.version(arch), device)
        model.calibration, suffix = calibration_for(path, checkpoint.digest[:8])
        model.version += suffix
        _CACHE[key] = model
        return model


def model_from_payload(payload: dict[str, Any], version: str, device: str) -> DamageModel:
    """A DamageModel from our checkpoint format: {"arch", "config" (a registered name),
    "classes", "thresholds", "state_dict" (half precision), "meta"}."""
    net = cast(
        DamageUNet,
        load_module(
            DAMAGE_MODELS, payload["config"], {}, payload["state_dict"], device=device, frozen=True
        ),
    )
    config = net.config
    thresholds = {c: float(payload["thresholds"].get(c, DEFAULT_THRESHOLD)) for c in config.classes}
    return DamageModel(net, config, thresholds, version, device, dict(payload.get("meta", {})))


def model_version(weights: str | Path | None = None) -> str:
    """'damage-unet-v1+<sha256[:8] of the weights>' (and '+cal<sha256[:6]>' of the calibration
    when one applies) without loading the network."""
    path = Path(weights) if weights is not None else default_weights_path()
    digest = weights_digest(path)
    return f"{ARCH_VERSION}+{digest}{calibration_for(path, digest)[1]}"


def calibration_path(weights: Path) -> Path:
    """A checkpoint's calibration sidecar: 'damage_unet.pt' -> 'damage_unet.calibration.json'."""
    return weights.with_suffix(".calibration.json")


def calibration_for(weights: Path, digest: str) -> tuple[Calibration | None, str]:
    """The sidecar calibration of `weights` (whose `weights_digest` is `digest`) and its version
    suffix, when it was fitted on these very weights (a retrained checkpoint leaves an old sidecar
    unused, with a warning)."""
    side = calibration_path(weights)
    if not side.is_file():
        return None, ""
    calibration = Calibration.load(side)
    if calibration.weights != digest:
        logger.warning("%s was fitted on other weights; probabilities are not calibrated", side)
        return None, ""
    return calibration, f"+cal{file_digest(side)[:6]}"
