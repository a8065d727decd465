"""Production static files: `collectstatic` with the hashed storage (museum/staticfiles.py), then
every page's import map and every module import, followed from the entry points the templates
name, lands on an existing hashed file, one copy per module; WhiteNoise caches those forever.

Runs collectstatic once for the module into a temporary STATIC_ROOT (a few seconds).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import Client, RequestFactory, override_settings

from museum.jobs_admin import JobProgressMedia

ROOT = Path(settings.BASE_DIR)
HASHED = re.compile(r"\.[0-9a-f]{12}\.\w+$")
STATIC_TAG = re.compile(r"""\{%\s*static\s+["']([^"']+\.js)["']\s*%\}""")
IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.S)
MODULE_IMPORTS = ROOT / "tests" / "tools" / "module_imports.cjs"
# Loaded by DRACOLoader from a directory URL it appends names to: cannot be hashed.
UNHASHED_DIRECTORIES = ("vendor/three/addons/libs/draco/gltf/",)


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """STATIC_ROOT after `collectstatic` with the production settings (MOUSEION_HASHED_STATIC)."""
    root = tmp_path_factory.mktemp("staticfiles")
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "museum.staticfiles.HashedStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=root, STORAGES=storages, WHITENOISE_USE_FINDERS=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


def _rendered_import_map() -> dict[str, str]:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    page = render_to_string("base.html", request=request)
    match = IMPORT_MAP.search(page)
    assert match, "base.html renders no import map"
    return json.loads(match.group(1))["imports"]


def _entry_points() -> set[str]:
    """Static names of the modules templates and admin media load."""
    names = {
        name
        for template in (ROOT / "templates").rglob("*.html")
        for name in STATIC_TAG.findall(template.read_text(encoding="utf-8"))
    }
    names.update(JobProgressMedia.js)
    assert "js/pages/viewer.js" in names and "js/pages/gallery.js" in names, names
    return names


def _module_imports(root: Path, names: list[str]) -> dict[str, list[str]]:
    result = subprocess.run(
        [settings.MOUSEION_NODE, str(MODULE_IMPORTS), *names],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


def test_import_map_names_hashed_files(collected: Path) -> None:
    imports = _rendered_import_map()
    assert "three" in imports
    for specifier, url in imports.items():
        assert url.startswith(settings.STATIC_URL), (specifier, url)
        assert HASHED.search(url), f"{specifier} -> {url} is not a hashed name"
        assert (collected / url.removeprefix(settings.STATIC_URL)).is_file(), url


def test_templates_name_hashed_modules(collected: Path) -> None:
    for name in _entry_points():
        url = staticfiles_storage.url(name)
        assert HASHED.search(url), f"{name} -> {url}"
        assert (collected / url.removeprefix(settings.STATIC_URL)).is_file(), url


def test_every_module_import_resolves_to_one_hashed_copy(collected: Path) -> None:
    """Follow the module graph the browser would, from the pages' entry points, through the
    import map for bare specifiers and the rewritten relative imports for the rest."""
    import_map = _rendered_import_map()
    pending = {staticfiles_storage.url(name) for name in _entry_points()}
    seen: set[str] = set()
    problems: list[str] = []
    while pending:
        batch = sorted(pending - seen)
        seen.update(batch)
        pending = set()
        names = [url.removeprefix(settings.STATIC_URL) for url in batch]
        for name in names:
            if not (collected / name).is_file():
                problems.append(f"{name}: not collected")
            elif not HASHED.search(name):
                problems.append(f"{name}: loaded under its unhashed name")
        present = [name for name in names if (collected / name).is_file()]
        for name, specifiers in _module_imports(collected, present).items():
            for specifier in specifiers:
                if specifier.startswith(("./", "../")):
                    pending.add(urljoin(settings.STATIC_URL + name, specifier))
                elif specifier in import_map:
                    pending.add(import_map[specifier])
                else:
                    problems.append(f"{name}: {specifier!r} is neither relative nor mapped")
    assert not problems, "\n".join(problems)
    copies: dict[str, set[str]] = {}
    for url in seen:
        copies.setdefault(HASHED.sub("", url), set()).add(url)
    assert not {k: v for k, v in copies.items() if len(v) > 1}, "modules loaded twice"
    modules = {HASHED.sub("", url).removeprefix(settings.STATIC_URL) for url in seen}
    # The graph really went through three.js and its addons' relative imports.
    assert {
        "vendor/three/build/three.module",
        "vendor/three/build/three.core",
        "vendor/three/addons/utils/BufferGeometryUtils",
        "js/lib/format",
    } <= modules, sorted(modules)


def test_draco_decoder_directory_is_collected(collected: Path) -> None:
    for directory in UNHASHED_DIRECTORIES:
        for name in ("draco_decoder.wasm", "draco_wasm_wrapper.js", "draco_decoder.js"):
            assert (collected / directory / name).is_file(), name
        assert staticfiles_storage.url(directory) == settings.STATIC_URL + directory


def test_whitenoise_caches_hashed_files_forever_and_others_briefly(collected: Path) -> None:
    client = Client()  # a new handler, so WhiteNoise indexes the collected root
    hashed = staticfiles_storage.url("js/lib/format.js")
    response = client.get(hashed)
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]
    plain = client.get(settings.STATIC_URL + "js/lib/format.js")
    assert plain.status_code == 200
    assert "immutable" not in plain["Cache-Control"]
    max_age = int(re.search(r"max-age=(\d+)", plain["Cache-Control"]).group(1))  # type: ignore[union-attr]
    assert max_age <= 3600


def test_a_stale_or_unknown_hashed_name_is_not_served(collected: Path) -> None:
    """Last release's hash of a module (or any made-up one) answers 404, not other code."""
    response = Client().get(settings.STATIC_URL + "js/lib/format.0123456789ab.js")
    assert response.status_code == 404
