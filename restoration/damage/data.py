"""Training data: masonry crack photographs (prefix-grouped split), synthetic damage over heritage
images, and curators' corrections.

A data root is laid out like the shared data folder: `damage/masonry-cracks/{images,masks}`,
`images/` (artworks), `meshes/` (GLB scans whose colour textures are used). Missing parts are
skipped. Corrections: a folder of `<name>.png` images with `<name>_<class>.png` masks (white =
damage) for any of the classes; a class without a mask file is not trained on for that image.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from .config import DAMAGE_CLASSES
from .imageio import ImageInputError, load_image
from .synth import add_damage

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
MASONRY = Path("damage") / "masonry-cracks"


def masonry_group(name: str) -> str:
    """The source photograph of a patch: 'a_31_4.png' -> 'a_31'."""
    stem = Path(name).stem
    m = re.match(r"^(.*)_\d+$", stem)
    return m.group(1) if m else stem


def grouped_split(
    names: list[str], *, seed: int = 0, fractions: tuple[float, float, float] = (0.7, 0.1, 0.2)
) -> dict[str, list[str]]:
    """train / val / test lists with every group on one side, fixed by seed.

    Groups are shuffled, then the test and val sides are filled up to their share of images.
    """
    groups: dict[str, list[str]] = {}
    for n in sorted(names):
        groups.setdefault(masonry_group(n), []).append(n)
    order = sorted(groups)
    np.random.default_rng(seed).shuffle(order)
    total = len(names)
    want_test, want_val = fractions[2] * total, fractions[1] * total
    split: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    for g in order:
        side = "train"
        if len(split["test"]) + len(groups[g]) <= want_test + 2:
            side = "test"
        elif len(split["val"]) + len(groups[g]) <= want_val + 2:
            side = "val"
        split[side].extend(groups[g])
    return {k: sorted(v) for k, v in split.items()}


def read_mask(path: Path, shape: tuple[int, int] | None = None) -> np.ndarray:
    """A binary mask (white / non-zero = damage) as bool, resized with nearest if shape given."""
    rgb = load_image(path, max_pixels=100_000_000)
    mask = rgb.max(axis=2) > 127
    if shape is not None and mask.shape != shape:
        mask = (
            cv2.resize(mask.astype(np.uint8), (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
            > 0
        )
    return mask


def image_mask_pairs(images_dir: Path, masks_dir: Path) -> list[tuple[str, Path, Path]]:
    """(name, image, mask) for every image with a same-named mask (any image suffix)."""
    masks = {p.stem: p for p in masks_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    pairs = []
    for p in sorted(images_dir.iterdir()):
        if p.suffix.lower() in IMAGE_SUFFIXES and p.stem in masks:
            pairs.append((p.name, p, masks[p.stem]))
    return pairs


def masonry_pairs(root: Path) -> list[tuple[str, Path, Path]]:
    base = root / MASONRY
    if not (base / "images").is_dir() or not (base / "masks").is_dir():
        return []
    return image_mask_pairs(base / "images", base / "masks")


def _fit(img: np.ndarray, long_side: int) -> np.ndarray:
    h, w = img.shape[:2]
    s = long_side / max(h, w)
    if s >= 1:
        return img
    return cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


def heritage_images(root: Path, *, long_side: int = 640) -> list[np.ndarray]:
    """Artwork images and the colour textures of the scans, downscaled to `long_side`."""
    out = []
    folder = root / "images"
    if folder.is_dir():
        for p in sorted(folder.iterdir()):
            if p.suffix.lower() in IMAGE_SUFFIXES:
                try:
                    out.append(_fit(load_image(p), long_side))
                except ImageInputError as exc:
                    log.warning("skipping %s: %s", p, exc)
    out += mesh_textures(root / "meshes", long_side=long_side)
    return out


def mesh_textures(folder: Path, *, long_side: int = 640) -> list[np.ndarray]:
    """Base-colour textures of the GLB scans (normal and occlusion maps are not photographs)."""
    if not folder.is_dir():
        return []
    import trimesh

    out = []
    for p in sorted(folder.glob("*.glb")):
        try:
            scene = cast(trimesh.Scene, trimesh.load(p, force="scene"))  # force="scene"
        except Exception as exc:  # a scan trimesh cannot read is skipped, not fatal
            log.warning("skipping %s: %s", p, exc)
            continue
        for geom in scene.geometry.values():
            tex = getattr(getattr(geom.visual, "material", None), "baseColorTexture", None)
            if tex is not None:
                out.append(_fit(np.asarray(tex.convert("RGB")), long_side))
    return out


@dataclass
class Sample:
    image: np.ndarray  # (H, W, 3) uint8
    masks: np.ndarray  # (C, H, W) float32
    valid: np.ndarray  # (C,) float32: 1 where the class is labelled


def _augment(
    img: np.ndarray, masks: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    k = int(rng.integers(0, 4))
    img, masks = np.rot90(img, k, (0, 1)), np.rot90(masks, k, (1, 2))
    if rng.random() < 0.5:
        img, masks = img[:, ::-1], masks[:, :, ::-1]
    return np.ascontiguousarray(img), np.ascontiguousarray(masks)


def _jitter(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    gain = rng.uniform(0.75, 1.25, 3) * rng.uniform(0.8, 1.2)
    return np.clip(img * gain + rng.uniform(-0.08, 0.08), 0, 1).astype(np.float32)


def _crop(arrays: list[np.ndarray], size: int, rng: np.random.Generator) -> list[np.ndarray]:
    h, w = arrays[0].shape[:2]
    if h < size or w < size:
        py, px = max(0, size - h), max(0, size - w)
        arrays = [
            np.pad(a, ((0, py), (0, px)) + ((0, 0),) * (a.ndim - 2), mode="reflect") for a in arrays
        ]
        h, w = arrays[0].shape[:2]
    y, x = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    return [a[y : y + size, x : x + size] for a in arrays]


class DamageDataset(Dataset):
    """Mixes the three sources; each item is freshly augmented from (seed, epoch, index)."""

    def __init__(
        self,
        *,
        masonry: list[tuple[np.ndarray, np.ndarray]],
        heritage: list[np.ndarray],
        corrections: list[Sample],
        length: int,
        size: int = 224,
        seed: int = 0,
        synth_crack_on_masonry: float = 0.35,
    ) -> None:
        if not (masonry or heritage or corrections):
            raise ValueError(
                "no training data: no masonry pairs, heritage images or corrections found"
            )
        self.masonry, self.heritage, self.corrections = masonry, heritage, corrections
        self.length, self.size, self.seed = length, size, seed
        self.synth_p = synth_crack_on_masonry
        self.epoch = 0

    def __len__(self) -> int:
        return self.length

    def _source(self, rng: np.random.Generator) -> str:
        weights = np.array(
            [len(self.masonry) and 0.5, len(self.heritage) and 0.4, len(self.corrections) and 0.3],
            float,
        )
        return ("masonry", "heritage", "corrections")[int(rng.choice(3, p=weights / weights.sum()))]

    def sample(self, index: int) -> Sample:
        rng = np.random.default_rng((self.seed, self.epoch, index))
        c = len(DAMAGE_CLASSES)
        source = self._source(rng)
        if source == "masonry":
            img, crack = self.masonry[int(rng.integers(0, len(self.masonry)))]
            masks = np.zeros((c, *crack.shape), np.float32)
            masks[0] = crack
            img = _jitter(img.astype(np.float32) / 255.0, rng)
            if (
                rng.random() < self.synth_p
            ):  # thin synthetic cracks on real walls help thin real ones
                masks = np.maximum(masks, add_damage(img, rng, crack_only=True))
            valid = np.ones(c, np.float32)
        elif source == "heritage":
            src = self.heritage[int(rng.integers(0, len(self.heritage)))]
            scale = rng.uniform(0.35, 1.0)
            if scale < 0.97:
                src = cv2.resize(src, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            (img,) = _crop([src], self.size, rng)
            img = _jitter(img.astype(np.float32) / 255.0, rng)
            masks = add_damage(img, rng)
            valid = np.ones(c, np.float32)
        else:
            s = self.corrections[int(rng.integers(0, len(self.corrections)))]
            img, m = _crop([s.image, np.moveaxis(s.masks, 0, -1)], self.size, rng)
            img, masks = _jitter(img.astype(np.float32) / 255.0, rng), np.moveaxis(m, -1, 0)
            valid = s.valid
        if img.shape[0] != self.size or img.shape[1] != self.size:
            img, m = _crop([img, np.moveaxis(masks, 0, -1)], self.size, rng)
            masks = np.moveaxis(m, -1, 0)
        img, masks = _augment(img, masks, rng)
        return Sample((np.clip(img, 0, 1) * 255).astype(np.uint8), masks.astype(np.float32), valid)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        s = self.sample(index)
        x = torch.from_numpy(s.image).permute(2, 0, 1).float() / 255.0
        return x, torch.from_numpy(s.masks), torch.from_numpy(s.valid)


def load_corrections(folder: Path) -> list[Sample]:
    """Images `<name>.png` (any image suffix) with masks `<name>_<class>.png`; see module doc."""
    if not folder.is_dir():
        raise FileNotFoundError(f"corrections folder not found: {folder}")
    files = {p.stem: p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    suffixes = tuple(f"_{c}" for c in DAMAGE_CLASSES)
    out = []
    for stem, path in sorted(files.items()):
        if stem.endswith(suffixes):
            continue
        try:
            img = load_image(path)
        except ImageInputError as exc:
            log.warning("skipping correction %s: %s", path, exc)
            continue
        masks = np.zeros((len(DAMAGE_CLASSES), *img.shape[:2]), np.float32)
        valid = np.zeros(len(DAMAGE_CLASSES), np.float32)
        for i, c in enumerate(DAMAGE_CLASSES):
            mpath = files.get(f"{stem}_{c}")
            if mpath is not None:
                masks[i] = read_mask(mpath, img.shape[:2])
                valid[i] = 1.0
        if valid.any():
            out.append(Sample(img, masks, valid))
    return out
