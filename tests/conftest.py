"""Shared fixtures: a real museum (uvicorn + Celery worker on the single profile) for
integration and browser tests, and isolated media storage for unit tests."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
# Tests use the tiny deterministic encoder, never the sentence model (exhibits/curation).
os.environ.setdefault("MOUSEION_ENCODER", "hashing")
DEMO_PASSWORD = "mouseion-test-demo"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_processes(processes: list[subprocess.Popen]) -> None:
    """Ask each to stop, then wait for them together; kill one that has not within 15 s."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"no answer from {url} within {timeout} s")


class TokenAuth(httpx.Auth):
    """The API's token authentication for httpx: `Authorization: Token <key>`."""

    def __init__(self, key: str) -> None:
        self.key = key

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = f"Token {self.key}"
        yield request


class LiveMuseum:
    """A running museum: its URL, its var dir and the environment its processes share."""

    # API tokens by (var dir, username): made once per museum, as a script's would be.
    _tokens: ClassVar[dict[tuple[Path, str], str]] = {}

    def __init__(self, url: str, var_dir: Path, env: dict[str, str]) -> None:
        self.url = url
        self.var_dir = var_dir
        self.env = env
        self.demo_password = DEMO_PASSWORD

    def manage(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )

    def api_auth(self, username: str) -> TokenAuth:
        """httpx auth as `username`'s API token (`manage.py drf_create_token`; the API takes
        no HTTP Basic)."""
        key = (self.var_dir, username)
        if key not in self._tokens:
            # "Generated token <key> for user <username>"
            self._tokens[key] = self.manage("drf_create_token", username).stdout.split()[2]
        return TokenAuth(self._tokens[key])


@pytest.fixture(scope="session")
def live_museum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveMuseum]:
    """migrate + seed_demo into a fresh var dir, then uvicorn and a Celery worker, as `make run`
    but with static files collected under hashed names, as in production.

    With MOUSEION_LIVE_STACK_URL set (make test-scaled), the museum is the already running,
    migrated and seeded scaled stack (scripts/scaled/stack.py) and nothing is started here."""
    if stack_url := os.environ.get("MOUSEION_LIVE_STACK_URL"):
        stack_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "museum.settings"}
        missing = [
            k for k in ("DATABASE_URL", "REDIS_URL", "MOUSEION_VAR_DIR") if not stack_env.get(k)
        ]
        if missing:
            raise RuntimeError(f"MOUSEION_LIVE_STACK_URL is set but {', '.join(missing)} is not")
        yield LiveMuseum(stack_url, Path(stack_env["MOUSEION_VAR_DIR"]), stack_env)
        return
    var_dir = tmp_path_factory.mktemp("museum-var")
    env = {
        **os.environ,
        "MOUSEION_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "museum.settings",
        # Production-like settings (DEBUG off) refuse the development key: a key of its own.
        "SECRET_KEY": secrets.token_urlsafe(50),
        # Static files as in production: hashed names from collectstatic (museum/staticfiles.py).
        "MOUSEION_HASHED_STATIC": "true",
        "PYTHONUNBUFFERED": "1",
    }
    for scaled in ("DATABASE_URL", "REDIS_URL", "MOUSEION_MEDIA_STORAGE"):
        env.pop(scaled, None)
    port = free_port()
    museum = LiveMuseum(f"http://127.0.0.1:{port}", var_dir, env)
    museum.manage("migrate", "--no-input", "-v0")
    museum.manage("collectstatic", "--no-input", "-v0")
    museum.manage("seed_demo", "--password", DEMO_PASSWORD)
    museum.manage("seed_floor_plan")
    museum.manage("seed_demo_tour")
    logs = var_dir / "logs"
    logs.mkdir()
    web = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "museum.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log", "--ws", "websockets-sansio",
         "--ws-per-message-deflate", "false"],
        cwd=ROOT, env=env, stdout=(logs / "web.log").open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "museum.celery", "worker", "--pool=solo",
         "--concurrency=1", "-Q", "default,gpu", "--loglevel=INFO", "--without-heartbeat",
         "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=(logs / "worker.log").open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_http(f"{museum.url}/healthz", web)
        yield museum
    finally:
        stop_processes([web, worker])


@pytest.fixture(scope="session")
def live_server_url(live_museum: LiveMuseum) -> str:
    return live_museum.url


@pytest.fixture(autouse=True)
def _isolated_media(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Unit tests write uploads under a temporary MEDIA_ROOT, never into the repository."""
    if "settings" in request.fixturenames or request.node.get_closest_marker("django_db"):
        settings = request.getfixturevalue("settings")
        settings.MEDIA_ROOT = tmp_path / "media"
