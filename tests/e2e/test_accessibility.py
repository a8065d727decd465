"""axe-core finds no serious or critical accessibility problems on the visitor pages."""

from __future__ import annotations

import pytest

from tests.e2e.browser import WatchedPage, artifact_url, run_axe, wait_for_viewer

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}


@pytest.mark.parametrize("page_name", ["lobby", "exhibition", "artifact"])
def test_no_serious_accessibility_violations(
    watched: WatchedPage, demo_pages: dict[str, str], page_name: str
) -> None:
    page = watched.page
    if page_name == "artifact":
        page.goto(artifact_url(demo_pages, "whale"))
        assert wait_for_viewer(page) == {"state": "loaded"}
        page.wait_for_selector("#viewer-xr[data-xr-ready='true']")
    else:
        page.goto(demo_pages[page_name])
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
