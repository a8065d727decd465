"""Pack the training data for a lent GPU machine into `.gpu/data` (git-ignored; never committed).

    .venv/bin/python scripts/gpu/pack_data.py DATA [--out .gpu/data]

DATA is a data root with `images/` (artworks and `manifest.csv`), `damage/masonry-cracks/`
(`images/`, `masks/`) and `meshes/` (glTF scans). The copy keeps that layout and travels with
the `device` tool's `carry` (64 MiB in all): masonry photographs as JPEG quality 95 with their
masks as PNG, artworks downscaled to 1024 px on the long side as JPEG quality 88, the manifest
as it is (the trainers split by its `split_group`, so the sides are the same as on the full
data), and `meshes/` as it is (the scans' textures). Licences and READMEs are copied along.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import cv2
import numpy as np

SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}
LONG_SIDE = 1024


def _copy_texts(src: Path, dst: Path) -> None:
    for p in src.iterdir():
        if p.is_file() and p.suffix.lower() in {".md", ".csv", ".txt", ""}:
            shutil.copyfile(p, dst / p.name)


def _read(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"cannot read {path}")
    return image


def pack(root: Path, out: Path) -> int:
    """Write the copy; returns its size in bytes."""
    art_src, art_dst = root / "images", out / "images"
    art_dst.mkdir(parents=True, exist_ok=True)
    _copy_texts(art_src, art_dst)
    for p in sorted(art_src.iterdir()):
        if p.suffix.lower() not in SUFFIXES:
            continue
        image = _read(p)
        scale = LONG_SIDE / max(image.shape[:2])
        if scale < 1:
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        # Same file name: the manifest names files, and the suffix does not decide the decoder.
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 88])
        if not ok:
            raise SystemExit(f"cannot encode {p}")
        (art_dst / p.name).write_bytes(data.tobytes())
    masonry_src, masonry_dst = root / "damage" / "masonry-cracks", out / "damage" / "masonry-cracks"
    if masonry_src.is_dir():
        masonry_dst.mkdir(parents=True, exist_ok=True)
        _copy_texts(masonry_src, masonry_dst)
        for kind in ("images", "masks"):
            (masonry_dst / kind).mkdir(exist_ok=True)
            for p in sorted((masonry_src / kind).iterdir()):
                if p.suffix.lower() not in SUFFIXES:
                    continue
                if kind == "masks":  # exact masks: lossless
                    cv2.imwrite(str(masonry_dst / kind / f"{p.stem}.png"), _read(p))
                else:
                    target = masonry_dst / kind / f"{p.stem}.jpg"
                    cv2.imwrite(str(target), _read(p), [cv2.IMWRITE_JPEG_QUALITY, 95])
    meshes = root / "meshes"
    if meshes.is_dir():  # the scans' colour textures are training images for inpainting
        (out / "meshes").mkdir(exist_ok=True)
        for p in sorted(meshes.iterdir()):
            if p.is_file():  # copyfile: the copy stays writable even where DATA is read-only
                shutil.copyfile(p, out / "meshes" / p.name)
    return sum(p.stat().st_size for p in out.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("data", type=Path)
    ap.add_argument("--out", type=Path, default=Path(".gpu/data"))
    args = ap.parse_args()
    size = pack(args.data, args.out)
    print(f"{args.out}: {size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
