"""POST /analytics/beacon: the artifact page's view and dwell, sent by navigator.sendBeacon.

Body: JSON {"artifact": id, "dwell": seconds visible, "mode": "browser"|"vr"|"ar"} (the gallery
page sends {"mode": ...} without an artifact: a device count only). Refused (400) when malformed,
404 when the object is not published, 403 from another site; throttled per client address
(scope `beacon`). Sec-GPC: 1 or DNT: 1: accepted and not counted. A dwell above
MOUSEION_ANALYTICS_MAX_DWELL_SECONDS is clamped. The answer never says more than "accepted".
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from museum.analytics import collect
from museum.analytics.devices import MODES, device_class
from museum.throttling import throttled_view

MAX_BODY_BYTES = 512


class BeaconError(ValueError):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _same_site(request: HttpRequest) -> bool:
    """sendBeacon sends cookies, so CSRF tokens cannot ride along: the browser's own fetch
    metadata (or Origin) must say the page was ours."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is None or origin == f"{request.scheme}://{request.get_host()}"


def parse_beacon(body: bytes) -> dict[str, Any]:
    """The beacon's fields, checked (raises BeaconError)."""
    if len(body) > MAX_BODY_BYTES:
        raise BeaconError("too_large", "A beacon is at most 512 bytes.")
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise BeaconError("bad_json", "Send a JSON object.") from None
    if not isinstance(data, dict):
        raise BeaconError("bad_json", "Send a JSON object.")
    mode = data.get("mode", "browser")
    if mode not in MODES:
        raise BeaconError("bad_value", "mode is browser, vr or ar.")
    artifact = data.get("artifact")
    if artifact is None:
        return {"artifact": None, "dwell": 0.0, "mode": mode}
    if type(artifact) is not int or not 0 < artifact < 2**31:
        raise BeaconError("bad_value", "artifact is an object's id.")
    dwell = data.get("dwell")
    if not isinstance(dwell, (int, float)) or isinstance(dwell, bool):
        raise BeaconError("bad_value", "dwell is a number of seconds, 0 or more.")
    if not math.isfinite(dwell) or dwell < 0:
        raise BeaconError("bad_value", "dwell is a number of seconds, 0 or more.")
    return {"artifact": artifact, "dwell": collect.clamp_dwell(dwell), "mode": mode}


def _published(artifact: int) -> bool:
    from exhibits.models import Artifact, PublicationStatus

    return Artifact.objects.filter(pk=artifact, status=PublicationStatus.PUBLISHED).exists()


@csrf_exempt
@require_POST
@throttled_view("beacon")
def beacon(request: HttpRequest) -> HttpResponse:
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        if not _same_site(request):
            raise BeaconError("forbidden", "Beacons come from the museum's own pages.", 403)
        fields = parse_beacon(request.body)
        if fields["artifact"] is not None and not _published(fields["artifact"]):
            raise BeaconError("not_found", "No published object has this id.", 404)
    except BeaconError as error:
        body = {"error": {"code": error.code, "message": error.message, "fields": {}}}
        return JsonResponse(body, status=error.status)
    if collect.enabled() and not collect.opted_out(headers):
        kind = device_class(
            headers.get("user-agent", ""), mobile_hint=headers.get("sec-ch-ua-mobile", "")
        )
        collect.device(device_class=kind, mode=fields["mode"])
        if fields["artifact"] is not None:
            collect.artifact_view(artifact=fields["artifact"], seconds=fields["dwell"])
        collect.flush_if_due()
    return HttpResponse(status=204)
