"""Training data for inpainting: crops of heritage images with damage-shaped masks.

Sources under the data root given as `--data` (each part is optional):
- `images/`: public-domain artworks; `manifest.csv` names a split group per file, and whole
  groups are held out for validation so no artist or design is on both sides;
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
from restoration.inpaint.classical import push_pull, telea
from restoration.inpaint.masks import crack_mask, large_mask

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp"}
MAX_SIDE = 1024
# Pillow's own refusal threshold (twice its warning one), as before the shared reader.
TRAINING_MAX_PIXELS = 2 * images.PILLOW_BOMB_PIXELS
HOLDOUT_SHARE = 0.3
# Masonry patches are many but small and alike: draw sources by share, not by count.
SOURCE_SHARES = {"artwork": 0.65, "masonry": 0.2, "scan": 0.15}


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def split_groups(folder: Path) -> dict[str, str]:
    """file name -> "train" | "holdout", by a hash of the manifest's split group (or of the
    file name when there is no manifest)."""
    groups: dict[str, str] = {}
    manifest = folder / "manifest.csv"
    if manifest.is_file():
        with manifest.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                groups[row["file"]] = row.get("split_group") or row["file"]
    out = {}
    for path in image_files(folder):
        group = groups.get(path.name, path.stem)
        bucket = int(hashlib.sha256(group.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        out[path.name] = "holdout" if bucket < HOLDOUT_SHARE else "train"
    return out


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
    """Images of `split` ("train" or "holdout") from every source found under `data`."""
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
            mask_path = masonry / "masks" / path.name
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


def sample_crop(pool: Pool, size: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A random crop at a random scale (0.5-1x of the stored image), flipped at random, and the
    mask unit of the scaled image (its short side / 512)."""
    image = pool.pick(rng)
    scale = rng.uniform(0.5, 1.0)
    h, w = image.shape[:2]
    if min(h, w) * scale < size:
        scale = size / min(h, w)
    if scale != 1.0:
        image = cv2.resize(
            image,
            (max(size, round(w * scale)), max(size, round(h * scale))),
            interpolation=cv2.INTER_AREA,
        )
    h, w = image.shape[:2]
    y, x = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    crop = image[y : y + size, x : x + size]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return np.ascontiguousarray(crop), min(h, w) / 512.0


def make_batch(
    pool: Pool, size: int, count: int, rng: np.random.Generator, context: float = 1.0
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
        region, unit = sample_crop(pool, outer, rng)
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
    fills = [telea(image, mask), push_pull(image, mask)]
    channels = [f.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0 for f in fills]
    return np.concatenate([*channels, mask[None].astype(np.float32)], axis=0)
