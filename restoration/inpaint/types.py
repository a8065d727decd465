"""Results of texture inpainting, shared by the command, the evaluation and the restoration job."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class InpaintInputError(ValueError):
    """An image or mask inpainting cannot use; `code` is stable, the message is for people."""

    CODES = (
        "size_mismatch",
        "empty_mask",
        "full_mask",
        "unsupported_mode",
        "not_an_image",
        "too_large",
        "unknown_method",
    )

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class CandidateScore:
    """One method tried on one region, with its no-reference score (higher is better)."""

    method: str
    score: float
    parts: dict[str, float] = field(default_factory=dict)


@dataclass
class RegionResult:
    """One connected damaged region (after merging near neighbours) and how it was filled."""

    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, x1/y1 exclusive
    pixels: int
    method: str
    model_version: str
    score: float
    # P(PSNR inside the region >= confidence.GOOD_PSNR), calibrated on the validation split;
    # None without a calibration (restoration.inpaint.confidence).
    confidence: float | None
    seconds: float
    candidates: list[CandidateScore] = field(default_factory=list)
    chosen_by: str = "score"  # or "curators": the bandit's pick among near-best scores
    predicted_psnr: float | None = None  # dB inside the region, same calibration

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["bbox"] = list(self.bbox)
        return data


@dataclass
class InpaintOutput:
    image: Any  # (H, W, 3) uint8 RGB; pixels outside the mask are the input's, bit for bit
    regions: list[RegionResult]
    device: str
    seconds: float
    method: str
