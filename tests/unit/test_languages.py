"""The interface in English and French: the catalogue, the pages, the switcher, stored labels."""

from __future__ import annotations

import ast
import gettext as gnu_gettext
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Template, engines
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.test import Client
from django.utils import translation

from museum.building.models import Floor, Room
from tests.unit import test_condition_services as condition_tests
from tests.unit.factories import make_artifact, make_exhibition

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale" / "fr" / "LC_MESSAGES"
tiny_model = condition_tests.tiny_model  # the damage network the PDF test's check runs

PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]?\d*(?:\.\d+)?[sdrf]|%[sd]|\{\w+\}")


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    """LocaleMiddleware leaves the last request's language active in the thread: the next
    test module would run in French."""
    yield
    translation.deactivate()


# ------------------------------------------------------------------ the catalogue


def _unquote(line: str) -> str:
    return ast.literal_eval(line.strip())


def read_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (a list), flags."""
    entries: list[dict] = []
    entry: dict = {"flags": set(), "msgstr": []}
    field = None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if "msgid" in entry:
                entries.append(entry)
            entry, field = {"flags": set(), "msgstr": []}, None
        elif line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if field == "msgstr":
                entry["msgstr"][-1] += _unquote(line)
            else:
                entry[field] += _unquote(line)
        else:
            keyword, _space, value = line.partition(" ")
            if keyword.startswith("msgstr"):
                field = "msgstr"
                entry["msgstr"].append(_unquote(value))
            else:
                field = keyword
                entry[field] = _unquote(value)
    return entries


def french_entries() -> list[dict]:
    return [e for e in read_po(LOCALE / "django.po") if e["msgid"]]


def test_every_french_entry_is_translated_and_none_is_fuzzy() -> None:
    entries = french_entries()
    assert len(entries) > 500
    header = read_po(LOCALE / "django.po")[0]
    assert "fuzzy" not in header["flags"] and "Language: fr" in header["msgstr"][0]
    untranslated = [e["msgid"] for e in entries if not all(s.strip() for s in e["msgstr"])]
    assert not untranslated, f"{len(untranslated)} strings without French: {untranslated[:10]}"
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not fuzzy, f"fuzzy entries (a guess by msgmerge, not a translation): {fuzzy[:10]}"


def test_french_keeps_every_placeholder() -> None:
    wrong = []
    for entry in french_entries():
        source = entry.get("msgid_plural", entry["msgid"])
        for text in entry["msgstr"][-1:]:
            if set(PLACEHOLDER.findall(source)) != set(PLACEHOLDER.findall(text)):
                wrong.append((source, text))
    assert not wrong, wrong[:5]


def test_the_compiled_catalogue_matches_the_po() -> None:
    """The .mo is committed (a clone works without gettext): it must say what the .po says."""
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gnu_gettext.GNUTranslations(handle)
    stale = []
    for entry in french_entries():
        key = entry["msgid"]
        if "msgctxt" in entry:
            key = f"{entry['msgctxt']}\x04{key}"
        if "msgid_plural" in entry:
            shown = [compiled.ngettext(key, entry["msgid_plural"], n) for n in (1, 2)]
        else:
            shown = [compiled.gettext(key)]
        if shown != entry["msgstr"]:
            stale.append(entry["msgid"])
    assert not stale, f"run `manage.py compilemessages -l fr`: stale {stale[:5]}"


# ------------------------------------------------------------------ every marked string


GETTEXT_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
SOURCE_PACKAGES = ("museum", "exhibits", "restoration")


def _python_messages() -> Iterator[tuple[str, str]]:
    """(where, catalogue key) of every string literal passed to a gettext function."""
    for package in SOURCE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name not in GETTEXT_NAMES:
                    continue
                texts = [a.value for a in node.args if isinstance(a, ast.Constant)]
                if not texts or not all(isinstance(t, str) for t in texts):
                    continue
                key = (
                    f"{texts[0]}\x04{texts[1]}"
                    if name.startswith(("pgettext", "npg"))
                    else texts[0]
                )
                yield f"{path.relative_to(ROOT)}:{node.lineno}", key


def _template_messages() -> Iterator[tuple[str, str]]:
    engine = engines["django"].engine
    for path in sorted((ROOT / "templates").rglob("*.html")):
        template = Template(path.read_text(encoding="utf-8"), engine=engine)
        where = str(path.relative_to(ROOT))
        for node in template.nodelist.get_nodes_by_type(TranslateNode):
            literal = node.filter_expression.var.literal
            if isinstance(literal, str) and not node.noop:
                context = node.message_context.resolve({}) if node.message_context else None
                yield where, f"{context}\x04{literal}" if context else literal
        for node in template.nodelist.get_nodes_by_type(BlockTranslateNode):
            singular, _vars = node.render_token_list(node.singular)
            context = node.message_context.resolve({}) if node.message_context else None
            yield where, f"{context}\x04{singular}" if context else singular


def test_every_marked_string_has_a_french_translation() -> None:
    """A string marked in Python or a template but missing from the catalogue shows in English
    on French pages. Fix: `manage.py makemessages -l fr ...` (README), translate, compile."""
    catalogue = {
        e["msgid"] if "msgctxt" not in e else f"{e['msgctxt']}\x04{e['msgid']}"
        for e in french_entries()
    }
    missing = sorted(
        {
            (where, key)
            for where, key in [*_python_messages(), *_template_messages()]
            if key not in catalogue
        }
    )
    assert not missing, f"{len(missing)} marked strings have no French: {missing[:10]}"


# ------------------------------------------------------------------ pages


@pytest.fixture
def museum_pages(db) -> dict[str, str]:
    artifact = make_artifact(
        title="Bronze helmet", culture="Greek", object_number="A.1", materials="bronze"
    )
    exhibition = make_exhibition(artifact, title="Arms and armour", slug="arms")
    floor = Floor.objects.create(name="Ground", level=0)
    Room.objects.create(
        floor=floor, code="hall", name="Hall", x_m=0, y_m=0, is_entrance=True, is_exit=True
    )
    return {
        "lobby": "/",
        "exhibition": exhibition.get_absolute_url(),
        "artifact": artifact.get_absolute_url(),
        "search": "/search/",
        "tours": "/tours/",
        "plan": "/plan/",
        "condition": f"/artifacts/{artifact.pk}/condition/",
    }


# A few strings of each page, in each language (the header's in both).
KEY_STRINGS = {
    "lobby": (["Welcome to the museum", "Exhibitions"], ["Bienvenue au musée", "Expositions"]),
    "exhibition": (
        ["Objects in this exhibition", "Breadcrumb"],
        ["Objets de cette exposition", "Fil d’Ariane"],
    ),
    "artifact": (
        ["About this object", "Object number", "Points of interest"],
        ["À propos de cet objet", "Numéro d’inventaire", "Points d’intérêt"],
    ),
    "search": (["Search the collection"], ["Rechercher dans la collection"]),
    "tours": (
        ["Visit together", "Tour code", "Live now"],
        ["Visiter ensemble", "Code de la visite", "En direct"],
    ),
    "plan": (["Plan my route", "Group size"], ["Préparer mon parcours", "Taille du groupe"]),
    "condition": (
        ["Condition report", "No condition check has been run on this object yet."],
        ["Constat d’état", "Aucun constat d’état n’a encore été réalisé sur cet objet."],
    ),
}
HEADER = (
    ["Guided tours", "Skip to main content"],
    ["Visites guidées", "Aller au contenu principal"],
)


@pytest.mark.parametrize("page", list(KEY_STRINGS))
@pytest.mark.parametrize("language", ["en", "fr"])
def test_pages_follow_the_browser_language(museum_pages, page: str, language: str) -> None:
    response = Client().get(museum_pages[page], HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.5")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert "Accept-Language" in response.headers.get("Vary", "")
    wanted, other = (0, 1) if language == "en" else (1, 0)
    for text in KEY_STRINGS[page][wanted] + HEADER[wanted]:
        assert text in html, f"{page} in {language}: {text!r} missing"
    for text in KEY_STRINGS[page][other][:1] + HEADER[other]:
        assert text not in html, f"{page} in {language}: {text!r} from the other language"


def test_an_unknown_browser_language_gets_english(museum_pages) -> None:
    html = Client().get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="en">' in html and "Welcome to the museum" in html


def test_the_switcher_changes_the_language_and_keeps_the_page(museum_pages) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/tours/?code=", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    # The header's form: set_language, the same page as `next`, each language named in itself.
    assert 'action="/i18n/setlang/"' in html and 'name="next" value="/tours/?code="' in html
    assert 'lang="fr">Français</button>' in html
    assert 'value="en" lang="en" aria-current="true">English</button>' in html
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        "/i18n/setlang/",
        {"language": "fr", "next": "/tours/", "csrfmiddlewaretoken": token},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302 and response["Location"] == "/tours/"
    # The choice outlives the browser's preference.
    html = client.get("/tours/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="fr">' in html and "Visiter ensemble" in html
    assert 'value="fr" lang="fr" aria-current="true">Français</button>' in html


def test_the_search_facets_name_centuries_in_french() -> None:
    from exhibits.curation.search_api import century_label

    with translation.override("fr"):
        assert century_label(16) == "16e siècle apr. J.-C."
        assert century_label(-1) == "1er siècle av. J.-C."
    with translation.override("en"):
        assert century_label(16) == "16th century CE"


# ------------------------------------------------------------------ stored label translations


def test_stored_french_labels_and_introductions_are_served(db) -> None:
    from museum.gallery.scene import gallery_scene

    artifact = make_artifact(title="Bronze helmet")
    exhibition = make_exhibition(
        artifact,
        slug="arms",
        introduction="Arms of the ancient world.",
        introduction_translations={"fr": "Les armes du monde antique."},
    )
    item = exhibition.items.get()
    item.label_text = "A helmet of hammered bronze."
    item.label_translations = {"fr": "Un casque en bronze martelé.", "de": ""}
    item.save()

    french = Client().get("/exhibitions/arms/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Un casque en bronze martelé." in french and "hammered bronze" not in french
    assert "Les armes du monde antique." in french and "Arms of the ancient world" not in french
    english = Client().get("/exhibitions/arms/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A helmet of hammered bronze." in english and "bronze martelé" not in english
    assert "Arms of the ancient world." in english
    lobby = Client().get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Les armes du monde antique." in lobby

    with translation.override("fr"):
        assert gallery_scene(exhibition)["items"][0]["label"] == "Un casque en bronze martelé."
    # A regional variant finds the language; a blank or missing translation falls back.
    with translation.override("fr-ca"):
        assert item.translated_label == "Un casque en bronze martelé."
    with translation.override("de"):
        assert item.translated_label == "A helmet of hammered bronze."
    item.label_translations = {"fr": "  "}
    with translation.override("fr"):
        assert item.translated_label == "A helmet of hammered bronze."


def test_labels_the_curation_module_writes_in_french_are_served(db) -> None:
    """generate_texts stores French wall labels beside the English: the French page shows them."""
    from exhibits.curation import suggestions

    artifact = make_artifact(title="Bronze helmet", culture="Greek", materials="bronze")
    exhibition = make_exhibition(artifact, slug="arms")
    suggestions.generate_texts(exhibition=exhibition, institution="Mouseion")
    item = exhibition.items.get()
    assert item.label_translations.get("fr") and item.label_text
    assert item.label_translations["fr"] != item.label_text
    french = Client().get("/exhibitions/arms/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    first_line = item.label_translations["fr"].splitlines()[0]
    assert first_line in french.replace("&#x27;", "'")
    english = Client().get("/exhibitions/arms/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert item.label_text.splitlines()[0] in english.replace("&#x27;", "'")
    assert first_line not in english.replace("&#x27;", "'")


# ------------------------------------------------------------------ the condition PDF


def test_the_condition_pdf_is_written_and_cached_in_the_readers_language(db, tiny_model) -> None:
    """A PDF built for a French reader is French, and never served to an English one (the
    shared cache's key names the language)."""
    import io

    from django.core.cache import cache
    from pypdf import PdfReader

    from restoration.condition import visibility
    from restoration.models import ConditionRecord
    from tests.unit.test_condition_services import make_textured_artifact, run_check

    def text_of(data: bytes) -> str:
        return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)

    cache.clear()
    artifact = make_textured_artifact()
    job = run_check(artifact, tiny_model)
    visibility.set_released(records=ConditionRecord.objects.filter(job=job), released=True)
    url = f"/artifacts/{artifact.pk}/condition.pdf"
    french = text_of(Client().get(url, HTTP_ACCEPT_LANGUAGE="fr").content)
    english = text_of(Client().get(url, HTTP_ACCEPT_LANGUAGE="en").content)
    assert "Constat d’état" in french and "Fissure" in french and "Part des pixels" in french
    assert "Condition report" in english and "Crack" in english and "Fissure" not in english
    cache.clear()


def test_the_tour_pages_name_websocket_refusals_in_french() -> None:
    """The realtime core refuses in English; tour.js shows the page's words for its codes."""
    from museum.tours.views import _strings

    with translation.override("fr"):
        strings = _strings()
    assert strings["errors"]["rate_limited"] == "Trop de messages\u202f; patientez un instant."
    assert strings["errorPrefix"] == "Refusé\u00a0: "
    script = (ROOT / "static" / "js" / "pages" / "tour.js").read_text(encoding="utf-8")
    assert "strings.errors?.[event.code]" in script


# ------------------------------------------------------------------ a new original


def test_a_persons_new_label_drops_the_translations_generated_from_the_old_one(db) -> None:
    """Served translations must say what the original says: once a curator rewrites a generated
    label, its generated French goes (French visitors read the curator's text); French a person
    wrote stays."""
    from types import SimpleNamespace

    from django.contrib import admin as django_admin
    from django.test import RequestFactory

    from exhibits.collection import admin as collection_admin
    from exhibits.curation import suggestions
    from exhibits.models import Exhibition, ExhibitionItem, TextStatus

    artifact = make_artifact(title="Bronze helmet", culture="Greek", materials="bronze")
    exhibition = make_exhibition(artifact, slug="arms")
    suggestions.generate_texts(exhibition=exhibition, institution="Mouseion")
    item = exhibition.items.get()
    assert item.label_translations.get("fr") and exhibition.introduction_translations.get("fr")

    suggestions.set_label(item=item, text="A helmet, rewritten by the curator.")
    suggestions.set_introduction(exhibition=exhibition, text="Our own introduction.")
    french = Client().get("/exhibitions/arms/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "A helmet, rewritten by the curator." in french
    assert "Our own introduction." in french

    # Written by a person, in both languages: a later English edit keeps the French.
    suggestions.set_label(item=item, text="Un casque, traduit par le conservateur.", lang="fr")
    suggestions.set_label(item=item, text="A helmet, edited again.")
    item.refresh_from_db()
    assert item.label_translations == {"fr": "Un casque, traduit par le conservateur."}

    # The admin's inline does the same for a generated label edited in English only.
    suggestions.generate_texts(exhibition=exhibition, overwrite_approved=True)
    other = make_artifact(title="Bronze greave", culture="Greek", materials="bronze")
    second = make_exhibition(artifact, other, slug="arms-2")
    suggestions.generate_texts(exhibition=second, institution="Mouseion")
    edited = second.items.order_by("order").first()
    assert edited.label_translations.get("fr")
    edited.label_text = "Edited in the inline."
    form = SimpleNamespace(changed_data=["label_text"], instance=edited)
    formset = SimpleNamespace(model=ExhibitionItem, forms=[form], save=edited.save)
    admin = collection_admin.ExhibitionAdmin(Exhibition, django_admin.site)
    admin.save_formset(RequestFactory().post("/admin/"), None, formset, change=True)
    edited.refresh_from_db()
    assert (edited.label_status, edited.label_translations) == (TextStatus.WRITTEN, {})
