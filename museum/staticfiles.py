"""Static files under hashed names (production): `manage.py collectstatic` writes each file as
`name.<md5-12>.ext` plus a manifest; `{% static %}` answers the hashed URL, and WhiteNoise (or
nginx) serves hashed files with a one-year immutable cache. An upgrade changes the names, so no
browser runs last week's JavaScript against the new server.

ES modules import each other relatively (`../lib/format.js`, three.js's `./three.core.js`,
its addons' `../utils/...`): Django rewrites those statements to the hashed names
(`support_js_module_import_aggregation`), so every module resolves to exactly one hashed copy.
Bare specifiers ("three", "three/addons/...") go through the import map
(templates/includes/importmap.html), whose targets are `{% static %}` URLs, hashed the same way.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import utils
from django.contrib.staticfiles.finders import BaseFinder
from django.contrib.staticfiles.storage import HashedFilesMixin
from django.core.files.storage import FileSystemStorage
from django.utils._os import safe_join
from whitenoise.storage import CompressedManifestStaticFilesStorage  # type: ignore[import-untyped]

_GLOB, _DJANGO_JS_PATTERNS = HashedFilesMixin._js_module_import_aggregation_patterns  # type: ignore[attr-defined]
# Django's last pattern rewrites every `import("...")`, including JSDoc type annotations such as
# `@param {import('three').WebGLRenderer}`, which it would resolve as a file next to the module
# and fail. Only relative dynamic imports name one of our files; bare ones use the import map.
RELATIVE_DYNAMIC_IMPORT = (
    r"""(?P<matched>import\(\s*["'](?P<url>\.{1,2}/.*?)["']\s*\))""",
    """import("%(url)s")""",
)


class HashedStaticFilesStorage(CompressedManifestStaticFilesStorage):  # type: ignore[misc]
    """WhiteNoise's compressed manifest storage with ES module imports rewritten."""

    support_js_module_import_aggregation = True
    _js_module_import_aggregation_patterns = (
        _GLOB,
        (*_DJANGO_JS_PATTERNS[:3], RELATIVE_DYNAMIC_IMPORT),
    )


class VendorFileFinder(BaseFinder):
    """The files of npm packages that pages load, and no others.

    `settings.MOUSEION_VENDOR_STATIC` maps a static prefix to (package directory, glob patterns
    relative to it). three.js ships ~2,800 example modules (some importing files outside the
    package); serving the few the pages use keeps collectstatic to seconds and means an import
    missing from the list fails in development as in production.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sources: list[tuple[str, Path, tuple[str, ...]]] = []
        self.storages: dict[str, FileSystemStorage] = {}
        for prefix, (root, patterns) in settings.MOUSEION_VENDOR_STATIC.items():
            self.sources.append((prefix, Path(root), tuple(patterns)))
            storage = FileSystemStorage(location=root)
            storage.prefix = prefix  # type: ignore[attr-defined]  # read by collectstatic
            self.storages[prefix] = storage
        super().__init__(*args, **kwargs)

    # str | None, or list[str] with find_all (BaseFinder's overloads).
    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        matches = []
        for prefix, root, patterns in self.sources:
            relative = path.removeprefix(prefix + "/")
            if relative == path or not _listed(relative, patterns):
                continue
            candidate = safe_join(root, relative)
            if os.path.isfile(candidate):
                if not find_all:
                    return candidate
                matches.append(candidate)
        return matches

    def list(
        self, ignore_patterns: Iterable[str] | None
    ) -> Iterator[tuple[str, FileSystemStorage]]:
        for prefix, root, patterns in self.sources:
            if root.is_dir():
                storage = self.storages[prefix]
                for relative in utils.get_files(storage, ignore_patterns):
                    if _listed(relative, patterns):
                        yield relative, storage


def _listed(relative: str, patterns: tuple[str, ...]) -> bool:
    # fnmatch's "*" also matches "/" and "..": a path that climbs is never listed.
    if ".." in relative.split("/"):
        return False
    return any(fnmatchcase(relative, pattern) for pattern in patterns)
