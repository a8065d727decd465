"""Damage classes and the model configurations, built by name (timm style)."""

from __future__ import annotations

from dataclasses import dataclass

DAMAGE_CLASSES: tuple[str, ...] = ("crack", "loss", "corrosion", "fading")


@dataclass(frozen=True)
class ModelConfig:
    """Shape of one U-Net-like network.

    The stem halves the resolution at once (the cost of a full-resolution encoder is what made the
    prototype miss the 150 ms target); a light full-resolution branch keeps 1-px cracks crisp.
    """

    name: str
    encoder: tuple[int, ...]  # channels per level; level 0 sits at stride 2, each next one halves
    blocks: tuple[int, ...]  # depthwise-separable blocks per level
    full_res: int  # channels of the full-resolution image branch (0: none)
    head: int  # channels of the head before the per-class 1x1 convolution
    classes: tuple[str, ...] = DAMAGE_CLASSES
    cam_level: int = 1  # decoder level whose activations Grad-CAM explains (1 = stride 4)

    @property
    def stride(self) -> int:
        """Input sides must be a multiple of this (the inference pads to it)."""
        return 2 ** len(self.encoder)


MODEL_CONFIGS: dict[str, ModelConfig] = {
    "damage_unet": ModelConfig(
        name="damage_unet",
        encoder=(16, 32, 64, 96, 128),
        blocks=(1, 2, 2, 2, 2),
        full_res=8,
        head=16,
    ),
    # Same shape, deeper and wider where it is cheap (strides 8-32): six times the parameters for
    # about 1.1x the CPU time of damage_unet on a 512² tile (measured side by side, 2 threads).
    "damage_unet_m": ModelConfig(
        name="damage_unet_m",
        encoder=(16, 40, 96, 192, 320),
        blocks=(1, 2, 4, 4, 3),
        full_res=12,
        head=16,
    ),
    # Random-weight stand-in for fast tests of shapes, tiling and plumbing.
    "damage_unet_tiny": ModelConfig(
        name="damage_unet_tiny",
        encoder=(4, 8, 8, 16),
        blocks=(1, 1, 1, 1),
        full_res=4,
        head=4,
    ),
}

# Used when a checkpoint carries no calibrated thresholds (random-weight models).
DEFAULT_THRESHOLD = 0.5
