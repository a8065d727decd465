"""Fault and security suites against the running scaled stack (scripts/scaled/stack.py):
PostgreSQL, Redis, nginx in front of two uvicorn processes, one Celery worker.

`make test-scaled` starts the stack and sets MOUSEION_LIVE_STACK_URL; without it these tests
are skipped with a reason, so `make test` stays on the single profile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, LiveMuseum

STACK_URL = os.environ.get("MOUSEION_LIVE_STACK_URL")
NO_STACK = "needs the scaled stack: run `make test-scaled` (MOUSEION_LIVE_STACK_URL is not set)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if STACK_URL:
        return
    skip = pytest.mark.skip(reason=NO_STACK)
    for item in items:
        if item.get_closest_marker("scaled"):
            item.add_marker(skip)


@dataclass
class Stack:
    """The running stack: nginx's URL, each upstream's URL, and its control script."""

    museum: LiveMuseum
    web_urls: dict[str, str]
    folder: Path

    @property
    def url(self) -> str:
        return self.museum.url

    @property
    def password(self) -> str:
        return self.museum.demo_password

    def control(self, action: str, service: str, *extra: str) -> None:
        """stack.py kill/spawn one service (web1, web2, worker, redis, nginx)."""
        subprocess.run(
            [sys.executable, "scripts/scaled/stack.py", action, service, *extra],
            cwd=ROOT,
            env=self.museum.env,
            check=True,
            timeout=120,
        )

    def upstream(self, name: str) -> LiveMuseum:
        """One ASGI process straight, bypassing nginx (web1 or web2)."""
        return LiveMuseum(self.web_urls[name], self.museum.var_dir, self.museum.env)

    def state(self) -> dict:
        return json.loads((self.folder / "stack.json").read_text())

    def log(self, service: str) -> str:
        return (self.folder / "logs" / f"{service}.log").read_text(errors="replace")

    # Stored media, read behind the application's back: the stack's S3 bucket (moto in server
    # mode, the default) or MEDIA_ROOT (MOUSEION_STACK_MEDIA=filesystem).

    @property
    def media_on_s3(self) -> bool:
        return self.museum.env.get("MOUSEION_MEDIA_STORAGE") == "s3"

    def s3(self) -> Any:
        import boto3

        env = self.museum.env
        return boto3.client(
            "s3",
            endpoint_url=env["MOUSEION_S3_ENDPOINT_URL"],
            region_name=env["MOUSEION_S3_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )

    def _key(self, name: str) -> str:
        prefix = self.museum.env.get("MOUSEION_S3_PREFIX", "")
        return f"{prefix}/{name}" if prefix else name

    def stored(self, name: str) -> bytes:
        """The bytes stored under media name `name`."""
        if self.media_on_s3:
            bucket = self.museum.env["MOUSEION_S3_BUCKET"]
            return self.s3().get_object(Bucket=bucket, Key=self._key(name))["Body"].read()
        return (self.museum.var_dir / "media" / name).read_bytes()

    def stored_names(self, starting: str) -> set[str]:
        """Media names of every stored file whose base name starts with `starting`."""
        if not self.media_on_s3:
            folder = self.museum.var_dir / "media"
            return {
                str(path.relative_to(folder))
                for path in folder.rglob(f"{starting}*")
                if path.is_file()
            }
        bucket, prefix = self.museum.env["MOUSEION_S3_BUCKET"], self._key("")
        pages = self.s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        keys = [entry["Key"] for page in pages for entry in page.get("Contents", ())]
        return {key[len(prefix) :] for key in keys if key.rsplit("/", 1)[-1].startswith(starting)}


@pytest.fixture(scope="session")
def stack(live_museum: LiveMuseum) -> Stack:
    env = live_museum.env
    return Stack(
        museum=live_museum,
        web_urls={"web1": env["MOUSEION_STACK_WEB1_URL"], "web2": env["MOUSEION_STACK_WEB2_URL"]},
        folder=Path(env["MOUSEION_STACK_DIR"]),
    )


@pytest.fixture
def http(stack: Stack) -> Iterator[httpx.Client]:
    # Redirects are followed, as a browser does (media on S3 answer with a presigned URL).
    with httpx.Client(base_url=stack.url, timeout=60, follow_redirects=True) as client:
        yield client


def wait_until(predicate: Callable[[], object], timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def results(client: httpx.Client, path: str, **kwargs) -> list[dict]:
    """Every item of a (possibly paginated) list endpoint."""
    items: list[dict] = []
    url: str | None = path
    while url:
        payload = client.get(url, **kwargs).json()
        if isinstance(payload, list):
            return payload
        items.extend(payload["results"])
        url = payload.get("next")
    return items
