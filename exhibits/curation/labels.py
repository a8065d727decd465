"""Wall labels and exhibition introductions from structured metadata (data-to-text).

Framework-free: records are read by attribute (a model instance, a namespace) or key (a dict).
Every clause is built from one non-empty catalogue field, or from numbers counted over the
records; nothing is added that the data does not hold. English and French come from the small
template tables below, not from gettext: only the connecting words and the centuries are
translated. Field VALUES (titles, places, materials, credit lines) stay as catalogued, in the
language of the catalogue: a French label of an English catalogue says "Matériaux : bronze".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

LANGUAGES = ("en", "fr")

# The connecting wording; `template_vocabulary` derives the test's list of template words here.
TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "origin": "Made in {value}",
        "materials": "{value}",
        "maker": "{role}: {value}",
        "dimensions": "{value}",
        "credit": "{value}",
        "bce": "BCE",
        "century": "{ordinal} century",
        "centuries": "{first}–{last} century",
        "years": "{first}–{last}",
        "intro_count": "This exhibition brings together {objects} in {rooms}.",
        "intro_span": "The objects date from {first} to {last}.",
        "intro_span_one": "The objects date from {first}.",
        "intro_places": "Most frequent places of origin: {values}.",
        "intro_cultures": "Most frequent cultures: {values}.",
        "intro_materials": "Most frequent materials: {values}.",
        "intro_rooms": "Rooms: {values}.",
        "object": "object",
        "objects": "objects",
        "room": "room",
        "rooms": "rooms",
    },
    "fr": {
        "origin": "Origine : {value}",
        "materials": "Matériaux : {value}",
        "maker": "{role} : {value}",
        "dimensions": "Dimensions : {value}",
        "credit": "{value}",
        "bce": "av. J.-C.",
        "century": "{ordinal} siècle",
        "centuries": "{first}–{last} siècle",
        "years": "{first}–{last}",
        "intro_count": "Cette exposition réunit {objects} en {rooms}.",
        "intro_span": "Les objets datent du {first} au {last}.",
        "intro_span_one": "Les objets datent du {first}.",
        "intro_places": "Lieux d'origine les plus fréquents : {values}.",
        "intro_cultures": "Cultures les plus fréquentes : {values}.",
        "intro_materials": "Matériaux les plus fréquents : {values}.",
        "intro_rooms": "Salles : {values}.",
        "object": "objet",
        "objects": "objets",
        "room": "salle",
        "rooms": "salles",
    },
}
# Roles of the maker field ("Name [Role]"); an unknown role stays as catalogued.
ROLES: dict[str, dict[str, str]] = {
    "en": {"artist": "Artist", "author": "Author", "maker": "Maker", "illuminator": "Illuminator",
           "scribe": "Scribe", "workshop": "Workshop", "manufacturer": "Manufacturer",
           "designer": "Designer", "engraver": "Engraver", "printer": "Printer",
           "publisher": "Publisher", "painter": "Painter", "sculptor": "Sculptor"},
    "fr": {"artist": "Artiste", "author": "Auteur", "maker": "Fabricant",
           "illuminator": "Enlumineur", "scribe": "Copiste", "workshop": "Atelier",
           "manufacturer": "Manufacture", "designer": "Dessinateur", "engraver": "Graveur",
           "printer": "Imprimeur", "publisher": "Éditeur", "painter": "Peintre",
           "sculptor": "Sculpteur"},
}  # fmt: skip
# Credit lines that start with one of these words read on after the institution's name.
_CREDIT_VERBS = {"acquired", "gift", "purchased", "purchase", "bequest", "promised", "museum"}
_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]  # fmt: skip
_METRIC = re.compile(r"\(([^()]*\d[^()]*\bcm)\)")
_MAKER = re.compile(r"^(?P<name>.*?)\s*(?:\[(?P<role>[^\]]*)\])?$")


def raw_field(record: Any, name: str) -> str:
    """A field's text, whitespace collapsed; '' when missing."""
    value = record.get(name) if isinstance(record, Mapping) else getattr(record, name, None)
    return " ".join(str(value).split()) if value not in (None, "") else ""


def field(record: Any, name: str) -> str:
    """A field's text with multiple values (' | ') read as a list."""
    return raw_field(record, name).replace(" | ", ", ")


def _year(record: Any, name: str) -> int | None:
    value = record.get(name) if isinstance(record, Mapping) else getattr(record, name, None)
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _ordinal(number: int, lang: str) -> str:
    if lang == "fr":
        roman = ""
        for value, letters in _ROMAN:
            while number >= value:
                roman, number = roman + letters, number - value
        return f"{roman}e" if roman != "I" else "Ier"
    suffixes = {1: "st", 2: "nd", 3: "rd"}
    suffix = "th" if 10 <= number % 100 <= 20 else suffixes.get(number % 10, "th")
    return f"{number}{suffix}"


def century_of(year: int, *, end: bool = False) -> int:
    """Signed century of a date range's edge, read as catalogues write ranges (half-open):
    1800-1900 is the 19th century, 1001-1200 the 11th-12th, -500 to -401 the 5th BCE."""
    if year > 0:
        return (year - 1) // 100 + 1 if end else year // 100 + 1
    if year == 0:
        return 1
    return -(abs(year) // 100 + 1) if end else -((abs(year) - 1) // 100 + 1)


def century_text(century: int, lang: str = "en") -> str:
    """One signed century: '5th century BCE', 'XIXe siècle'."""
    words = TEMPLATES[lang]
    text = words["century"].format(ordinal=_ordinal(abs(century), lang))
    return text + (f" {words['bce']}" if century < 0 else "")


def century_phrase(start: int | None, end: int | None, lang: str = "en") -> str:
    """'5th century BCE', '11th–12th century', 'Ve siècle av. J.-C.', 'XIe–XIIe siècle'."""
    if start is None and end is None:
        return ""
    first = century_of(start if start is not None else end)  # type: ignore[arg-type]
    last = century_of(end, end=True) if end is not None and end != start else first
    last = max(last, first)
    if first == last:
        return century_text(first, lang)
    words = TEMPLATES[lang]
    bce = f" {words['bce']}"
    first_text = _ordinal(abs(first), lang) + (bce if first < 0 < last else "")
    text = words["centuries"].format(first=first_text, last=_ordinal(abs(last), lang))
    return text + (bce if last < 0 else "")


def year_phrase(start: int | None, end: int | None, lang: str = "en") -> str:
    """'1479–1185 BCE', '1520', '50 BCE–25' from the catalogue's years."""
    if start is None and end is None:
        return ""
    first, last = start if start is not None else end, end if end is not None else start
    assert first is not None and last is not None  # one of the two is set (checked above)
    bce = TEMPLATES[lang]["bce"]
    if first == last:
        return f"{abs(first)} {bce}" if first < 0 else str(first)
    if last < 0:
        return TEMPLATES[lang]["years"].format(first=abs(first), last=abs(last)) + f" {bce}"
    first_text = f"{abs(first)} {bce}" if first < 0 else str(first)
    return TEMPLATES[lang]["years"].format(first=first_text, last=last)


def date_phrase(record: Any, lang: str) -> str:
    """English: the catalogue's date as displayed, else one built from the years. French: built
    from the years (centuries when the catalogue speaks of centuries or the span is wide), else
    the date as catalogued."""
    text = field(record, "date_text")
    start, end = _year(record, "date_start_year"), _year(record, "date_end_year")
    if lang == "en" and text:
        return text
    if start is None and end is None:
        return text
    wide = start is not None and end is not None and end - start >= 50
    if wide or "centur" in text.lower() or (not text and start != end):
        return century_phrase(start, end, lang)
    return year_phrase(start, end, lang)


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".;,")
    return text[:1].upper() + text[1:] + "." if text else ""


def _makers(record: Any, lang: str) -> list[str]:
    """'Role: Name' for each maker, skipping a culture standing in for an unknown maker."""
    culture = field(record, "culture").lower()
    clauses = []
    for part in re.split(r"\s*(?:\||;)\s*", raw_field(record, "maker")):
        match = _MAKER.match(part)
        if not match:
            continue
        name = " ".join(match["name"].replace("()", " ").split()).strip(" ,")
        role = (match["role"] or "").strip()
        if not name or (culture and name.lower() in culture):
            continue
        if ":" in name:  # "Movement: French" already says what the part is
            clauses.append(name)
            continue
        role_text = ROLES[lang].get(role.lower(), role) or ROLES[lang]["maker"]
        clauses.append(TEMPLATES[lang]["maker"].format(role=role_text, value=name))
    return clauses


def wall_label(record: Any, lang: str = "en", *, institution: str = "") -> str:
    """A wall label: title; origin, culture, period, dynasty, reign and date; materials;
    makers; metric dimensions; institution and credit line. Empty fields are left out."""
    words = TEMPLATES[lang]
    sentences = [_sentence(field(record, "title"))]
    place = field(record, "place_of_origin") or field(record, "country")
    context = [field(record, name) for name in ("culture", "period", "dynasty", "reign")]
    context.append(date_phrase(record, lang))
    context = [value for value in context if value]
    if place:
        origin = words["origin"].format(value=place)
        if lang == "fr" and context:
            sentences.append(_sentence(origin))
            sentences.append(_sentence(", ".join(context)))
        else:
            sentences.append(_sentence(", ".join([origin, *context])))
    elif context:
        sentences.append(_sentence(", ".join(context)))
    materials = field(record, "materials")
    if materials:
        sentences.append(_sentence(words["materials"].format(value=materials)))
    sentences.extend(_sentence(clause) for clause in _makers(record, lang))
    metric = _METRIC.search(field(record, "dimensions"))
    if metric:
        sentences.append(words["dimensions"].format(value=metric.group(1).strip()) + ".")
    credit = field(record, "credit_line")
    if credit and institution:
        first_word = credit.split()[0].lower()
        credit = credit[:1].lower() + credit[1:] if first_word in _CREDIT_VERBS else credit
        sentences.append(_sentence(f"{institution}, {credit}"))
    elif credit or institution:
        sentences.append(_sentence(credit or institution))
    return " ".join(sentence for sentence in sentences if sentence)


def wall_labels(record: Any, *, institution: str = "") -> dict[str, str]:
    return {lang: wall_label(record, lang, institution=institution) for lang in LANGUAGES}


def _plural(count: int, one: str, many: str, lang: str) -> str:
    return f"{count} {TEMPLATES[lang][one if count == 1 else many]}"


def _most_common(records: Sequence[Any], name: str, top_n: int) -> str:
    values = Counter(field(record, name) for record in records)
    values.pop("", None)
    ranked = sorted(values.items(), key=lambda item: (-item[1], item[0]))[:top_n]
    return ", ".join(f"{value} ({count})" for value, count in ranked if count > 1)


def introduction(
    records: Sequence[Any], room_names: Iterable[str] = (), lang: str = "en", top_n: int = 3
) -> str:
    """An exhibition's introduction: counts, the span of dates, the most frequent places,
    cultures and materials (with their counts) and the rooms in visiting order."""
    words = TEMPLATES[lang]
    rooms = [name for name in room_names if name]
    count = _plural(len(records), "object", "objects", lang)
    sentences = [
        words["intro_count"].format(objects=count, rooms=_plural(len(rooms), "room", "rooms", lang))
        if rooms
        else _sentence(count)
    ]
    starts = [y for y in (_year(r, "date_start_year") for r in records) if y is not None]
    ends = [y for y in (_year(r, "date_end_year") for r in records) if y is not None]
    if starts or ends:
        first = century_text(century_of(min(starts or ends)), lang)
        last = century_text(century_of(max(ends or starts), end=bool(ends)), lang)
        if first == last:
            sentences.append(words["intro_span_one"].format(first=first))
        else:
            sentences.append(words["intro_span"].format(first=first, last=last))
    for key, name in (
        ("intro_places", "place_of_origin"),
        ("intro_cultures", "culture"),
        ("intro_materials", "materials"),
    ):
        values = _most_common(records, name, top_n)
        if values:
            sentences.append(words[key].format(values=values))
    if rooms:
        listed = "; ".join(f"{index}. {name}" for index, name in enumerate(rooms, 1))
        sentences.append(words["intro_rooms"].format(values=listed))
    return " ".join(sentences)


def introductions(records: Sequence[Any], room_names: Sequence[str] = ()) -> dict[str, str]:
    return {lang: introduction(records, room_names, lang) for lang in LANGUAGES}


def template_vocabulary(lang: str) -> set[str]:
    """Every word the templates and role names can add (lower case). Century ordinals are not
    in it: they are derived from a record's years (see `century_phrase`)."""
    words: set[str] = set()
    for text in [*TEMPLATES[lang].values(), *ROLES[lang].values()]:
        words.update(tokens(re.sub(r"\{[^}]*\}", " ", text)))
    return words


def tokens(text: str) -> list[str]:
    """Lower-case word and number tokens (the unit of the facts-only check)."""
    return re.findall(r"[^\W_]+", text.lower())
