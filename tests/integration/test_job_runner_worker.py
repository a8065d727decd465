"""The job runner with a real Celery worker on the single profile (filesystem broker, SQLite):
`kill -9` of the worker in the middle of an intake job, then a fresh worker. The filesystem
transport deleted the job's message when the first worker fetched it; the new worker finds the
job "running", queues it again, and the job completes exactly once (a duplicate message, if
any, claims nothing)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCAN = ROOT / "exhibits" / "demo" / "venus.glb"  # ~4 MB: intake takes seconds, time to kill


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300, check=True,
    )  # fmt: skip


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "museum.celery", "worker", "--pool=solo",
         "--concurrency=1", "-Q", "default,gpu", "--loglevel=INFO", "--without-heartbeat",
         "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def job_row(db: Path, job_id: int) -> dict:
    with sqlite3.connect(db, timeout=10) as connection:
        connection.row_factory = sqlite3.Row
        row = connection.execute(
            "SELECT status, stage, attempts, error FROM exhibits_job WHERE id = ?", (job_id,)
        ).fetchone()
        outputs = connection.execute(
            "SELECT kind, label, file FROM exhibits_asset WHERE created_by_job_id = ?", (job_id,)
        ).fetchall()
    return {**dict(row), "outputs": [tuple(o) for o in outputs]}


def wait_for(predicate, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")


def test_a_job_whose_worker_was_killed_completes_exactly_once(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MOUSEION_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "museum.settings",
        "MOUSEION_ENCODER": "hashing",
        "PYTHONUNBUFFERED": "1",
    }
    # The single profile: media on disk too (the scaled stage exports MOUSEION_MEDIA_STORAGE=s3).
    for key in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "MOUSEION_MEDIA_STORAGE"):
        env.pop(key, None)
    manage(env, "migrate", "--no-input", "-v0")
    queued = manage(env, "ingest", str(SCAN), "--title", "Venus", "--queue")
    job_id = int(json.loads(queued.stdout)["job_id"])
    db = tmp_path / "mouseion.sqlite3"
    log = tmp_path / "worker.log"

    first = start_worker(env, log)
    try:
        wait_for(
            lambda: job_row(db, job_id)["status"] == "running"
            and job_row(db, job_id)["stage"] not in ("", "starting"),
            120, "the job to be running", log,
        )  # fmt: skip
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    killed = job_row(db, job_id)
    assert killed["status"] == "running" and killed["attempts"] == 1

    second = start_worker(env, log)
    try:
        wait_for(lambda: job_row(db, job_id)["status"] in ("done", "failed"), 240, "the job", log)
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=20)
        except subprocess.TimeoutExpired:
            second.kill()
    done = job_row(db, job_id)
    assert done["status"] == "done", done["error"]
    assert done["attempts"] == 2
    labels = [(kind, label) for kind, label, _file in done["outputs"]]
    assert labels and len(labels) == len(set(labels))  # published once, no duplicate rows
    stored = {
        str(p.relative_to(tmp_path / "media")) for p in (tmp_path / "media").rglob(f"job{job_id}-*")
    }
    assert stored == {file for _kind, _label, file in done["outputs"]}  # no orphaned files
    assert "re-queued 1 job(s) a stopped worker left running" in log.read_text()
