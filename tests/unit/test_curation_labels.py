"""Wall labels and introductions from metadata: only facts the record holds, in EN and FR."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import pytest

from exhibits.curation import labels

INSTITUTION = "The Walters Art Museum"
HELMET = {
    "title": "Bronze helmet",
    "place_of_origin": "Italy",
    "culture": "Etruscan",
    "date_start_year": -480,
    "date_end_year": -401,
    "materials": "Bronze",
    "credit_line": "Acquired by Henry Walters, 1909",
}
PLAQUE = {
    "title": "Plaque with Figural Scene",
    "place_of_origin": "Misr",
    "culture": "Egyptian-Islamic",
    "period": "Fatimid",
    "dynasty": "Fatimid Dynasty",
    "date_text": "11th-12th century",
    "date_start_year": 1001,
    "date_end_year": 1200,
    "materials": "ivory",
    "maker": "Egyptian [Artist]",
    "dimensions": "2 7/8 x 3 1/4 x 3/8 in. (7.3 x 8.2 x 0.9 cm)",
    "credit_line": "Acquired by Henry Walters",
}
TSUBA = {
    "title": "Tsuba with Waves",
    "country": "Nihon",
    "culture": "Japanese",
    "date_text": "ca. 1801",
    "date_start_year": 1790,
    "date_end_year": 1810,
    "materials": "iron, gold | silver",
    "maker": "Ishiguro Masatsune [Artist] | Venetian () [Workshop]",
}
WATCH = {
    "title": "Watch",
    "place_of_origin": "France | Schweiz",
    "maker": "Movement: French [Artist] | Case: Swiss [Artist]",
    "date_text": "1785-1790",
    "date_start_year": 1785,
    "date_end_year": 1790,
}
RECORDS = [HELMET, PLAQUE, TSUBA, WATCH, {"title": "Fragment"}]
FIELDS = [
    "title", "place_of_origin", "country", "culture", "period", "dynasty", "reign", "date_text",
    "materials", "maker", "dimensions", "credit_line",
]  # fmt: skip


def derived_tokens(record: Any, lang: str) -> set[str]:
    """Words the date clause may derive from the record's years (centuries, year numbers)."""
    start, end = record.get("date_start_year"), record.get("date_end_year")
    if start is None and end is None:
        return set()
    derived = labels.century_phrase(start, end, lang) + " " + labels.year_phrase(start, end, lang)
    return set(labels.tokens(derived))


def unexplained(text: str, record: dict[str, Any], lang: str, extra: str = "") -> set[str]:
    """Tokens of `text` that are neither template wording nor in the record's fields."""
    facts = " ".join(str(record.get(name) or "") for name in FIELDS) + " " + extra
    allowed = labels.template_vocabulary(lang) | set(labels.tokens(facts))
    allowed |= derived_tokens(record, lang)
    return set(labels.tokens(text)) - allowed


@pytest.mark.parametrize("lang", labels.LANGUAGES)
@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r["title"])
def test_labels_hold_only_facts_from_the_record(record, lang) -> None:
    text = labels.wall_label(record, lang, institution=INSTITUTION)
    assert text.startswith(record["title"])
    assert unexplained(text, record, lang, extra=INSTITUTION) == set()


def test_the_helper_catches_an_invented_fact() -> None:
    invented = labels.wall_label(HELMET, "en") + " Found at Vulci."
    assert unexplained(invented, HELMET, "en") == {"found", "at", "vulci"}
    wrong_century = labels.wall_label(HELMET, "fr").replace("Ve siècle", "IXe siècle")
    assert unexplained(wrong_century, HELMET, "fr") == {"ixe"}


def test_example_labels_read_as_wall_labels() -> None:
    assert labels.wall_label(HELMET, "en", institution=INSTITUTION) == (
        "Bronze helmet. Made in Italy, Etruscan, 5th century BCE. Bronze. "
        "The Walters Art Museum, acquired by Henry Walters, 1909."
    )
    assert labels.wall_label(HELMET, "fr", institution=INSTITUTION) == (
        "Bronze helmet. Origine : Italy. Etruscan, Ve siècle av. J.-C. Matériaux : Bronze. "
        "The Walters Art Museum, acquired by Henry Walters, 1909."
    )
    plaque = labels.wall_label(PLAQUE, "fr")
    assert "XIe–XIIe siècle" in plaque and "Dimensions : 7.3 x 8.2 x 0.9 cm." in plaque
    assert "Egyptian [Artist]" not in plaque and "Artiste" not in plaque  # culture stand-in
    tsuba = labels.wall_labels(TSUBA)
    assert "Artist: Ishiguro Masatsune." in tsuba["en"] and "Workshop: Venetian." in tsuba["en"]
    assert "Artiste : Ishiguro Masatsune." in tsuba["fr"] and "Atelier : Venetian." in tsuba["fr"]
    assert "ca. 1801" in tsuba["en"] and "1790–1810" in tsuba["fr"]
    assert "Iron, gold, silver." in tsuba["en"]
    assert labels.wall_labels({"title": "Fragment"}) == {"en": "Fragment.", "fr": "Fragment."}


@pytest.mark.parametrize(
    ("start", "end", "en", "fr"),
    [
        (-480, -401, "5th century BCE", "Ve siècle av. J.-C."),
        (-1479, -1185, "15th–12th century BCE", "XVe–XIIe siècle av. J.-C."),
        (1001, 1200, "11th–12th century", "XIe–XIIe siècle"),
        (1800, 1900, "19th century", "XIXe siècle"),
        (1, 100, "1st century", "Ier siècle"),
        (-50, 25, "1st BCE–1st century", "Ier av. J.-C.–Ier siècle"),
        (1921, None, "20th century", "XXe siècle"),
    ],
)
def test_centuries(start, end, en, fr) -> None:
    assert labels.century_phrase(start, end, "en") == en
    assert labels.century_phrase(start, end, "fr") == fr


def test_introduction_counts_and_lists_only_what_the_records_hold() -> None:
    records = [HELMET, PLAQUE, PLAQUE | {"title": "Second plaque"}, TSUBA]
    rooms = ["Helmet · bronze", "Plaque · ivory"]
    english = labels.introduction(records, rooms, "en")
    assert english.startswith("This exhibition brings together 4 objects in 2 rooms.")
    assert "from 5th century BCE to 19th century" in english
    assert "Misr (2)" in english and "Rooms: 1. Helmet · bronze; 2. Plaque · ivory." in english
    french = labels.introduction(records, rooms, "fr")
    assert french.startswith("Cette exposition réunit 4 objets en 2 salles.")
    assert "du Ve siècle av. J.-C. au XIXe siècle" in french
    for lang, text in (("en", english), ("fr", french)):
        spans = "5th century BCE 19th century Ve XIXe"
        words = {t for t in unexplained(text, {}, lang, extra=" ".join(rooms) + " " + spans)}
        facts = " ".join(str(v) for r in records for v in r.values())
        assert words - set(labels.tokens(facts)) - {"1", "2", "4"} == set()
    assert labels.introduction([{"title": "Fragment"}], [], "fr") == "1 objet."


WALTERS_COLUMNS = {
    "title": "title", "culture": "culture_or_nationality", "period": "period",
    "dynasty": "dynasty", "reign": "reign", "place_of_origin": "place_of_origin",
    "country": "origin_country", "materials": "medium", "maker": "maker",
    "dimensions": "dimensions", "credit_line": "credit_line", "date_text": "date_text",
    "date_start_year": "date_start", "date_end_year": "date_end",
}  # fmt: skip


@pytest.mark.data
def test_every_walters_label_holds_only_its_record_facts() -> None:
    data = os.environ.get("MOUSEION_DATA")
    path = Path(data or "", "collections", "walters-sample.csv")
    if not data or not path.exists():
        pytest.skip("MOUSEION_DATA is not set or has no collections/walters-sample.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2498
    for row in rows:
        record: dict[str, Any] = {key: row[column] for key, column in WALTERS_COLUMNS.items()}
        for key in ("date_start_year", "date_end_year"):
            record[key] = int(record[key]) if record[key] else None
        for lang in labels.LANGUAGES:
            text = labels.wall_label(record, lang, institution=INSTITUTION)
            assert unexplained(text, record, lang, extra=INSTITUTION) == set(), (row, text)
