"""The front end works offline: no external URLs, and every local asset it names exists.

DESIGN (Front end): no CDN anywhere; three.js, its addons and the Draco decoder are served from
node_modules through Django static files and an import map.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

ROOT = Path(settings.BASE_DIR)
SOURCE_DIRS = (ROOT / "templates", ROOT / "static")
TEXT_SUFFIXES = {".html", ".txt", ".js", ".mjs", ".css", ".json", ".svg", ".xml", ".webmanifest"}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "0.0.0.0"}
# XML namespaces are identifiers, not fetched resources.
NAMESPACE_HOSTS = {"www.w3.org"}

ABSOLUTE_URL = re.compile(r"\b(?:https?|wss?|ftp)://([^/\s\"'<>`)\\]+)", re.IGNORECASE)
# Protocol-relative URLs ("//cdn.example/x.js") in attributes, CSS url() and imports.
PROTOCOL_RELATIVE = re.compile(
    r"""(?:(?:src|href|action|srcset|poster|data)\s*=\s*["']|url\(\s*["']?|"""
    r"""(?:import|from)\s*\(?\s*["'])//([^/\s"'<>)]+)""",
    re.IGNORECASE,
)
STATIC_TAG = re.compile(r"""\{%\s*static\s+["']([^"']+)["']\s*%\}""")
JS_IMPORT = re.compile(r"""(?:^|;|\s)(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]""", re.M)
BARE_IMPORT = re.compile(r"""^\s*import\s*['"]([^'"]+)['"]""", re.M)

DRACO_DECODER_FILES = ("draco_decoder.js", "draco_decoder.wasm", "draco_wasm_wrapper.js")


def _our_files() -> list[Path]:
    files = [
        path
        for directory in SOURCE_DIRS
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.suffix.lower() in TEXT_SUFFIXES
    ]
    assert files, "no templates or static files found"
    return files


def _host(netloc: str) -> str:
    host = netloc.rsplit("@", 1)[-1]
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.split(":")[0].lower()


def test_no_external_urls_in_templates_or_static_files() -> None:
    offenders = []
    for path in _our_files():
        text = path.read_text(encoding="utf-8")
        for pattern in (ABSOLUTE_URL, PROTOCOL_RELATIVE):
            for match in pattern.finditer(text):
                host = _host(match.group(1))
                if host in LOCAL_HOSTS or host in NAMESPACE_HOSTS:
                    continue
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)}")
    assert not offenders, "external URLs (serve assets locally instead):\n" + "\n".join(offenders)


def test_url_scanner_catches_cdn_references() -> None:
    """Guard the guard: the patterns find the usual ways of pulling from a CDN."""
    samples = [
        '<script src="https://cdn.jsdelivr.net/npm/three/build/three.module.js"></script>',
        '<link href="//fonts.googleapis.com/css?family=Inter" rel="stylesheet">',
        "@import url(//fonts.example.org/a.css);",
        "import * as THREE from 'https://unpkg.com/three';",
    ]
    for sample in samples:
        hosts = [
            _host(m.group(1)) for p in (ABSOLUTE_URL, PROTOCOL_RELATIVE) for m in p.finditer(sample)
        ]
        assert hosts and not set(hosts) & LOCAL_HOSTS, sample
    assert _host("127.0.0.1:8000") in LOCAL_HOSTS


def _static_dir(name: str) -> Path | None:
    """The directory a static prefix such as "vendor/three/addons/" maps to, if any."""
    wanted = name.strip("/")
    for entry in settings.STATICFILES_DIRS:
        prefix, root = entry if isinstance(entry, tuple) else ("", entry)
        if wanted == prefix:
            candidate = Path(root)
        elif not prefix or wanted.startswith(prefix + "/"):
            candidate = Path(root) / wanted[len(prefix) :].lstrip("/")
        else:
            continue
        if candidate.is_dir():
            return candidate
    return None


def _import_map() -> dict[str, str]:
    base = (ROOT / "templates" / "includes" / "importmap.html").read_text(encoding="utf-8")
    match = re.search(r'<script type="importmap">(.*?)</script>', base, re.S)
    assert match, "includes/importmap.html (base.html's) must declare an import map"
    # Replace {% static 'x' %} with a marker so the map parses as JSON.
    document = STATIC_TAG.sub(lambda m: "static:" + m.group(1), match.group(1))
    return json.loads(document)["imports"]


def test_import_map_targets_exist_in_node_modules() -> None:
    """One entry per module (no prefix entry, which production could not hash), each served
    from the npm package; `mouseion/...` entries name our own static files (the prefiltered
    room environment), served from static/."""
    imports = _import_map()
    assert "three" in imports
    assert not [name for name in imports if name.endswith("/")], imports
    for name, target in imports.items():
        found = finders.find(target.removeprefix("static:"))
        assert found, f"import map target {name} -> {target} is not served"
        home = "static" if name.startswith("mouseion/") else "node_modules"
        assert Path(found).resolve().is_relative_to((ROOT / home).resolve()), name


def test_only_the_listed_vendor_files_are_served() -> None:
    """three.js's other example modules (some import files outside the package) are neither
    served nor collected; a path cannot climb out of the package."""
    assert finders.find("vendor/three/addons/loaders/GLTFLoader.js")
    assert (ROOT / "node_modules/three/examples/jsm/offscreen/scene.js").is_file()
    for hostile in (
        "vendor/three/addons/offscreen/scene.js",
        "vendor/three/build/three.cjs",
        "vendor/three/addons/loaders/../../../package.json",
        "vendor/three/addons/libs/draco/gltf/../../../../../package.json",
    ):
        assert not finders.find(hostile), hostile


def test_draco_decoder_is_served_locally() -> None:
    decoder_dir = ROOT / "node_modules" / "three" / "examples" / "jsm" / "libs" / "draco" / "gltf"
    for name in DRACO_DECODER_FILES:
        assert (decoder_dir / name).is_file(), f"missing Draco decoder file {name}: run npm ci"
        assert finders.find(f"vendor/three/addons/libs/draco/gltf/{name}"), name
    assert finders.find("vendor/three/addons/libs/meshopt_decoder.module.js")


def test_every_static_tag_in_templates_resolves() -> None:
    missing = []
    for path in (ROOT / "templates").rglob("*.html"):
        for name in STATIC_TAG.findall(path.read_text(encoding="utf-8")):
            ok = _static_dir(name) is not None if name.endswith("/") else finders.find(name)
            if not ok:
                missing.append(f"{path.relative_to(ROOT)}: {name}")
    assert not missing, "static files named in templates but not found:\n" + "\n".join(missing)


@pytest.mark.parametrize("module", sorted((ROOT / "static" / "js").rglob("*.js")), ids=str)
def test_es_module_imports_resolve(module: Path) -> None:
    """Relative imports exist; bare ones go through the import map to a served file."""
    text = module.read_text(encoding="utf-8")
    imports = _import_map()
    for specifier in JS_IMPORT.findall(text) + BARE_IMPORT.findall(text):
        if specifier.startswith("."):
            assert (module.parent / specifier).resolve().is_file(), f"{module.name}: {specifier}"
            continue
        if specifier in imports:
            target = imports[specifier].removeprefix("static:")
        else:
            prefix = next((p for p in imports if p.endswith("/") and specifier.startswith(p)), None)
            assert prefix, f"{module.name}: bare import {specifier!r} is not in the import map"
            target = imports[prefix].removeprefix("static:") + specifier[len(prefix) :]
        assert finders.find(target), f"{module.name}: {specifier} -> {target} is not served"


ASSET_ATTRIBUTE = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def _external_urls(text: str) -> list[str]:
    return [
        match.group(0)
        for pattern in (ABSOLUTE_URL, PROTOCOL_RELATIVE)
        for match in pattern.finditer(text)
        if _host(match.group(1)) not in LOCAL_HOSTS | NAMESPACE_HOSTS
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/redoc/", "/api/docs/"])
def test_api_documentation_pages_fetch_nothing_from_a_cdn(client: Client, url: str) -> None:
    """The rendered ReDoc and Swagger UI pages (drf-spectacular's templates, the sidecar's
    bundles) name no external URL, and every script, stylesheet and icon they load is one of
    our static files."""
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert not _external_urls(page), _external_urls(page)
    assets = ASSET_ATTRIBUTE.findall(page)
    assert any(asset.endswith(".js") for asset in assets), assets
    for asset in assets:
        assert asset.startswith(settings.STATIC_URL), asset
        assert finders.find(asset.removeprefix(settings.STATIC_URL)), asset


@pytest.mark.django_db
def test_swagger_ui_validator_badge_is_off(client: Client) -> None:
    """Swagger UI fetches a validator badge from validator.swagger.io for any non-localhost
    schema URL unless validatorUrl is null."""
    page = client.get("/api/docs/").content.decode()
    match = re.search(r"const swaggerSettings = (\{.*?\});", page, re.S)
    assert match, "Swagger UI settings not found in /api/docs/"
    assert json.loads(match.group(1)).get("validatorUrl", "missing") is None


@pytest.mark.django_db
def test_redoc_page_forbids_the_bundles_cdn_logo(client: Client) -> None:
    """ReDoc's bundle renders an <img> from cdn.redoc.ly in its sidebar whatever the options;
    the page's Content-Security-Policy allows images from this site only, so the browser never
    fetches it. Any other external URL a new bundle brings fails here first."""
    bundle = finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")
    assert bundle, "ReDoc's sidecar bundle is not served"
    fetched = {
        m.group(0)
        for m in re.finditer(r"https://cdn\.[^\"'`\s)]+", Path(bundle).read_text(encoding="utf-8"))
    }
    assert fetched <= {"https://cdn.redoc.ly/redoc/logo-mini.svg"}, fetched
    response = client.get("/api/redoc/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "img-src 'self' data:" in policy
    assert "*" not in policy and "https:" not in policy
