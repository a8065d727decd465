"""The thin-damage refiner: a small full-resolution network for cracks a few pixels wide.

On cracks the classical Navier-Stokes fill is already close (every damaged pixel is a pixel or
two from intact paint) and the large-hole generator, which works mostly at 1/4 and 1/8
resolution, is worse than it. This net starts from the Navier-Stokes fill and learns a
residual at full resolution with a local receptive field (about 45 px, dilated residual
blocks): continuing lines and texture across the crack, which diffusion blurs. The residual
head starts at zero, so an untrained net is exactly Navier-Stokes. No normalisation layers.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from restoration.inpaint.model import INPAINT_MODELS

THIN = "inpaint_thin"
THIN_INPUT_CHANNELS = 7  # Navier-Stokes fill RGB, Telea fill RGB, mask


class _Block(nn.Module):
    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.mix = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mix(F.gelu(self.conv(x)))


@INPAINT_MODELS.register(THIN)
class ThinRefiner(nn.Module):
    """(B, 7, H, W) in [-1, 1] -> (B, 3, H, W): the Navier-Stokes fill plus a learned residual
    inside the mask; known pixels pass through."""

    def __init__(self, width: int = 32, dilations: tuple[int, ...] = (1, 2, 4, 8, 4, 2, 1)):
        super().__init__()
        self.stem = nn.Conv2d(THIN_INPUT_CHANNELS, width, 3, padding=1)
        self.blocks = nn.Sequential(*(_Block(width, d) for d in dilations))
        self.out = nn.Conv2d(width, 3, 3, padding=1)
        nn.init.zeros_(self.out.weight)  # starts as Navier-Stokes
        assert self.out.bias is not None
        nn.init.zeros_(self.out.bias)
        self.config: dict[str, object] = {"width": width, "dilations": list(dilations)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ns, mask = x[:, 0:3], x[:, 6:7]
        h = self.blocks(F.gelu(self.stem(x)))
        filled = (ns + self.out(F.gelu(h))).clamp(-1.0, 1.0)
        return filled * mask + ns * (1 - mask)  # outside the mask the fills are the image


def encode_thin(image: np.ndarray, mask: np.ndarray, telea: np.ndarray | None = None) -> np.ndarray:
    """The refiner's input for one region, (H, W, 7) float32 in [-1, 1], channels last:
    Navier-Stokes fill, Telea fill (`telea` when the caller has it), mask."""
    from restoration.inpaint.classical import navier_stokes
    from restoration.inpaint.classical import telea as telea_fill

    out = np.empty((*mask.shape, 7), np.float32)
    out[..., 0:3] = navier_stokes(image, mask).astype(np.float32) / 127.5 - 1.0
    fast = telea if telea is not None else telea_fill(image, mask)
    out[..., 3:6] = fast.astype(np.float32) / 127.5 - 1.0
    out[..., 6] = mask
    return out
