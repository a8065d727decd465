"""Texts stored in several languages (wall labels, introductions), served in the visitor's.

The curation module writes an exhibition's introduction and its wall labels in English (the
field itself) and in other languages (`introduction_translations`, `label_translations`:
`{lang: text}`); a curator may also write them. Pages show the active language's text where one
is stored and the original otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import get_language


def in_active_language(original: str, translations: Mapping[str, object] | None) -> str:
    """`original`, or its stored translation into the active language ("fr-ca" falls back to
    "fr"); a blank translation does not hide the original."""
    language = (get_language() or "").lower()
    if not translations or not language:
        return original
    for code in (language, language.split("-")[0]):
        text = translations.get(code)
        if isinstance(text, str) and text.strip():
            return text
    return original
