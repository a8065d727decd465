"""The hostile inputs of the intake and real-time issues, sent to the scaled stack: through nginx
to either ASGI process, stored on PostgreSQL, run by the worker over Redis. The cases come from
the existing suites (imported, not copied), so a new hostile case is tried here too."""

from __future__ import annotations

import hashlib
import secrets

import httpx
import pytest

from tests.integration import test_realtime_live as live
from tests.scaled.conftest import Stack, results, wait_until
from tests.unit.test_intake_hostile import HOSTILE, Hostile

pytestmark = pytest.mark.scaled

# Cases that need their own limits are left to the unit suite: the stack runs with one setting.
JOB_CASES = [case for case in HOSTILE if case.job and not case.limits]


def upload(http: httpx.Client, stack: Stack, artifact_id: int, name: str, data: bytes):
    return http.post(
        f"/api/artifacts/{artifact_id}/assets/",
        files={"file": (name, data, "application/octet-stream")},
        auth=stack.museum.api_auth("curator"),
    )


@pytest.fixture(scope="module")
def artifact_id(stack: Stack) -> int:
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        return results(client, "/api/artifacts/")[-1]["id"]


@pytest.mark.parametrize("case", JOB_CASES, ids=lambda case: case.id)
def test_hostile_upload_fails_its_job_and_publishes_nothing(
    case: Hostile, stack: Stack, http: httpx.Client, artifact_id: int
) -> None:
    data = case.build()
    response = upload(http, stack, artifact_id, case.filename, data)
    assert response.status_code == 201, response.text
    body = response.json()
    auth = stack.museum.api_auth("curator")

    def finished() -> dict | None:
        job = http.get(f"/api/jobs/{body['job_id']}/", auth=auth).json()
        return job if job["status"] in ("done", "failed") else None

    job = wait_until(finished, 60, f"hostile job {case.id}", every=0.2)
    assert job["status"] == "failed", job
    assert job["report"]["error_code"] == case.code, job
    assets = results(http, f"/api/artifacts/{artifact_id}/assets/", auth=auth)
    assert not [a for a in assets if a["created_by_job"] == body["job_id"]]
    # The source is stored untouched, byte for byte (private: only the curator may fetch it).
    assert http.get(body["asset"]["url"]).status_code == 404
    source = http.get(body["asset"]["url"], auth=auth)
    assert source.status_code == 200
    assert hashlib.sha256(source.content).hexdigest() == hashlib.sha256(data).hexdigest()


def test_oversize_upload_through_the_proxy_is_refused(
    stack: Stack, http: httpx.Client, artifact_id: int
) -> None:
    limit = int(stack.museum.env["MOUSEION_MAX_UPLOAD_BYTES"])
    auth = stack.museum.api_auth("curator")
    before = results(http, f"/api/artifacts/{artifact_id}/assets/", auth=auth)
    response = upload(http, stack, artifact_id, "huge.glb", b"glTF" + bytes(limit))
    # Under nginx's body cap (the file cap + 1 MiB), so the application's handler refuses it.
    assert response.status_code == 413, response.text[:300]
    assert f"the limit is {limit} bytes" in response.json()["error"]["message"]
    assert results(http, f"/api/artifacts/{artifact_id}/assets/", auth=auth) == before


@pytest.mark.asyncio
@pytest.mark.parametrize("process", ["web1", "web2"])
async def test_hostile_frames_on_each_process(stack: Stack, process: str) -> None:
    """The wire-level hostile frame test of the real-time issue, straight at each process."""
    museum = stack.upstream(process)
    room = f"/ws/rooms/{live.room_ids(stack.museum)[0]}/"
    await live.test_hostile_frames_over_the_wire(museum, room)
    await live.test_a_foreign_origin_is_refused_at_the_handshake(museum, room)


def test_a_search_flood_from_one_address_is_refused_by_both_processes(stack: Stack) -> None:
    """Through nginx, uvicorn (--proxy-headers, nginx on loopback trusted) takes the visitor's
    address from X-Forwarded-For, so the address claimed here is the one the limit counts. The
    counts live in Redis: the flood is refused after the search rate once, not once per process
    (nginx alternates between them), and each process refuses it when asked directly; another
    address is still served."""
    from museum.settings import THROTTLE_RATE_DEFAULTS

    rate = (
        stack.museum.env.get("MOUSEION_THROTTLE_SEARCH_ANON")
        or THROTTLE_RATE_DEFAULTS["search_anon"]
    )
    allowed = int(rate.split("/")[0])
    last = secrets.randbelow(250) + 1  # a fresh address each run
    flooder, other = f"198.51.100.{last}", f"198.51.100.{last + 1}"

    def search(client: httpx.Client, address: str) -> httpx.Response:
        return client.get(
            "/api/search", params={"q": "bronze"}, headers={"X-Forwarded-For": address}
        )

    with httpx.Client(base_url=stack.url, timeout=30) as through_nginx:
        served = 0
        while (response := search(through_nginx, flooder)).status_code == 200:
            served += 1
            assert served <= allowed, "the flood was not refused at the rate"
        assert response.status_code == 429, response.text[:300]
        assert served == allowed  # one count for both processes
        assert response.json()["error"]["code"] == "throttled"
        assert 0 < int(response.headers["Retry-After"]) <= 60
        assert search(through_nginx, other).status_code == 200
    for process in ("web1", "web2"):
        with httpx.Client(base_url=stack.web_urls[process], timeout=30) as straight:
            assert search(straight, flooder).status_code == 429, process
