"""Region annotations on a 3D model (#23), run in Node: the shape check, the polygon's fill
triangulated on its best-fit plane, the outline lifted off the surface, and the layers of
classes (static/js/lib/region-shape.js, layers-control.js)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHAPE = (ROOT / "static/js/lib/region-shape.js").as_uri()
LAYERS = (ROOT / "static/js/lib/layers-control.js").as_uri()
THREE = (ROOT / "node_modules/three/build/three.module.js").as_uri()
SCRIPT = """
const THREE = await import('%s');
const { parseShape, triangulate, regionAnchor, regionObject } = await import('%s');
const { layersOf } = await import('%s');
const input = JSON.parse(process.argv[2]);
const out = {};
out.parsed = input.shapes.map((shape) => parseShape(shape));
out.triangles = input.loops.map((loop) => triangulate(loop.map((p) => new THREE.Vector3(...p))));
out.anchor = input.shapes.length ? regionAnchor(parseShape(input.shapes[0])) : null;
out.objects = input.shapes.filter((s) => parseShape(s)).map((shape) => {
  const object = regionObject(parseShape(shape), { colour: '#c03020', size: 1 });
  const positions = [];
  object.traverse((child) => {
    if (child.isMesh && child.name !== 'region-fill') {
      positions.push(...child.geometry.getAttribute('position').array);
    }
  });
  return {
    children: object.children.map((c) => c.type + ':' + c.name),
    ys: positions.filter((_, i) => i %% 3 === 1),
  };
});
out.layers = layersOf(input.annotations, { unclassified: 'Unclassified' });
console.log(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    script = tmp_path_factory.mktemp("regions") / "regions.mjs"
    script.write_text(SCRIPT % (THREE, SHAPE, LAYERS))

    def call(**payload: object) -> dict:
        output = subprocess.run(
            ["node", "--no-warnings", str(script), json.dumps(payload)],
            capture_output=True, text=True, check=True, timeout=60, cwd=ROOT,
        ).stdout  # fmt: skip
        return json.loads(output)

    return call


FLOOR = [[0, 0, 0], [1, 0, 0], [1, 0, 1], [0, 0, 1]]  # on y = 0, normals up
UP = [[0, 1, 0]] * 4


def test_the_shape_check_follows_the_contract(run) -> None:
    shapes = [
        {"type": "polygon", "points": FLOOR, "normals": UP},
        {"type": "polygon", "points": FLOOR[:2]},  # a polygon needs three points
        {"type": "polyline", "points": [[0, 0, 0], [1, "x", 0]]},
        {"type": "circle", "points": FLOOR},
        {"type": "polyline", "points": FLOOR[:2], "normals": UP[:1]},  # normals dropped
    ]
    parsed = run(shapes=shapes, loops=[], annotations=[])["parsed"]
    assert parsed[0] == {"type": "polygon", "points": FLOOR, "normals": UP}
    assert parsed[1:4] == [None, None, None]
    assert parsed[4] == {"type": "polyline", "points": FLOOR[:2], "normals": None}


def area(loop: list[list[float]], triangles: list[int]) -> float:
    total = 0.0
    for i in range(0, len(triangles), 3):
        a, b, c = (loop[j] for j in triangles[i : i + 3])
        u = [b[k] - a[k] for k in range(3)]
        v = [c[k] - a[k] for k in range(3)]
        cross = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]
        total += math.sqrt(sum(x * x for x in cross)) / 2
    return total


def test_a_concave_polygon_on_a_tilted_plane_is_filled_exactly(run) -> None:
    # An L of area 3 in the plane x + y + z = 1 (tilted, not along any axis), slightly bumpy.
    flat = [(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)]
    u = [1 / math.sqrt(2), -1 / math.sqrt(2), 0]
    v = [1 / math.sqrt(6), 1 / math.sqrt(6), -2 / math.sqrt(6)]
    loop = [[a * u[k] + b * v[k] for k in range(3)] for a, b in flat]
    line = [[0, 0, 0], [1, 1, 1], [2, 2, 2]]  # no area: no fill
    triangles, degenerate = run(shapes=[], loops=[loop, line], annotations=[])["triangles"]
    assert len(triangles) == 3 * (len(flat) - 2)
    assert area(loop, triangles) == pytest.approx(3.0, rel=1e-6)
    assert degenerate is None


def test_the_outline_lies_lifted_off_the_surface_and_only_polygons_are_filled(run) -> None:
    shapes = [
        {"type": "polygon", "points": FLOOR, "normals": UP},
        {"type": "polyline", "points": FLOOR[:3], "normals": UP[:3]},
    ]
    out = run(shapes=shapes, loops=[], annotations=[])
    polygon, polyline = out["objects"]
    assert "Mesh:region-fill" in polygon["children"]
    assert "Mesh:region-fill" not in polyline["children"]
    # The ribbon floats above the floor along the normals (0.4 % of the size), never below it.
    for drawn in (polygon, polyline):
        assert drawn["ys"] and all(0.003 < y < 0.005 for y in drawn["ys"]), drawn["ys"][:6]
    # The hotspot goes to a point of the shape, with its normal.
    assert out["anchor"]["position"] in FLOOR and out["anchor"]["normal"] == [0, 1, 0]


def test_layers_are_the_classes_present_counted(run) -> None:
    crack = {"id": 3, "name": "Fissure", "colour": "#c03020"}
    annotations = [{"class": crack}, {"class": None}, {"class": crack}]
    layers = run(shapes=[], loops=[], annotations=annotations)["layers"]
    assert layers == [
        {"key": "3", "name": "Fissure", "colour": "#c03020", "count": 2},
        {"key": "none", "name": "Unclassified", "colour": "#ffb000", "count": 1},
    ]
