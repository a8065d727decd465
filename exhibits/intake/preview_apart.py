"""The preview image drawn in a child process, so that what the GL driver keeps after drawing
(Mesa's llvmpipe and LLVM: ~120 MB that neither releasing the context nor malloc_trim hands
back) leaves with it instead of staying in the worker beside gltfpack's inspection run (#24).

`python -m exhibits.intake.preview_apart SIZE` reads a GLB on stdin and writes the preview PNG
on stdout (`thumbnail_gl.render_preview`: textured through GL, clay without it).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from exhibits.intake.thumbnail_gl import render_preview
from museum.common import images

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 120


def render_preview_apart(data: bytes, size: int = 512) -> Image.Image:
    """`render_preview` in a child process; drawn here when the child fails (a missing
    interpreter, a crash, a timeout), so a preview is never lost to this."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "exhibits.intake.preview_apart", str(int(size))],
            input=data,
            capture_output=True,
            check=True,
            timeout=TIMEOUT_S,
            cwd=ROOT,
            env=env,
        )
        return images.read_image(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):  # ImageReadError is a ValueError
        return render_preview(data, size=size)


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    buffer = io.BytesIO()
    render_preview(sys.stdin.buffer.read(), size=size).save(buffer, format="PNG")
    sys.stdout.buffer.write(buffer.getvalue())


if __name__ == "__main__":
    main()
