"""Benchmark: the committed damage weights against the classical black-hat crack detector.

Same held-out masonry split (prefix-grouped, seed 0), same machine, same run: pixel P/R/F1 at 0
and 2 px, ODS, OIS, mIoU, and CPU milliseconds per 512² tile, with the ratios printed. Needs the
real data (MOUSEION_DATA); `make bench` runs it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from restoration.damage import load_model
from restoration.damage.data import MASONRY, grouped_split, image_mask_pairs
from restoration.damage.evaluation import compare, format_table, load_pairs, tile_ms
from restoration.damage.inference import predict_probabilities


def masonry_root() -> Path:
    data = os.environ.get("MOUSEION_DATA")
    if not data or not (Path(data) / MASONRY / "images").is_dir():
        pytest.skip("MOUSEION_DATA with damage/masonry-cracks is not available")
    return Path(data) / MASONRY


def test_bench_damage_heldout_masonry() -> None:
    root = masonry_root()
    names = grouped_split([n for n, _, _ in image_mask_pairs(root / "images", root / "masks")])
    pairs = load_pairs(root / "images", root / "masks", names["test"])
    model = load_model(device="cpu")
    result = compare(model, pairs)
    print(
        f"\nheld-out masonry split: {len(pairs)} patches, torch threads {torch.get_num_threads()}"
    )
    print(format_table(result))
    print(json.dumps({k: result[k] for k in ("model", "baseline")}, indent=2))
    # Sanity only (benchmarks report, they do not time-gate): the network beats the baseline.
    assert result["model"]["f1@2px"] > result["baseline"]["f1@2px"]


def test_bench_damage_cpu_tile_time_by_threads() -> None:
    masonry_root()
    model = load_model(device="cpu")
    before = torch.get_num_threads()
    try:
        for threads in sorted({1, before}):
            torch.set_num_threads(threads)
            ms = tile_ms(lambda t: predict_probabilities(t, model), repeats=7)
            print(f"\n{threads} thread(s): {ms:.1f} ms per 512² tile, {1000 / ms:.1f} tiles/s")
    finally:
        torch.set_num_threads(before)
