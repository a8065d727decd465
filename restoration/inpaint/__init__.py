"""Texture inpainting: a learned residual generator over a classical fill, the classical
baselines it is compared with, and region-cropped inference for large textures.

Nothing heavy is imported here: the web process imports this package (for InpaintInputError)
and must not load torch, which only the worker needs. METHODS and restore_texture come from
inference.py (which imports the learned model's modules) on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from restoration.inpaint.types import (
    CandidateScore,
    InpaintInputError,
    InpaintOutput,
    RegionResult,
)

if TYPE_CHECKING:
    from restoration.inpaint.inference import METHODS, restore_texture

__all__ = [
    "METHODS",
    "CandidateScore",
    "InpaintInputError",
    "InpaintOutput",
    "RegionResult",
    "restore_texture",
]

_FROM_INFERENCE = ("METHODS", "restore_texture")


def __getattr__(name: str) -> Any:
    if name in _FROM_INFERENCE:
        from restoration.inpaint import inference

        return getattr(inference, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
