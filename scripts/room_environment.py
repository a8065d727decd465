"""Write static/lighting/room-environment.pmrem: the 3D views' image-based light, prefiltered.

The viewer, the gallery and the tour stage light objects with three.js's RoomEnvironment,
prefiltered by its PMREMGenerator into a cube map whose mip levels hold the environment as seen
by ever rougher surfaces (GGX). Made in the browser that costs a software renderer (SwiftShader)
~2.4 s before the first fully lit frame, because three.js (since r17x) prefilters at 256 px a face
at least, whatever size the page asks, and every pass is a shader compiled for the CPU; on a
phone's GPU it is still dozens of passes before the object can be lit. The result depends only on
three.js, so it is made once, here, by the same three.js code in headless Chromium, at the 64 px
a face the pages always asked for (soft museum light needs no more), and shipped as a small file
the pages upload as it is (static/js/lib/scene-lighting.js `loadRoomEnvironment`, which falls
back to prefiltering in the browser when the file cannot be had).

The file: 8 bytes `MPMREM1\\0`, a little-endian uint32 n, n bytes of JSON (`sizes`: the face side
of each mip level, largest first; `format`: "rgba16f"; how it was made), zero-padded to a multiple
of 8, then for each level and each face (+x, -x, +y, -y, +z, -z) its texels as IEEE half floats,
RGBA, rows in GL order (first row at t = 0), exactly as three.js's prefilter wrote them.
(KTX2 is the standard container for this, but three's KTX2Loader starts its Basis transcoder
worker, a 500 kB wasm download, for any file, so a raw file is lighter here.)

Run after upgrading three.js (tests/e2e/test_room_environment.py fails when the file no longer
matches what the installed three.js makes):

    .venv/bin/python scripts/room_environment.py
"""

from __future__ import annotations

import base64
import json
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "static" / "lighting" / "room-environment.pmrem"
THREE = ROOT / "node_modules" / "three"
ORIGIN = "http://mouseion.invalid"
MAGIC = b"MPMREM1\0"
# As the pages asked PMREMGenerator: blur sigma (radians), near, far, face side in pixels.
SIGMA, NEAR, FAR, SIZE = 0.04, 0.1, 100, 64

PAGE = """<!doctype html><meta charset="utf-8">
<script type="importmap">{"imports": {"three": "/three/build/three.module.js",
  "three/addons/": "/three/examples/jsm/"}}</script>
<canvas id="c" width="16" height="16"></canvas>"""

# Prefilter in the page (three's own code; only the 256 px floor is lifted, on this instance)
# and read every face of every level back as float32, base64 per level.
PREFILTER = f"""async () => {{
  const THREE = await import('three');
  const {{ RoomEnvironment }} = await import('three/addons/environments/RoomEnvironment.js');
  const renderer = new THREE.WebGLRenderer({{ canvas: document.getElementById('c') }});
  const pmrem = new THREE.PMREMGenerator(renderer);
  pmrem._setSize = function () {{ this._cubeSize = {SIZE}; }};
  const target = pmrem.fromScene(new RoomEnvironment(), {SIGMA}, {NEAR}, {FAR});
  const gl = renderer.getContext();
  const framebuffers = renderer.properties.get(target).__webglFramebuffer;  // [face][level]
  const levels = target.texture.mipmaps.map(({{ width }}, level) => {{
    const texels = new Float32Array(6 * width * width * 4);
    for (let face = 0; face < 6; face++) {{
      gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffers[face][level]);
      const view = texels.subarray(face * width * width * 4, (face + 1) * width * width * 4);
      gl.readPixels(0, 0, width, width, gl.RGBA, gl.FLOAT, view);
    }}
    let text = '';
    const bytes = new Uint8Array(texels.buffer);
    for (let i = 0; i < bytes.length; i += 0x8000) {{
      text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }}
    return {{ size: width, texels: btoa(text) }};
  }});
  gl.bindFramebuffer(gl.FRAMEBUFFER, null);
  return {{ revision: THREE.REVISION, levels }};
}}"""


def serve_three(route) -> None:  # type: ignore[no-untyped-def]
    """Playwright route handler: the page, and three.js from node_modules (nothing else)."""
    path = route.request.url.removeprefix(ORIGIN)
    if path == "/":
        route.fulfill(body=PAGE, content_type="text/html")
        return
    file = (THREE / path.removeprefix("/three/")).resolve()
    if not path.startswith("/three/") or THREE.resolve() not in file.parents or not file.is_file():
        route.fulfill(status=404)
        return
    route.fulfill(body=file.read_bytes(), content_type="text/javascript")


def three_page(browser):  # type: ignore[no-untyped-def]
    """A blank page with three.js importable (served from node_modules, no server needed)."""
    page = browser.new_page()
    page.route(f"{ORIGIN}/**", serve_three)
    page.goto(f"{ORIGIN}/")
    return page


def prefiltered(browser) -> tuple[str, list[np.ndarray]]:  # type: ignore[no-untyped-def]
    """three.js's revision and its prefiltered RoomEnvironment: per level, float32 texels of
    shape (6, side, side, 4)."""
    page = three_page(browser)
    try:
        got = page.evaluate(PREFILTER)
    finally:
        page.close()
    levels = [
        np.frombuffer(base64.b64decode(level["texels"]), dtype=np.float32).reshape(
            6, level["size"], level["size"], 4
        )
        for level in got["levels"]
    ]
    return got["revision"], levels


def write_pmrem(path: Path, levels: list[np.ndarray], *, revision: str) -> None:
    header = json.dumps(
        {
            "format": "rgba16f",
            "sizes": [int(level.shape[1]) for level in levels],
            "made_by": f"three.js r{revision} PMREMGenerator.fromScene(RoomEnvironment, "
            f"sigma {SIGMA}, near {NEAR}, far {FAR}), {SIZE} px a face "
            "(scripts/room_environment.py)",
        }
    ).encode()
    header += b" " * (-(len(MAGIC) + 4 + len(header)) % 8)
    body = b"".join(level.astype("<f2").tobytes() for level in levels)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(MAGIC + struct.pack("<I", len(header)) + header + body)


def read_pmrem(path: Path) -> tuple[dict, list[np.ndarray]]:
    """The header and the levels (float32, (6, side, side, 4)) of a file write_pmrem made."""
    data = path.read_bytes()
    if data[: len(MAGIC)] != MAGIC:
        raise ValueError(f"{path} is not a Mouseion PMREM file")
    (length,) = struct.unpack_from("<I", data, len(MAGIC))
    start = len(MAGIC) + 4
    header = json.loads(data[start : start + length])
    at, levels = start + length, []
    for side in header["sizes"]:
        count = 6 * side * side * 4
        texels = np.frombuffer(data, dtype="<f2", count=count, offset=at)
        levels.append(texels.astype(np.float32).reshape(6, side, side, 4))
        at += count * 2
    if at != len(data):
        raise ValueError(f"{path}: {len(data) - at} bytes after the last level")
    return header, levels


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from tests.e2e.browser import launched_chromium

    with launched_chromium() as browser:
        revision, levels = prefiltered(browser)
    write_pmrem(OUTPUT, levels, revision=revision)
    _, back = read_pmrem(OUTPUT)
    worst = max(
        float(np.abs(b - a).max() / max(float(a.max()), 1e-9))
        for a, b in zip(levels, back, strict=True)
    )
    sides = [x.shape[1] for x in levels]
    print(f"{OUTPUT.relative_to(ROOT)}: three.js r{revision}, levels {sides}, "
          f"peak {max(float(x.max()) for x in levels):.2f}, {OUTPUT.stat().st_size} bytes, "
          f"half-float error at most {worst:.5f} of the peak")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
