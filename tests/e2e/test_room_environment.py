"""The prefiltered room environment the 3D views load (static/lighting/room-environment.pmrem,
made by scripts/room_environment.py) is what the installed three.js makes, and lights a scene as
the browser's own prefilter does; without the file the pages prefilter in the browser.

No museum is needed: a blank page gets three.js and scene-lighting.js straight from the tree.
Fails after a three.js upgrade that changes the prefilter: run the script again."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.e2e.browser import launched_chromium

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "room_environment", ROOT / "scripts" / "room_environment.py"
)
assert _spec and _spec.loader
room_environment = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(room_environment)

ORIGIN = room_environment.ORIGIN
PAGE = """<!doctype html><meta charset="utf-8">
<script type="importmap">{"imports": {"three": "/three/build/three.module.js",
  "three/addons/": "/three/examples/jsm/",
  "mouseion/room-environment.pmrem": "/env.pmrem"}}</script>
<canvas id="c" width="96" height="64"></canvas>"""

# Four spheres, metal and not, rough and polished (every level of the prefilter is sampled), lit
# only by the environment; rendered with the live prefilter and with the shipped file.
RENDER = """async ([mode]) => {
  const THREE = await import('three');
  const { RoomEnvironment } = await import('three/addons/environments/RoomEnvironment.js');
  const { loadRoomEnvironment } = await import('/scene-lighting.js');
  const renderer = new THREE.WebGLRenderer({ canvas: document.getElementById('c') });
  renderer.toneMapping = THREE.NeutralToneMapping;
  const warnings = [];
  const warn = console.warn;
  console.warn = (...args) => { warnings.push(args.join(' ')); };
  let environment;
  if (mode === 'live64') {
    const pmrem = new THREE.PMREMGenerator(renderer);
    pmrem._setSize = function () { this._cubeSize = 64; };
    environment = pmrem.fromScene(new RoomEnvironment(), 0.04, 0.1, 100).texture;
  } else {
    environment = await loadRoomEnvironment(renderer);
  }
  console.warn = warn;
  const scene = new THREE.Scene();
  scene.environment = environment;
  const spheres = [[1, 0.05], [1, 0.4], [0, 0.3], [0.5, 0.9]];
  spheres.forEach(([metalness, roughness], i) => {
    const sphere = new THREE.Mesh(
      new THREE.SphereGeometry(0.45, 48, 24),
      new THREE.MeshStandardMaterial({ color: 0xc8b078, metalness, roughness }),
    );
    sphere.position.set((i % 2) - 0.5, Math.floor(i / 2) - 0.5, 0);
    scene.add(sphere);
  });
  const camera = new THREE.PerspectiveCamera(50, 1.5, 0.1, 10);
  camera.position.set(0, 0.2, 2.4);
  camera.lookAt(0, 0, 0);
  renderer.render(scene, camera);
  const gl = renderer.getContext();
  const pixels = new Uint8Array(96 * 64 * 4);
  gl.readPixels(0, 0, 96, 64, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
  return {
    pixels: Array.from(pixels),
    pmrem: environment.isPMREMTexture === true,
    levels: (environment.image?.[0]?.mipmaps ?? environment.mipmaps).length,
    warnings,
  };
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with launched_chromium() as chromium:
        yield chromium


def page_with(browser, *, environment_file: Path | None):  # type: ignore[no-untyped-def]
    """A blank page with three.js, scene-lighting.js and (when given) the environment file."""

    def serve(route) -> None:  # type: ignore[no-untyped-def]
        path = route.request.url.removeprefix(ORIGIN)
        if path == "/":
            route.fulfill(body=PAGE, content_type="text/html")
        elif path == "/scene-lighting.js":
            route.fulfill(
                path=ROOT / "static/js/lib/scene-lighting.js", content_type="text/javascript"
            )
        elif path == "/env.pmrem":
            if environment_file is None:
                route.fulfill(status=404)
            else:
                route.fulfill(body=environment_file.read_bytes())
        else:
            room_environment.serve_three(route)

    page = browser.new_page()
    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/")
    return page


def rendered(browser, mode: str, environment_file: Path | None = None) -> dict:  # type: ignore[no-untyped-def]
    page = page_with(browser, environment_file=environment_file)
    try:
        got = page.evaluate(RENDER, [mode])
    finally:
        page.close()
    got["pixels"] = np.array(got["pixels"], dtype=np.int16).reshape(64, 96, 4)[..., :3]
    return got


def test_the_shipped_file_is_what_this_three_js_makes(browser) -> None:
    header, shipped = room_environment.read_pmrem(room_environment.OUTPUT)
    revision, made = room_environment.prefiltered(browser)
    assert [level.shape for level in shipped] == [level.shape for level in made], (
        f"shipped levels {header['sizes']}, three.js r{revision} makes "
        f"{[level.shape[1] for level in made]}: run scripts/room_environment.py"
    )
    worst = max(float(np.abs(a - b).max()) for a, b in zip(shipped, made, strict=True))
    peak = max(float(level.max()) for level in made)
    # Half floats both sides; SwiftShader is deterministic, so this is exact today.
    assert worst <= 1e-3 * peak, (
        f"shipped file differs by {worst:.4f} (peak {peak:.1f}): run the script"
    )


def test_the_shipped_file_lights_as_the_browsers_prefilter(browser) -> None:
    live = rendered(browser, "live64")
    shipped = rendered(browser, "file", room_environment.OUTPUT)
    header, _ = room_environment.read_pmrem(room_environment.OUTPUT)
    assert shipped["pmrem"] and shipped["levels"] == len(header["sizes"])
    assert not shipped["warnings"], shipped["warnings"]
    lit = live["pixels"].sum(axis=2) > 30
    assert lit.mean() > 0.3, "the spheres did not render"
    difference = np.abs(live["pixels"] - shipped["pixels"])
    assert difference.max() <= 3, (
        f"up to {difference.max()} of 255 apart (mean {difference.mean():.2f})"
    )


def test_without_the_file_the_page_prefilters_and_says_so(browser) -> None:
    got = rendered(browser, "file", None)
    assert got["pmrem"], "the fallback is not a prefiltered environment"
    assert any("could not be loaded" in w for w in got["warnings"]), got["warnings"]
    assert (got["pixels"].sum(axis=2) > 30).mean() > 0.3, "nothing lit by the fallback"


def test_a_file_that_is_not_an_environment_falls_back(browser, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.pmrem"
    bogus.write_bytes(b"<html>Not found</html>")
    got = rendered(browser, "file", bogus)
    assert got["pmrem"] and any("could not be loaded" in w for w in got["warnings"])
