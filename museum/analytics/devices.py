"""A coarse device class from a request's headers, decided when counting and never stored.

Framework-free. Only the class is counted (desktop, phone, tablet, XR headset): the user agent
string itself is read once and dropped.
"""

from __future__ import annotations

import re

DEVICE_CLASSES = ("desktop", "phone", "tablet", "xr")
MODES = ("browser", "vr", "ar")

_XR = re.compile(
    r"OculusBrowser|Quest|Pico|Wolvic|Firefox Reality|HoloLens|Magic Leap|MetaQuest|VisionOS",
    re.IGNORECASE,
)
_TABLET = re.compile(r"iPad|Tablet|PlayBook|Silk|Kindle|SM-T\d|Nexus (?:7|9|10)", re.IGNORECASE)
_PHONE = re.compile(r"iPhone|iPod|Windows Phone|Mobile|BlackBerry|Opera Mini", re.IGNORECASE)


def device_class(user_agent: str, *, mobile_hint: str = "") -> str:
    """desktop, phone, tablet or xr. `mobile_hint` is the Sec-CH-UA-Mobile header ("?1")."""
    agent = user_agent[:512]
    if _XR.search(agent):
        return "xr"
    if _TABLET.search(agent):
        return "tablet"
    if "Android" in agent and "Mobile" not in agent:
        return "tablet"  # Android tablets drop "Mobile" from their agent
    if mobile_hint.strip() == "?1" or _PHONE.search(agent):
        return "phone"
    return "desktop"
