"""axe-core finds no serious or critical accessibility problems on the visitor pages."""

from __future__ import annotations

import pytest

from tests.e2e.browser import WatchedPage, artifact_url, run_axe, wait_for_viewer

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}


# Pages beside the demo's lobby, exhibition and artifact, by path.
PATHS = {
    "search": "/search/?q=bronze",
    "tours": "/tours/",
    "plan": "/plan/",
}
PAGES = ["lobby", "exhibition", "artifact", "condition", *PATHS]


@pytest.mark.parametrize("page_name", PAGES)
@pytest.mark.parametrize("watched", ["en", "fr"], indirect=True)
def test_no_serious_accessibility_violations(
    watched: WatchedPage, demo_pages: dict[str, str], page_name: str
) -> None:
    """Every visitor page, in an English and in a French browser (the page follows it)."""
    page = watched.page
    language = page.evaluate("navigator.language")
    if page_name == "artifact":
        page.goto(artifact_url(demo_pages, "whale"))
        assert wait_for_viewer(page) == {"state": "loaded"}
        page.wait_for_selector("#viewer-xr[data-xr-ready='true']")
    elif page_name == "condition":
        page.goto(artifact_url(demo_pages, "whale") + "condition/")
    elif page_name in PATHS:
        page.goto(demo_pages["lobby"].rstrip("/") + PATHS[page_name])
    else:
        page.goto(demo_pages[page_name])
    assert page.get_attribute("html", "lang") == language
    violations = run_axe(page)
    for violation in violations:
        print(f"axe {violation['impact']}: {violation['id']}: {violation['help']}")
        for node in violation["nodes"]:
            print(f"    {node}")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, (
        f"{len(blocking)} serious/critical axe violations on {page_name}: {blocking}"
    )
    watched.assert_clean()
