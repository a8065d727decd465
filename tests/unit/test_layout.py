"""The house keeps standing (docs/ARCHITECTURE.md): the framework-free cores import without Django,
importing the project package loads neither Django nor Celery, and no domain module imports
back up into an app that depends on it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Packages that hold framework-free cores, and in them the modules that are Django glue.
CORE_PACKAGES = [
    "restoration/damage",
    "restoration/inpaint",
    "restoration/mesh",
    "museum/planning",
    "museum/realtime",
    "exhibits/intake",
    "exhibits/curation",
    "exhibits/imaging",
    "museum/common",
]
GLUE = {
    "museum.planning.api",
    "museum.planning.next_stop",  # the live next stop: Django glue of live.py
    "museum.planning.services",
    "museum.planning.urls",
    "museum.realtime.consumers",
    "museum.realtime.presence_consumer",
    "museum.realtime.tour_consumer",
    "exhibits.intake.services",
    "exhibits.intake.signals",
    "exhibits.curation.admin",
    "exhibits.curation.embedding_store",
    "exhibits.curation.iiif",
    "exhibits.curation.iiif_flat",
    "exhibits.curation.interop_views",
    "exhibits.curation.linked_art",
    "exhibits.curation.models",
    "exhibits.curation.search_api",
    "exhibits.curation.search_index",
    "exhibits.curation.services",
    "exhibits.curation.suggestions",
    "exhibits.curation.suggestion_admin",
    "exhibits.imaging.admin",
    "exhibits.imaging.collection_images",
    "exhibits.imaging.iiif_views",
    "exhibits.imaging.intake_job",
    "exhibits.imaging.models",
    "exhibits.imaging.regions",
    "exhibits.imaging.services",
    "exhibits.imaging.stored_tiles",
    "exhibits.imaging.urls",
}
SINGLE_CORES = [
    "exhibits.annotating.geometry",
    "exhibits.annotating.media_kind",
    "restoration.restore.method_bandit",
    "restoration.restore.method_choice",
    "museum.gallery.layout",
    "museum.gallery.walls",
]
FRAMEWORKS = ("django", "celery", "rest_framework", "channels")


def core_modules() -> list[str]:
    found = list(SINGLE_CORES)
    for package in CORE_PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            name = name.removesuffix(".__init__")
            if name not in GLUE:
                found.append(name)
    return found


def frameworks_loaded_by(modules: list[str]) -> dict[str, list[str]]:
    """Import each module in a fresh interpreter without Django settings; report frameworks."""
    code = (
        "import importlib, json, sys\n"
        "out = {}\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module(name)\n"
        f"    out[name] = [f for f in {FRAMEWORKS!r} if f in sys.modules]\n"
        "print(json.dumps(out))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code, *modules],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("package", [*CORE_PACKAGES, "single modules"])
def test_every_framework_free_core_imports_without_django(package: str) -> None:
    if package == "single modules":
        modules = SINGLE_CORES
    else:
        prefix = package.replace("/", ".")
        modules = [m for m in core_modules() if m == prefix or m.startswith(prefix + ".")]
    assert modules
    loaded = frameworks_loaded_by(modules)
    offenders = {name: frameworks for name, frameworks in loaded.items() if frameworks}
    assert offenders == {}


def test_importing_the_project_package_loads_neither_django_nor_celery() -> None:
    loaded = frameworks_loaded_by(
        ["museum", "museum.planning.heuristic", "exhibits", "restoration"]
    )
    assert loaded == {
        "museum": [],
        "museum.planning.heuristic": [],
        "exhibits": [],
        "restoration": [],
    }


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        # exhibits is below museum's visitor side and restoration: it never imports them.
        ("exhibits", ("restoration", "museum.building", "museum.tours", "museum.planning",
                      "museum.realtime", "museum.gallery", "museum.models")),
        # The restoration domains do not reach into the visitor side.
        ("restoration", ("museum.building", "museum.tours", "museum.planning",
                         "museum.realtime", "museum.gallery")),
    ],
)  # fmt: skip
def test_no_app_imports_back_up(package: str, forbidden: tuple[str, ...]) -> None:
    offenders = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts or "management" in path.parts:
            continue  # commands are entry points: they may compose domains
        if path.name == "admin.py":
            continue  # admin is an entry point too (the curator's accept action builds rooms)
        bad = sorted(m for m in imports_of(path) if m.startswith(forbidden))
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}
