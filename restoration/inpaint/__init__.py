"""Texture inpainting: a learned residual generator over a classical fill, the classical
baselines it is compared with, and region-cropped inference for large textures.

Nothing heavy is imported here; torch loads only when the learned method runs.
"""

from restoration.inpaint.inference import METHODS, restore_texture
from restoration.inpaint.types import (
    CandidateScore,
    InpaintInputError,
    InpaintOutput,
    RegionResult,
)

__all__ = [
    "METHODS",
    "CandidateScore",
    "InpaintInputError",
    "InpaintOutput",
    "RegionResult",
    "restore_texture",
]
