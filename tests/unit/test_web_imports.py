"""The web process does not load PyTorch (only the worker runs the learned models), trimesh
(~0.5 s and ~40 MB of every start: only the worker reads meshes) nor the PDF writer (fpdf, ~0.3 s,
for the condition report's PDF only: imported by that view).

torch took ~1.2 s of every Django start (each `manage.py` command, each ASGI process) and
~190 MB of each web process's memory, pulled in by module-level imports along
restoration.apps -> restoration.inpaint and museum.urls -> restoration.restore.flat ->
restoration.damage.tiled_image. A fresh interpreter sets Django up, loads every URL and
websocket route, as uvicorn does, and must not have imported torch.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
import museum.asgi, museum.routing
heavy = sorted(name for name in ("torch", "torchvision", "trimesh", "fpdf") if name in sys.modules)
print("loaded:", ",".join(heavy) or "-")
"""


def test_a_web_process_starts_without_torch_trimesh_or_the_pdf_writer(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "museum.settings",
        "MOUSEION_VAR_DIR": str(tmp_path),
        "DEBUG": "true",
    }
    env.pop("SECRET_KEY", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "loaded: -", done.stdout
