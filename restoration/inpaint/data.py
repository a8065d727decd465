"""Training data for inpainting: crops of heritage images with damage-shaped masks.

Sources under the data root given as `--data` (each part is optional):
- `images/`: public-domain artworks; `manifest.csv` names a split group per file, and whole
  groups go to one of train / validation / test so no artist, year or design is on two sides;
- `damage/masonry-cracks/`: masonry photographs (GPL-3.0: training only) and their crack masks,
  whose shapes become thin training masks;
- `meshes/*.glb`: the scans' base-colour textures.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from museum.common import images
from restoration.inpaint.classical import blended_fill
from restoration.inpaint.masks import crack_mask, large_mask

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp"}
MAX_SIDE = 1024
# Pillow's own refusal threshold (twice its warning one), as before the shared reader.
TRAINING_MAX_PIXELS = 2 * images.PILLOW_BOMB_PIXELS
# Shares of the artworks (in images) held out as whole groups: test first, then validation.
SPLIT_SHARES = (("test", 0.2), ("val", 0.15))
SPLITS = ("train", "val", "test")
SPLIT_SALT = "mouseion-inpaint-split-v2:"  # v1 (a 30 % "holdout") was used for choices
# Masonry patches are many but small and alike: draw sources by share, not by count.
SOURCE_SHARES = {"artwork": 0.65, "masonry": 0.2, "scan": 0.15}


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def split_groups(folder: Path) -> dict[str, str]:
    """file name -> "train" | "val" | "test", whole split groups at a time.

    Groups (the manifest's `split_group`, else the file name) are walked in the order of a
    salted SHA-256 and given to test until it holds SPLIT_SHARES' share of the images, then to
    validation, the rest to train (a group too large for the room left goes to train):
    deterministic, disjoint by group, sized in images."""
    groups: dict[str, str] = {}
    manifest = folder / "manifest.csv"
    if manifest.is_file():
        with manifest.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                groups[row["file"]] = row.get("split_group") or row["file"]
    files = [path.name for path in image_files(folder)]
    members: dict[str, list[str]] = {}
    for name in files:
        members.setdefault(groups.get(name, Path(name).stem), []).append(name)
    order = sorted(members, key=lambda g: hashlib.sha256((SPLIT_SALT + g).encode()).hexdigest())
    out: dict[str, str] = {}
    quotas = [(split, share * len(files)) for split, share in SPLIT_SHARES]
    for group in order:
        side, taken = "train", 0
        for split, quota in quotas:
            taken = sum(1 for v in out.values() if v == split)
            # A group that would overshoot the quota by much (a Mucha year) stays in train.
            if taken < quota and taken + len(members[group]) <= 1.2 * quota + 1:
                side = split
                break
        for name in members[group]:
            out[name] = side
    return dict(sorted(out.items()))


def load_rgb(path: Path | bytes, max_side: int = MAX_SIDE) -> np.ndarray:
    with images.read_image(path, max_pixels=TRAINING_MAX_PIXELS) as img:
        img = img.convert("RGB")
        scale = max_side / max(img.size)
        if scale < 1:
            size = (round(img.width * scale), round(img.height * scale))
            img = img.resize(size, Image.Resampling.LANCZOS)
        return np.asarray(img).copy()


@dataclass
class Pool:
    images: list[np.ndarray] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    crack_masks: list[np.ndarray] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def add(self, image: np.ndarray, name: str, source: str) -> None:
        self.images.append(image)
        self.names.append(name)
        self.sources.append(source)

    def pick(self, rng: np.random.Generator) -> np.ndarray:
        present = {s: w for s, w in SOURCE_SHARES.items() if s in self.sources}
        names, weights = list(present), np.array(list(present.values()))
        source = names[int(rng.choice(len(names), p=weights / weights.sum()))]
        indices = [i for i, s in enumerate(self.sources) if s == source]
        return self.images[indices[int(rng.integers(0, len(indices)))]]

    def describe(self) -> str:
        return f"{len(self.images)} images, {len(self.crack_masks)} real crack masks"


def load_pool(data: Path, split: str) -> Pool:
    """Images of `split` ("train", "val" or "test") from every source found under `data`;
    masonry and scans are training only."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    pool = Pool()
    artworks = data / "images"
    if artworks.is_dir():
        for name, side in sorted(split_groups(artworks).items()):
            if side == split:
                pool.add(load_rgb(artworks / name), name, "artwork")
    if split != "train":
        return pool
    masonry = data / "damage" / "masonry-cracks"
    if (masonry / "images").is_dir():
        for path in image_files(masonry / "images"):
            pool.add(load_rgb(path), f"masonry/{path.name}", "masonry")
            mask_path = masonry / "masks" / f"{path.stem}.png"  # images may be JPEG copies
            if mask_path.is_file():
                with images.read_image(mask_path, max_pixels=TRAINING_MAX_PIXELS) as img:
                    mask = np.asarray(img.convert("L")) > 127
                if mask.mean() > 0.003:
                    pool.crack_masks.append(mask)
    meshes = data / "meshes"
    if meshes.is_dir():
        for name, texture in _scan_textures(meshes):
            pool.add(texture, name, "scan")
    return pool


def _scan_textures(folder: Path) -> list[tuple[str, np.ndarray]]:
    from exhibits.intake.glb_document import GltfDocument
    from restoration.condition.textures import base_colour_textures

    textures = []
    for path in sorted(folder.glob("*.glb")):
        try:
            document = GltfDocument.from_glb(path.read_bytes())
            for texture in base_colour_textures(document):
                textures.append((f"{path.name}#{texture.image_index}", load_rgb(texture.data)))
        except Exception:  # a scan we cannot read is just not used for training
            continue
    return textures


def sample_mask(
    shape: tuple[int, int], rng: np.random.Generator, pool: Pool, unit: float | None = None
) -> np.ndarray:
    """A training mask for a region of `shape`; `unit` (the whole image's short side / 512)
    sizes strokes and losses as they would be on the whole image."""
    roll = rng.random()
    if roll < 0.2 and pool.crack_masks:
        real = pool.crack_masks[int(rng.integers(0, len(pool.crack_masks)))]
        mask = cv2.resize(real.astype(np.uint8), shape[::-1], interpolation=cv2.INTER_NEAREST)
        if shape[0] == shape[1]:
            mask = np.rot90(mask, int(rng.integers(0, 4)))
        return mask.astype(bool)
    if roll < 0.4:
        return crack_mask(shape, rng, unit=unit)
    return large_mask(shape, rng, unit=unit)


def sample_crop(
    pool: Pool, size: int, rng: np.random.Generator, augment: bool = False
) -> tuple[np.ndarray, float]:
    """A random crop at a random scale (0.5-1x of the stored image), flipped at random, and the
    mask unit of the scaled image (its short side / 512). Only the window is resized.

    `augment` adds quarter turns, vertical flips and a mild per-channel gain and offset."""
    image = pool.pick(rng)
    scale = rng.uniform(0.5, 1.0)
    h, w = image.shape[:2]
    if min(h, w) * scale < size:
        scale = size / min(h, w)
    sh, sw = max(size, round(h * scale)), max(size, round(w * scale))
    y, x = int(rng.integers(0, sh - size + 1)), int(rng.integers(0, sw - size + 1))
    y0, x0 = int(y * h / sh), int(x * w / sw)
    y1, x1 = min(h, y0 + max(1, round(size * h / sh))), min(w, x0 + max(1, round(size * w / sw)))
    crop = image[y0:y1, x0:x1]
    if crop.shape[:2] != (size, size):
        crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    if augment:
        crop = np.rot90(crop, int(rng.integers(0, 4)))
        if rng.random() < 0.5:
            crop = crop[::-1]
        gain = rng.uniform(0.9, 1.1, 3) * rng.uniform(0.85, 1.15)
        offset = rng.uniform(-12, 12, 3)
        crop = np.clip(crop.astype(np.float32) * gain + offset + 0.5, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(crop), min(sh, sw) / 512.0


def make_batch(
    pool: Pool,
    size: int,
    count: int,
    rng: np.random.Generator,
    context: float = 1.0,
    augment: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(inputs (B, 7, S, S) in [-1, 1], targets (B, 3, S, S) in [-1, 1]).

    With `context` > 1 the mask is drawn, and the classical fills computed, over a region
    `context` times the crop's side, with strokes sized for the whole image; the crop is cut
    from its middle. That is what inference sees: fills over the whole damaged region, holes
    as wide as on the whole texture."""
    inputs = np.empty((count, 7, size, size), np.float32)
    targets = np.empty((count, 3, size, size), np.float32)
    outer = max(size, round(size * context / 4) * 4)
    for i in range(count):
        region, unit = sample_crop(pool, outer, rng, augment)
        mask = sample_mask((outer, outer), rng, pool, unit=unit if context > 1 else None)
        encoded = encode(region, mask) if mask.any() and not mask.all() else None
        y = x = (outer - size) // 2
        for _ in range(8):  # prefer a crop that holds some damage and some intact paint
            share = mask[y : y + size, x : x + size].mean()
            if 0.01 < share < 0.9:
                break
            y, x = (int(v) for v in rng.integers(0, outer - size + 1, 2))
        crop_mask = mask[y : y + size, x : x + size]
        crop = region[y : y + size, x : x + size]
        if encoded is None or not crop_mask.any() or crop_mask.all():
            crop_mask = np.zeros((size, size), bool)
            crop_mask[size // 3 : size // 2, size // 3 : size // 2] = True
            inputs[i] = encode(crop, crop_mask)
        else:
            inputs[i] = encoded[:, y : y + size, x : x + size]
        targets[i] = crop.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0
    return inputs, targets


def encode(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The generator's input for one crop: Telea fill, push-pull fill, mask, as (7, H, W)."""
    fills = blended_fill(image, mask)
    channels = [f.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0 for f in fills]
    return np.concatenate([*channels, mask[None].astype(np.float32)], axis=0)


# uint8 -> [-1, 1] as `encode` computes it (float32 v / 127.5 - 1), looked up: one pass.
_UNIT = np.arange(256, dtype=np.float32) / np.float32(127.5) - np.float32(1.0)


def encode_channels_last(
    image: np.ndarray, mask: np.ndarray, fills: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """`encode`'s numbers laid out (H, W, 7), as the channels-last network reads them, without
    the transposed float copies; `fills`: the crop's `blended_fill` when the caller has it."""
    fast, smooth = fills if fills is not None else blended_fill(image, mask)
    out = np.empty((*mask.shape, 7), np.float32)
    out[..., 0:3] = _UNIT[fast]
    out[..., 3:6] = _UNIT[smooth]
    out[..., 6] = mask
    return out
