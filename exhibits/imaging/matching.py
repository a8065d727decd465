"""Which image file belongs to which catalogue record: by object number in the file name.

`OBJ-123.jpg` is the first image of object OBJ-123; `OBJ-123_verso.tif`, `OBJ-123 f1r.png` or
`OBJ-123-2.jpg` further ones, labelled by what follows the number ("verso", "f1r"; a bare
number gives no label, only the order). Names and numbers are compared case-blind with every
run of punctuation or spaces read as one separator (a number "A/12" is saved as "A_12.jpg");
the longest matching number wins. Framework-free."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from exhibits.imaging.raster import EXTENSIONS

IMAGE_SUFFIXES = frozenset(
    f".{ext}" for ext, fmt in EXTENSIONS.items() if fmt in {"jpeg", "png", "tiff", "webp", "gif"}
)
_SEPARATORS = re.compile(r"[^0-9a-z]+")


def normalised(text: str) -> str:
    return _SEPARATORS.sub("_", text.casefold()).strip("_")


@dataclass(frozen=True)
class Match:
    path: Path
    object_number: str
    label: str
    order_key: tuple[int, str]


@dataclass
class Matching:
    matches: dict[str, list[Match]] = field(default_factory=dict)  # object number: in order
    unmatched: list[Path] = field(default_factory=list)
    ambiguous: list[tuple[Path, list[str]]] = field(default_factory=list)


def image_files(folder: Path) -> list[Path]:
    """The image files under `folder` (recursively, hidden files left out), sorted."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix.lower() in IMAGE_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def match_images(paths: Iterable[Path], object_numbers: Iterable[str]) -> Matching:
    """Assign each image to the record whose object number its name starts with."""
    by_key: dict[str, list[str]] = {}
    for number in object_numbers:
        by_key.setdefault(normalised(number), []).append(number)
    result = Matching()
    for path in paths:
        stem = normalised(path.stem)
        parts = stem.split("_")
        found = None
        for cut in range(len(parts), 0, -1):  # the longest number first
            key = "_".join(parts[:cut])
            if key in by_key:
                found = (by_key[key], "_".join(parts[cut:]))
                break
        if found is None:
            result.unmatched.append(path)
            continue
        numbers, rest = found
        if len(numbers) > 1:
            result.ambiguous.append((path, sorted(numbers)))
            continue
        label = "" if rest.isdigit() or not rest else rest.replace("_", " ")
        order = (int(rest), "") if rest.isdigit() else (0 if not rest else 1_000_000, rest)
        result.matches.setdefault(numbers[0], []).append(
            Match(path=path, object_number=numbers[0], label=label, order_key=order)
        )
    for number, found_matches in result.matches.items():
        result.matches[number] = sorted(found_matches, key=lambda m: (m.order_key, m.path.name))
    return result
