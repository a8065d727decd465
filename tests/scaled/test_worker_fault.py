"""kill -9 the Celery worker in the middle of an intake job, restart it: the job completes exactly
once (the broker hands the unacknowledged job out again after its visibility timeout), with
no duplicate or half-written assets."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.scaled.conftest import Stack, results, wait_until

pytestmark = pytest.mark.scaled
# The scaled extra (redis, psycopg, channels-redis) is installed by `make test-scaled` only.
redis = pytest.importorskip("redis", reason="the scaled extra is not installed: make test-scaled")

ROOT = Path(__file__).resolve().parents[2]
SCAN = ROOT / "exhibits" / "demo" / "venus.glb"  # the largest demo scan: a few seconds of intake


def upload(http: httpx.Client, stack: Stack, artifact_id: int) -> tuple[int, int]:
    response = http.post(
        f"/api/artifacts/{artifact_id}/assets/",
        files={"file": (SCAN.name, SCAN.read_bytes(), "model/gltf-binary")},
        auth=stack.museum.api_auth("curator"),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["asset"]["id"], body["job_id"]


def job_of(http: httpx.Client, stack: Stack, job_id: int) -> dict:
    return http.get(f"/api/jobs/{job_id}/", auth=stack.museum.api_auth("curator")).json()


def wait_done(http: httpx.Client, stack: Stack, job_id: int, timeout: float) -> dict:
    def finished() -> dict | None:
        job = job_of(http, stack, job_id)
        return job if job["status"] in ("done", "failed") else None

    return wait_until(finished, timeout, f"job {job_id} finished", every=0.5)


def outputs(http: httpx.Client, stack: Stack, artifact_id: int, job_id: int) -> list[dict]:
    auth = stack.museum.api_auth("curator")
    assets = results(http, f"/api/artifacts/{artifact_id}/assets/", auth=auth)
    return [asset for asset in assets if asset["created_by_job"] == job_id]


def media_name(url: str) -> str:
    return url.split("/media/", 1)[1]


def assert_complete_outputs(stack: Stack, assets: list[dict], job_id: int) -> None:
    """Every row's file is stored (bucket or disk) with its recorded hash; no stored file of
    the job lacks a row."""
    for asset in assets:
        data = stack.stored(media_name(asset["url"]))
        assert len(data) == asset["byte_size"], asset
        assert hashlib.sha256(data).hexdigest() == asset["sha256"], asset
    rows = {media_name(asset["url"]) for asset in assets}
    stored = stack.stored_names(f"job{job_id}-")
    assert stored == rows, f"files without a row: {stored - rows}; rows without: {rows - stored}"


def test_worker_killed_mid_intake_completes_exactly_once(stack: Stack, http: httpx.Client) -> None:
    artifact_id = results(http, "/api/artifacts/")[0]["id"]
    # A reference run of the same scan, untouched, says what one complete intake leaves.
    _, reference_job = upload(http, stack, artifact_id)
    assert wait_done(http, stack, reference_job, timeout=120)["status"] == "done"
    reference = outputs(http, stack, artifact_id, reference_job)
    assert reference, "the reference intake produced nothing"

    for _attempt in range(3):
        source_id, job_id = upload(http, stack, artifact_id)
        job = wait_until(
            lambda job_id=job_id: (j := job_of(http, stack, job_id))["status"] != "queued" and j,
            60,
            "job started",
            every=0.05,
        )
        if job["status"] == "running" and job["progress"] < 90:
            stack.control("kill", "worker", "--signal", "KILL")
            break
    else:
        pytest.fail("three intake jobs finished before the worker could be killed mid-way")
    killed_at = time.monotonic()
    # Dead worker, job left running in the database, nothing published yet.
    time.sleep(1)
    job = job_of(http, stack, job_id)
    assert job["status"] == "running", job
    assert outputs(http, stack, artifact_id, job_id) == []

    stack.control("spawn", "worker")
    visibility = int(stack.museum.env["MOUSEION_BROKER_VISIBILITY_TIMEOUT"])
    job = wait_done(http, stack, job_id, timeout=visibility + 90)
    assert job["status"] == "done", job
    redelivered_after = time.monotonic() - killed_at

    produced = outputs(http, stack, artifact_id, job_id)
    assert Counter((a["kind"], a["label"]) for a in produced) == Counter(
        (a["kind"], a["label"]) for a in reference
    )
    assert all(a["derived_from"] == source_id for a in produced)
    assert_complete_outputs(stack, produced, job_id)
    # The message is acknowledged: nothing of this job is left to hand out a second time. The
    # job is "done" when its last stage publishes; the worker acknowledges when the task returns,
    # a moment later (acks_late), so the ack is awaited briefly, not assumed at once.
    broker = redis.Redis.from_url(stack.museum.env["REDIS_URL"])

    def acknowledged() -> bool:
        pending = [*broker.hvals("unacked"), *broker.lrange("default", 0, -1)]
        return not [
            raw for raw in pending if b"exhibits.intake" in raw and f"({job_id},)".encode() in raw
        ]

    wait_until(acknowledged, 15, "the redelivered intake message acknowledged")
    # The source is kept byte for byte.
    source = http.get(f"/api/assets/{source_id}/", auth=stack.museum.api_auth("curator")).json()
    assert stack.stored(media_name(source["url"])) == SCAN.read_bytes()
    print(f"\nworker kill -9 mid-intake: job {job_id} done {redelivered_after:.0f} s after kill")
