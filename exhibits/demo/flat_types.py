"""Records of the demo's flat works (exhibits/demo/flat_paintings.py, flat_prints.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

PUBLIC_DOMAIN = "Public domain"
COMMONS = "https://upload.wikimedia.org/wikipedia/commons/"


@dataclass(frozen=True)
class DemoRegion:
    title: str
    text: str
    xywh: tuple[int, int, int, int]


@dataclass(frozen=True)
class DemoFlatWork:
    filename: str  # under exhibits/demo/flat/
    record: dict[str, object]
    room: str  # code of its room on the demo floor plan
    label: str  # the exhibition's wall label
    width_cm: float | None = None  # from the catalogue data only, never guessed
    height_cm: float | None = None
    regions: list[DemoRegion] = field(default_factory=list)


def record(
    number: int, title: str, maker: str, date: str, years: tuple[int, int], credit: str
) -> dict[str, object]:
    """The catalogue fields every demo flat work has (from the image set's manifest)."""
    return {
        "object_number": f"DEMO-FLAT-{number:02d}",
        "title": title,
        "maker": maker,
        "date_text": date,
        "date_start_year": years[0],
        "date_end_year": years[1],
        "credit_line": credit,
        "rights": PUBLIC_DOMAIN,
    }
