"""The Khronos glTF validator (npm gltf-validator, a devDependency) on GLB bytes, for tests:
`assert_valid_glb(data)` fails the test with the validator's messages when it reports errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / "tests" / "tools" / "validate_gltf.cjs"

needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "node_modules" / "gltf-validator").is_dir(),
    reason="node or node_modules/gltf-validator is not installed (npm ci)",
)


def validate_glb(data: bytes, name: str = "model.glb") -> dict:
    """The validator's report of one GLB: errors, warnings and the first messages."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        output = subprocess.run(
            ["node", str(VALIDATOR), str(path)],
            capture_output=True, text=True, check=True, timeout=120, cwd=ROOT,
        ).stdout  # fmt: skip
    return json.loads(output.splitlines()[-1])


def assert_valid_glb(data: bytes, name: str = "model.glb") -> dict:
    """Fail unless the glTF validator finds no error in `data` (warnings are allowed)."""
    report = validate_glb(data, name)
    assert report["errors"] == 0, f"{name} is not valid glTF: {report['messages']}"
    return report
