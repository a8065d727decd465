"""Controller models in VR (#22): the WebXR input profiles we serve, and only those."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

ROOT = Path(settings.BASE_DIR)
PACKAGE = ROOT / "node_modules" / "@webxr-input-profiles" / "assets" / "dist" / "profiles"
SERVED_LIST = ROOT / "static" / "vendor" / "xr-input-profiles" / "profilesList.json"


def test_the_served_profiles_list_names_exactly_the_served_profiles() -> None:
    """A listed profile that is not served would 404 instead of falling back to the generic
    model (motion-controllers takes the first listed id a controller reports)."""
    served = json.loads(SERVED_LIST.read_text(encoding="utf-8"))
    upstream = json.loads((PACKAGE / "profilesList.json").read_text(encoding="utf-8"))
    assert set(served) == set(settings.XR_INPUT_PROFILES)
    assert "generic-trigger" in served  # three's XRControllerModelFactory's fallback
    for profile, entry in served.items():
        assert entry == upstream[profile], profile


def test_each_profile_and_its_models_are_served_and_nothing_else() -> None:
    assert finders.find("vendor/xr-input-profiles/profilesList.json") == str(SERVED_LIST)
    for profile in settings.XR_INPUT_PROFILES:
        description = json.loads((PACKAGE / profile / "profile.json").read_text(encoding="utf-8"))
        assert finders.find(f"vendor/xr-input-profiles/{profile}/profile.json"), profile
        for layout in description["layouts"].values():
            asset = f"vendor/xr-input-profiles/{profile}/{layout['assetPath']}"
            assert finders.find(asset), asset
    assert (PACKAGE / "pico-4" / "profile.json").is_file()
    assert not finders.find("vendor/xr-input-profiles/pico-4/profile.json")
