"""Framework-free pieces of the flat-work condition benchmark, run in child processes (spawn) so
each measurement's peak memory is its own: the synthetic painting, the tiled detection of a
large image, and the texture path's `detect` on pixels loaded whole (the baseline)."""

from __future__ import annotations

import itertools
import math
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

CRACK_AT = (0.55, 0.40)  # where the drawn crack starts, as fractions of width and height


def make_painting(path: Path, width: int, height: int) -> tuple[int, int, int, int]:
    """A painting-like tiled TIFF (JPEG tiles): smooth colour fields, one dark wavy crack 3 px
    wide about 600 px long. Returns the crack's box (x, y, w, h)."""
    import pyvips

    bands = [pyvips.Image.perlin(width, height, cell_size=400, seed=s) for s in (1, 2, 3)]
    image = (bands[0].bandjoin(bands[1:]) * 35 + [150, 128, 96]).cast("uchar").copy_memory()
    x0, y0 = int(width * CRACK_AT[0]), int(height * CRACK_AT[1])
    points = [(x0 + 2 * i, y0 + int(30 * math.sin(i / 15))) for i in range(300)]
    for (xa, ya), (xb, yb) in itertools.pairwise(points):
        for dy in (-1, 0, 1):
            image = image.draw_line([30, 25, 20], xa, ya + dy, xb, yb + dy)
    image.tiffsave(str(path), tile=True, tile_width=256, tile_height=256, compression="jpeg", Q=92)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys) - 1, max(xs) - min(xs) + 1, max(ys) - min(ys) + 3


def _warm(model: Any) -> None:
    """One tile through both networks first: the first call of a shape pays oneDNN's set-up."""
    import numpy as np

    from restoration.damage import detect

    detect(np.full((512, 512, 3), 128, np.uint8), model=model, explain=False)
    detect(np.full((512, 512, 3), 128, np.uint8), model=model, explain=False, reference=True)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def tiled(path: str, crop: tuple[int, int, int, int] | None = None) -> dict[str, Any]:
    """The flat-work path: open_srgb (sequential) + tiled_image.detect_image."""
    from exhibits.imaging.raster import open_srgb
    from restoration.damage import load_model
    from restoration.damage.tiled_image import detect_image

    model = load_model(device="cpu")
    _warm(model)
    before = _peak_mb()
    image = open_srgb(Path(path))
    if crop is not None:
        image = image.crop(*crop)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        result = detect_image(image, Path(folder), model=model)
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "megapixels": result.width * result.height / 1e6,
        "peak_mb": _peak_mb(),
        "peak_before_mb": before,  # the model loaded and warm
        "crack_regions": result.regions["crack"][:3],
        "crack_pixels": result.pixels["crack"],
    }


def whole(path: str, crop: tuple[int, int, int, int]) -> dict[str, Any]:
    """The texture path: the pixels loaded whole, `detect` without Grad-CAM (as the tiled path)."""
    import numpy as np

    from exhibits.imaging.raster import open_srgb
    from restoration.damage import detect, load_model

    model = load_model(device="cpu")
    _warm(model)
    before = _peak_mb()
    start = time.perf_counter()
    pixels = np.asarray(open_srgb(Path(path), access="random").crop(*crop).numpy())
    result = detect(pixels, model=model, explain=False)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "megapixels": pixels.shape[0] * pixels.shape[1] / 1e6,
        "peak_mb": _peak_mb(),
        "peak_before_mb": before,  # the model loaded and warm
        "crack_pixels": int(result.masks["crack"].sum()),
    }
