"""The three-way split of the inpainting data (grouped by artwork group, disjoint), the
evaluation command's default (the test split) and the GPU trainer's contract on a tiny run."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from django.core.management import call_command
from PIL import Image

from restoration.inpaint.data import SPLIT_SHARES, load_pool, split_groups


def artworks(folder: Path, groups: dict[str, int], size: tuple[int, int] = (96, 80)) -> Path:
    """`groups`: split group -> number of images; writes the images and a manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    rng = np.random.default_rng(0)
    for group, count in groups.items():
        for i in range(count):
            name = f"{group}-{i}.png"
            pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / name)
            rows.append({"file": name, "split_group": group})
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "split_group"])
        writer.writeheader()
        writer.writerows(rows)
    return folder


def test_split_is_three_way_grouped_disjoint_and_deterministic(tmp_path: Path) -> None:
    groups = {f"artist-{i}": 1 + i % 4 for i in range(40)}
    folder = artworks(tmp_path / "images", groups, (16, 16))
    sides = split_groups(folder)
    assert sides == split_groups(folder)
    assert set(sides.values()) == {"train", "val", "test"}
    for group in groups:
        assert len({sides[f"{group}-{i}.png"] for i in range(groups[group])}) == 1
    total = len(sides)
    for split, share in SPLIT_SHARES:
        count = sum(1 for side in sides.values() if side == split)
        assert share * total <= count <= 1.2 * share * total + 4


def test_a_group_too_large_for_the_room_left_stays_in_train(tmp_path: Path) -> None:
    groups = {"huge": 30, **{f"small-{i}": 1 for i in range(20)}}
    sides = split_groups(artworks(tmp_path / "images", groups, (16, 16)))
    assert sides["huge-0.png"] == "train"


def test_pools_hold_only_their_split_and_masonry_only_trains(tmp_path: Path) -> None:
    folder = artworks(tmp_path / "images", {f"g{i}": 2 for i in range(12)})
    masonry = tmp_path / "damage" / "masonry-cracks"
    (masonry / "images").mkdir(parents=True)
    (masonry / "masks").mkdir()
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(masonry / "images" / "m.jpg")
    crack = np.zeros((64, 64), np.uint8)
    crack[30:33] = 255
    Image.fromarray(crack).save(masonry / "masks" / "m.png")  # JPEG copies keep PNG masks
    sides = split_groups(folder)
    for split in ("train", "val", "test"):
        pool = load_pool(tmp_path, split)
        artwork_names = {n for n, s in zip(pool.names, pool.sources, strict=True) if s == "artwork"}
        assert artwork_names == {n for n, side in sides.items() if side == split}
        assert ("masonry/m.jpg" in pool.names) == (split == "train")
    assert len(load_pool(tmp_path, "train").crack_masks) == 1
    with pytest.raises(ValueError, match="split"):
        load_pool(tmp_path, "holdout")


def test_eval_inpaint_reads_the_test_split_unless_told(tmp_path: Path) -> None:
    folder = artworks(tmp_path / "images", {f"g{i}": 1 for i in range(10)})
    sides = split_groups(folder)

    def run(*extra: str) -> str:
        out = io.StringIO()
        args = ["--images", str(folder), "--methods", "telea", *extra]
        call_command("eval_inpaint", *args, stdout=out)
        return out.getvalue()

    count = {s: sum(1 for v in sides.values() if v == s) for s in ("test", "val")}
    assert f"split test: {count['test']} images" in run()
    assert f"split val: {count['val']} images" in run("--split", "val")
    assert f"split all: {len(sides)} images" in run("--split", "all")


def test_gpu_trainer_writes_only_valid_snapshots_and_a_log(tmp_path: Path) -> None:
    from restoration.inpaint.gpu_train import main
    from restoration.inpaint.model import InpaintGenerator

    data = tmp_path / "data"
    artworks(data / "images", {f"g{i}": 1 for i in range(8)}, (120, 100))
    out = tmp_path / "out"
    args = ["--data", str(data), "--out", str(out), "--minutes", "0.3", "--device", "cpu"]
    args += ["--workers", "1", "--batch", "2", "--crop", "64", "--buffer", "8"]
    main([*args, "--snapshot-every", "4", "--save-every", "2"])
    assert sorted(p.name for p in out.iterdir()) == ["log.txt", "snapshots.pt"]
    state = torch.load(out / "snapshots.pt", map_location="cpu", weights_only=True)
    # (steps may be 0 on a loaded machine: the contract is the files and the time budget)
    assert state["latest"]["final"] and state["latest"]["steps"] >= 0
    assert state["latest"]["seconds"] <= 0.3 * 60 + 5
    generator = InpaintGenerator(**state["config"])
    generator.load_state_dict(state["latest"]["generator"])
    assert "done:" in (out / "log.txt").read_text()


def test_gpu_trainer_init_loads_a_shipped_checkpoint_and_refuses_another_architecture(
    tmp_path: Path,
) -> None:
    from restoration.inpaint.gpu_train import ARCHITECTURE, init_from
    from restoration.inpaint.model import InpaintGenerator, PatchDiscriminator
    from restoration.inpaint.train import export

    torch.manual_seed(1)
    shipped_g = InpaintGenerator(**ARCHITECTURE)  # type: ignore[arg-type]
    shipped_d = PatchDiscriminator(width=24)
    export(shipped_g, shipped_d, tmp_path / "shipped.pt")
    torch.manual_seed(2)
    g, d = InpaintGenerator(**ARCHITECTURE), PatchDiscriminator(width=24)  # type: ignore[arg-type]
    init_from(tmp_path / "shipped.pt", g, d)
    for mine, theirs in ((g, shipped_g), (d, shipped_d)):
        for (name, a), b in zip(
            mine.state_dict().items(), theirs.state_dict().values(), strict=True
        ):
            assert torch.equal(a, b), name
    export(
        InpaintGenerator(width=4, dilations=(1, 2)), PatchDiscriminator(width=4), tmp_path / "o.pt"
    )
    with pytest.raises(SystemExit, match="architecture"):
        init_from(tmp_path / "o.pt", g, d)


def test_calibrate_inpaint_reads_only_validation_and_writes_the_sidecar(tmp_path: Path) -> None:
    from restoration.inpaint.confidence import Calibration
    from restoration.inpaint.model import InpaintGenerator, PatchDiscriminator
    from restoration.inpaint.train import export

    folder = artworks(tmp_path / "images", {f"g{i}": 1 for i in range(12)}, (120, 100))
    val = sorted(n for n, side in split_groups(folder).items() if side == "val")
    torch.manual_seed(0)
    weights = tmp_path / "w.pt"
    export(InpaintGenerator(width=4, dilations=(1, 2)), PatchDiscriminator(width=4), weights)
    out = io.StringIO()
    args = ["--images", str(folder), "--weights", str(weights), "--classical", "telea"]
    call_command("calibrate_inpaint", *args, "--plan", stdout=out)
    text = out.getvalue()
    assert f"validation split: {len(val)} images" in text
    assert "plan picks the best method by reference in" in text
    assert Calibration.load(tmp_path / "w.confidence.json") is not None
