"""Where a click-to-walk in the gallery ends facing (static/js/lib/gallery-arrival.js, run in
Node; issue #22 item 14: a click on the floor could leave the visitor facing a blank wall)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULE = (ROOT / "static/js/lib/gallery-arrival.js").as_uri()
SCRIPT = """
import { arrivalYaw } from '%s';
const cases = JSON.parse(process.argv[2]);
console.log(JSON.stringify(cases.map((c) => arrivalYaw(c))));
"""
ROOM = {"key": "a", "bounds": {"min_x": 0, "max_x": 12, "min_z": 3, "max_z": 17}}
OTHER = {"key": "b", "bounds": {"min_x": 12, "max_x": 20, "min_z": 3, "max_z": 17}}


def look(yaw: float) -> tuple[float, float]:
    """The direction (x, z) a yaw looks in (three's heading: 0 looks towards -z)."""
    return (-math.sin(yaw), -math.cos(yaw))


@pytest.fixture(scope="module")
def arrival(tmp_path_factory: pytest.TempPathFactory):
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    script = tmp_path_factory.mktemp("arrival") / "arrival.mjs"
    script.write_text(SCRIPT % MODULE)

    def run(*cases: dict) -> list[float]:
        output = subprocess.run(
            ["node", "--no-warnings", str(script), json.dumps(cases)],
            capture_output=True, text=True, check=True, timeout=60, cwd=ROOT,
        ).stdout  # fmt: skip
        return json.loads(output)

    return run


def test_a_walk_ends_facing_the_nearest_object_ahead(arrival) -> None:
    items = [
        {"room": "a", "position": [3, 0, 6]},  # ahead and to the left
        {"room": "a", "position": [6, 0, 14]},  # behind
        {"room": "b", "position": [13, 0, 8]},  # nearer, but in another room
    ]
    (yaw,) = arrival({"from": [6, 12], "to": [6, 8], "rooms": [ROOM, OTHER], "items": items})
    dx, dz = look(yaw)
    assert math.isclose(dx, -3 / math.hypot(3, 2), abs_tol=1e-6)
    assert math.isclose(dz, -2 / math.hypot(3, 2), abs_tol=1e-6)


def test_near_a_wall_with_nothing_to_see_it_turns_to_the_room(arrival) -> None:
    towards_wall, open_floor = arrival(
        {"from": [6, 9], "to": [6, 4.2], "rooms": [ROOM], "items": []},
        {"from": [6, 14], "to": [6, 10], "rooms": [ROOM], "items": []},
    )
    assert look(towards_wall)[1] > 0.99, "it faces the north wall 1.2 m ahead"
    assert look(open_floor)[1] < -0.99, "in the open it keeps the walking direction"


def test_an_object_behind_is_still_better_than_a_wall(arrival) -> None:
    (yaw,) = arrival(
        {
            "from": [6, 8],
            "to": [6, 4],
            "rooms": [ROOM],
            "items": [{"room": "a", "position": [6, 0, 7]}],
        }
    )
    assert look(yaw)[1] > 0.99
