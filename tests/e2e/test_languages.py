"""The museum in French: chosen by the browser or with the header's switcher, by keyboard."""

from __future__ import annotations

import pytest

from tests.e2e.browser import WatchedPage, artifact_url, wait_for_viewer

pytestmark = pytest.mark.e2e


def test_the_switcher_works_by_keyboard_and_keeps_the_page(
    watched: WatchedPage, demo_pages: dict[str, str]
) -> None:
    page = watched.page
    page.goto(demo_pages["exhibition"])
    assert page.get_attribute("html", "lang") == "en"
    assert page.get_by_role("heading", name="Objects in this exhibition").is_visible()
    french = page.get_by_role("button", name="Français")
    french.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("html[lang='fr']")
    assert page.url == demo_pages["exhibition"]
    assert page.get_by_role("heading", name="Objets de cette exposition").is_visible()
    # The demo's French wall label and introduction, stored beside the English ones.
    assert "museau large et court" in page.inner_text("main")
    assert "Trois objets numérisés" in page.inner_text("main")
    assert page.get_by_role("button", name="Français").get_attribute("aria-current") == "true"
    # The gallery's strings came translated through its JSON config.
    strings = page.evaluate(
        "JSON.parse(document.getElementById('gallery-config').textContent).strings"
    )
    assert strings["loading"] == "Chargement de la galerie…"
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang='en']")
    assert page.get_by_role("heading", name="Objects in this exhibition").is_visible()
    watched.assert_clean()


@pytest.mark.parametrize("watched", ["fr"], indirect=True)
def test_a_french_browser_gets_french_pages_and_api_text(
    watched: WatchedPage, demo_pages: dict[str, str]
) -> None:
    page = watched.page
    page.goto(artifact_url(demo_pages, "whale"))
    assert wait_for_viewer(page) == {"state": "loaded"}
    assert page.get_attribute("html", "lang") == "fr"
    assert page.get_by_role("heading", name="À propos de cet objet").is_visible()
    assert page.get_by_role("button", name="Réinitialiser la vue").is_visible()
    # Loaded, or loading the finer levels: the viewer's own status line, in French.
    status = page.inner_text("#viewer-status-text")
    assert status.startswith(("Modèle 3D chargé", "Chargement des détails", "Tous les détails")), (
        status
    )
    # The planner's explanations come from the API, in the browser's language too.
    page.goto(demo_pages["lobby"].rstrip("/") + "/plan/")
    page.fill("#plan-interests", "bronze")
    page.get_by_role("button", name="Préparer mon parcours").click()
    page.wait_for_function("document.querySelectorAll('#plan-stops li').length > 0")
    assert page.inner_text("#plan-status").startswith("Votre parcours")
    reasons = page.locator(".plan-stop__why").all_inner_texts()
    # (Whether every reason has its French is test_languages.py's catalogue check.)
    french = ("Vous avez choisi", "Correspond", "Proche", "Sur le chemin", "En lien")
    assert any(text.startswith(french) for text in reasons), reasons
    watched.assert_clean()
