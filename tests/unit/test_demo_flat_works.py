"""The demo's flat works as committed: every image is web-sized, credited and catalogued, the
regions lie inside their pictures, and the new rooms fit beside the old ones on the plan.
(Seeding them through the image intake is tested with the whole demo, test_demo_and_roles.)"""

from __future__ import annotations

import re

import pytest
import pyvips

from exhibits.demo.flat_works import (
    FLAT_DIR,
    FLAT_LABELS_FR,
    FLAT_PASSAGES,
    FLAT_ROOMS,
    FLAT_TOUR_STOPS,
    FLAT_WORKS,
)
from museum.management.commands.seed_floor_plan import ROOMS

ATTRIBUTION = FLAT_DIR.parent / "ATTRIBUTION.md"
BY_FILE = {work.filename: work for work in FLAT_WORKS}


def attribution_rows() -> dict[str, list[str]]:
    """The rows of ATTRIBUTION.md's flat-works table, by file name."""
    rows = {}
    for line in ATTRIBUTION.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and cells[0].endswith(".jpg"):
            rows[cells[0]] = cells
    return rows


def test_every_committed_image_is_a_credited_catalogued_work() -> None:
    committed = sorted(path.name for path in FLAT_DIR.iterdir())
    assert len(committed) >= 12
    assert committed == sorted(BY_FILE), "an image without a record, or a record without image"
    rows = attribution_rows()
    for name in committed:
        assert name in rows, f"{name} has no attribution entry"
        _file, title, maker, date, source, licence = rows[name]
        record = BY_FILE[name].record
        assert (title, maker, date) == (record["title"], record["maker"], record["date_text"])
        assert source and "Public domain" in licence
        assert record["rights"] == "Public domain" and record["attribution"]


def test_every_work_has_a_label_in_both_languages() -> None:
    assert set(FLAT_LABELS_FR) == set(BY_FILE)
    assert all(work.label and FLAT_LABELS_FR[work.filename] for work in FLAT_WORKS)


def test_images_are_small_web_size_srgb_jpegs_of_varied_shape_and_kind() -> None:
    total = 0
    shapes = []
    for work in FLAT_WORKS:
        path = FLAT_DIR / work.filename
        total += path.stat().st_size
        image = pyvips.Image.new_from_file(str(path))
        assert image.get("vips-loader") == "jpegload"
        assert max(image.width, image.height) <= 1600, work.filename
        assert (image.bands, image.interpretation) == (3, "srgb"), work.filename
        shapes.append(image.width / image.height)
    assert total < 6 * 1024 * 1024, f"{total / 1e6:.1f} MB of demo images"
    assert min(shapes) < 1 / 1.5 and max(shapes) > 1.5  # one tall, one wide
    kinds = {work.record["classification"] for work in FLAT_WORKS}
    assert {"painting", "print", "textile design"} <= kinds


def test_sizes_are_catalogued_never_guessed() -> None:
    """A size only where the data or the holding museum's catalogue states it, and then also as
    the record's dimensions text; the others stay unknown (hung at the marked default)."""
    for work in FLAT_WORKS:
        sized = work.width_cm is not None and work.height_cm is not None
        assert sized == bool(work.record.get("dimensions")), work.filename
        if sized:
            numbers = [
                float(n) for n in re.findall(r"\d+(?:\.\d+)?", str(work.record["dimensions"]))
            ]
            assert numbers == [work.height_cm, work.width_cm]  # "H × W cm"
    assert 0 < sum(work.width_cm is not None for work in FLAT_WORKS) < len(FLAT_WORKS)


@pytest.mark.parametrize("work", [w for w in FLAT_WORKS if w.regions], ids=lambda w: w.filename)
def test_regions_lie_inside_their_picture(work) -> None:
    image = pyvips.Image.new_from_file(str(FLAT_DIR / work.filename))
    for region in work.regions:
        x, y, w, h = region.xywh
        assert w > 0 and h > 0 and x >= 0 and y >= 0, region.title
        assert x + w <= image.width and y + h <= image.height, region.title
        assert region.text


def test_tour_stops_name_existing_regions_of_several_works() -> None:
    regions = {(work.filename, region.title) for work in FLAT_WORKS for region in work.regions}
    assert all(stop in regions for stop in FLAT_TOUR_STOPS)
    assert len({filename for filename, _title in FLAT_TOUR_STOPS}) >= 5


def test_flat_rooms_join_the_plan_without_overlapping() -> None:
    rooms = {spec[0]: spec[2:6] for spec in ROOMS} | {spec[0]: spec[2:6] for spec in FLAT_ROOMS}

    def overlap(a: str, b: str) -> bool:
        (ax, ay, aw, ad), (bx, by, bw, bd) = rooms[a], rooms[b]
        return abs(ax - bx) < (aw + bw) / 2 - 1e-9 and abs(ay - by) < (ad + bd) / 2 - 1e-9

    codes = list(rooms)
    assert not [(a, b) for i, a in enumerate(codes) for b in codes[i + 1 :] if overlap(a, b)]
    assert all(a in rooms and b in rooms for a, b in FLAT_PASSAGES)
    assert {work.room for work in FLAT_WORKS} == {spec[0] for spec in FLAT_ROOMS}
