"""Reading a museum's metadata export (CSV) into clean artifact field dicts. Framework-free.

Rows are checked one by one; a bad row is rejected with its reasons and the import goes on
(missing object number or title, unparsable years, earliest year after latest, bytes that are
not in the file's encoding). Over-long values are cut to the field's length with a warning.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# our field -> their column (the Walters Art Museum export, see its README).
DEFAULT_MAPPING: dict[str, str] = {
    "object_number": "accession_number",
    "external_id": "object_id",
    "title": "title",
    "object_name": "object_name",
    "classification": "classification",
    "date_text": "date_text",
    "date_start_year": "date_start",
    "date_end_year": "date_end",
    "period": "period",
    "dynasty": "dynasty",
    "reign": "reign",
    "style": "style",
    "culture": "culture_or_nationality",
    "place_of_origin": "place_of_origin",
    "country": "origin_country",
    "continent": "origin_continent",
    "place_of_discovery": "place_of_discovery",
    "maker": "maker",
    "materials": "medium",
    "dimensions": "dimensions",
    "credit_line": "credit_line",
    "keywords": "subjects_keywords",
    "source_url": "source_url",
}
REQUIRED = ("object_number", "title")
YEAR_FIELDS = ("date_start_year", "date_end_year")
KEY_FIELDS = ("object_number",)  # never cut: a cut key would merge records
YEAR = re.compile(r"^[+-]?\d{1,5}(?:\.0+)?$")


class MappingError(ValueError):
    """A mapping file that cannot be used (not JSON, unknown fields, missing key columns)."""


@dataclass
class Rejection:
    line: int
    object_number: str
    reasons: list[str]


@dataclass
class ParsedRow:
    line: int
    fields: dict[str, str | int | None]
    warnings: list[str] = field(default_factory=list)


def load_mapping(path: Path, known_fields: set[str] | None = None) -> dict[str, str]:
    """A JSON object {"our_field": "their column"}; fields not named keep the default column."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MappingError(f"cannot read the mapping file {path}: {exc}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise MappingError('the mapping must be a JSON object {"our_field": "their column"}')
    known = known_fields if known_fields is not None else set(DEFAULT_MAPPING)
    unknown = sorted(set(data) - known)
    if unknown:
        raise MappingError(f"unknown fields in the mapping: {', '.join(unknown)}")
    return {**DEFAULT_MAPPING, **data}


def parse_year(raw: str) -> int:
    """An integer year ('-1479', '1544', '1544.0'); ValueError otherwise."""
    text = raw.strip().replace("\u2212", "-")
    if not YEAR.match(text):
        raise ValueError(raw)
    return int(float(text))


def _decoded_lines(data: bytes, encoding: str) -> Iterator[str]:
    """Lines decoded one by one: undecodable bytes become U+FFFD so the row can be reported."""
    if data.startswith(b"\xef\xbb\xbf") and encoding.replace("-", "").lower() == "utf8":
        data = data[3:]
    for raw in io.BytesIO(data):
        yield raw.decode(encoding, errors="replace")


def parse_rows(
    data: bytes,
    mapping: Mapping[str, str] | None = None,
    *,
    encoding: str = "utf-8",
    max_lengths: Mapping[str, int] | None = None,
) -> tuple[list[ParsedRow], list[Rejection], list[str]]:
    """Parse a CSV export: (good rows, rejected rows, problems with the header).

    `line` is the row's first line in the file (the header is line 1)."""
    mapping = dict(mapping or DEFAULT_MAPPING)
    max_lengths = max_lengths or {}
    # A bad byte is replaced by U+FFFD; rows holding one are rejected (no guessing).
    reader = csv.DictReader(_decoded_lines(data, encoding))
    header = reader.fieldnames or []
    missing = sorted({column for column in mapping.values() if column not in header})
    header_problems = [f"column not in the file: {column}" for column in missing]
    if any(mapping[name] in missing for name in REQUIRED if name in mapping):
        return [], [], [*header_problems, "a required column is missing; nothing imported"]
    rows: list[ParsedRow] = []
    rejected: list[Rejection] = []
    seen: dict[str, int] = {}
    line = 2
    for record in reader:
        start_line, line = line, reader.line_num + 1
        parsed = parse_record(record, mapping, start_line, max_lengths)
        if isinstance(parsed, Rejection):
            rejected.append(parsed)
            continue
        number = str(parsed.fields["object_number"])
        if number in seen:
            reason = f"duplicate object number (first on line {seen[number]})"
            rejected.append(Rejection(start_line, number, [reason]))
            continue
        seen[number] = start_line
        rows.append(parsed)
    return rows, rejected, header_problems


def parse_record(
    record: Mapping[str, str | None],
    mapping: Mapping[str, str],
    line: int,
    max_lengths: Mapping[str, int],
) -> ParsedRow | Rejection:
    """One CSV record to our fields, or the reasons it is rejected."""
    reasons: list[str] = []
    warnings: list[str] = []
    values: dict[str, str | int | None] = {}
    if None in record:  # csv puts surplus cells under the key None
        reasons.append("more cells than columns in the header")
    for ours, theirs in mapping.items():
        raw = record.get(theirs)
        text = " ".join((raw or "").split())
        if "\ufffd" in text:
            reasons.append(f"{theirs}: not valid text in the file's encoding")
            continue
        if ours in YEAR_FIELDS:
            try:
                values[ours] = parse_year(text) if text else None
            except ValueError:
                reasons.append(f"{theirs}: not a year: {text!r}")
            continue
        limit = max_lengths.get(ours)
        if limit is not None and len(text) > limit:
            if ours in KEY_FIELDS:
                reasons.append(f"{theirs}: longer than {limit} characters")
                continue
            warnings.append(f"{theirs}: cut to {limit} characters")
            text = text[:limit]
        values[ours] = text
    for name in REQUIRED:
        if name in mapping and not values.get(name) and name not in _failed(reasons, mapping):
            reasons.append(f"{mapping[name]}: missing")
    start, end = values.get("date_start_year"), values.get("date_end_year")
    if isinstance(start, int) and isinstance(end, int) and start > end:
        reasons.append(f"earliest year {start} is after latest year {end}")
    if reasons:
        return Rejection(line, str(values.get("object_number") or ""), reasons)
    return ParsedRow(line, values, warnings)


def _failed(reasons: list[str], mapping: Mapping[str, str]) -> set[str]:
    """Our fields that already have a reason (so 'missing' is not added on top)."""
    return {ours for ours, theirs in mapping.items() if any(r.startswith(theirs) for r in reasons)}
