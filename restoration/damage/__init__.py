"""Damage detection on relic images: framework-free (no Django), PyTorch on CUDA or CPU.

`load_image` -> `detect` -> `write_outputs` is the whole path;
`build_model("damage_unet_tiny")` gives a random-weight network for fast tests.
`MODEL_VERSION` is computed from the committed weights on first access.
"""

from __future__ import annotations

from typing import Any

from .config import DAMAGE_CLASSES, MODEL_CONFIGS, ModelConfig
from .imageio import ImageInputError, load_image
from .inference import DamageResult, detect, explain, predict_probabilities, write_outputs
from .model import (
    DamageModel,
    build_model,
    default_weights_path,
    load_model,
    model_version,
    save_weights,
)

__all__ = [
    "DAMAGE_CLASSES",
    "MODEL_CONFIGS",
    "MODEL_VERSION",
    "DamageModel",
    "DamageResult",
    "ImageInputError",
    "ModelConfig",
    "build_model",
    "default_weights_path",
    "detect",
    "explain",
    "load_image",
    "load_model",
    "model_version",
    "predict_probabilities",
    "save_weights",
    "write_outputs",
]


def __getattr__(name: str) -> Any:
    # Lazy so that importing the package reads no weights file.
    if name == "MODEL_VERSION":
        return model_version()
    raise AttributeError(name)
