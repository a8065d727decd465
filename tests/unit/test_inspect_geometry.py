"""The inspection tools' arithmetic (#22), run in Node on the modules the viewer loads:
measure.js's angle and area, inspect-view.js's scale bar lengths and pixels per metre."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SCRIPT = """
import * as THREE from '%(three)s';
import { angleAt, polygonArea } from '%(measure)s';
import { formatLength, niceLength, pixelsPerMetre } from '%(view)s';
const v = (p) => new THREE.Vector3(...p);
const perspective = new THREE.PerspectiveCamera(40, 1.5, 0.01, 100);
perspective.position.set(0, 0, 2);
const orthographic = new THREE.OrthographicCamera(-0.75, 0.75, 0.5, -0.5, -1, 10);
orthographic.zoom = 2;
console.log(JSON.stringify({
  right: angleAt(v([1, 0, 0]), v([0, 0, 0]), v([0, 1, 0])),
  obtuse: angleAt(v([1, 0, 0]), v([0, 0, 0]), v([-1, 1, 0])),
  triangle: polygonArea([v([0, 0, 0]), v([0.1, 0, 0]), v([0, 0.2, 0])]),
  tilted: polygonArea([v([0, 0, 0]), v([1, 0, 0]), v([1, 1, 1]), v([0, 1, 1])]),
  concave: polygonArea([[0, 0], [2, 0], [2, 2], [1, 1], [0, 2]].map(([x, z]) => v([x, 5, z]))),
  nice: [0.5, 100, 1234, 1e5].map((ppm) => niceLength(ppm, 160)),
  labels: [0.005, 0.05, 2].map((m) => formatLength(m, 'en')),
  ppmPerspective: pixelsPerMetre(perspective, v([0, 0, 0]), 600),
  ppmOrthographic: pixelsPerMetre(orthographic, v([0, 0, 0]), 600),
}));
"""


def test_angles_areas_and_scale_bar_lengths(tmp_path: Path) -> None:
    script = tmp_path / "inspect.mjs"
    script.write_text(
        SCRIPT
        % {
            # The script lives outside the project: three by its path (the same module the
            # project's bare 'three' resolves to).
            "three": (ROOT / "node_modules/three/build/three.module.js").as_uri(),
            "measure": (ROOT / "static/js/lib/measure.js").as_uri(),
            "view": (ROOT / "static/js/lib/inspect-view.js").as_uri(),
        }
    )
    result = json.loads(
        subprocess.run(
            [settings.MOUSEION_NODE, "--no-warnings", str(script)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
            cwd=ROOT,
        ).stdout
    )
    assert math.isclose(result["right"], 90)
    assert math.isclose(result["obtuse"], 135)
    assert math.isclose(result["triangle"], 0.01)
    assert math.isclose(result["tilted"], math.sqrt(2))  # a 1 x sqrt(2) rectangle
    assert math.isclose(result["concave"], 3)  # a 2 x 2 square less a notch of 1
    # The longest 1-2-5 length within 160 px.
    assert result["nice"] == [200, 1, 0.1, 0.001]
    assert result["labels"] == ["5 mm", "5 cm", "2 m"]
    # 600 px show 2 x 2 m x tan(20°) at the target; an orthographic view 1 m / zoom 2.
    assert math.isclose(result["ppmPerspective"], 600 / (2 * 2 * math.tan(math.radians(20))))
    assert math.isclose(result["ppmOrthographic"], 1200)
