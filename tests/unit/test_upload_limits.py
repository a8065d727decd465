"""Upload caps while the body arrives, file writes outside transactions, no partial files left
(museum/uploads.py). The ASGI tests drive the real application (museum.asgi) and a real uvicorn."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exhibits.collection import services
from exhibits.models import Asset, Job
from museum import uploads
from restoration.condition.images import MASK_MAX_BYTES
from tests.conftest import ROOT, free_port, wait_for_http
from tests.unit.factories import glb_bytes, make_artifact, upload

CAP = 64 * 1024


def files_under(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def small_cap(settings, tmp_path: Path, media_root: Path) -> Path:
    """A 64 KiB cap, uploads spooled to disk from the first byte into a temp dir of their own."""
    settings.MOUSEION_MAX_UPLOAD_BYTES = CAP
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "upload-tmp"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    return settings.FILE_UPLOAD_TEMP_DIR


def padded_glb(size: int) -> bytes:
    data = glb_bytes()
    return data + b"\0" * (size - len(data))


def post_file(client, artifact_pk: int, name: str, content: bytes):
    url = f"/api/artifacts/{artifact_pk}/assets/"
    return client.post(url, {"file": upload(name, content)}, format="multipart")


# --- the upload handler (any server, the test client) ----------------------------------------


@pytest.mark.django_db
def test_a_file_over_the_cap_is_refused_413_leaving_nothing(curator_api, small_cap, media_root):
    response = post_file(curator_api, make_artifact().pk, "big.glb", padded_glb(CAP + 1))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert f"the limit is {CAP} bytes" in response.json()["error"]["message"]
    assert files_under(small_cap, media_root) == []
    assert not Asset.objects.exists() and not Job.objects.exists()


@pytest.mark.django_db
def test_a_file_of_exactly_the_cap_is_stored(curator_api, small_cap, media_root):
    data = padded_glb(CAP)
    response = post_file(curator_api, make_artifact().pk, "fits.glb", data)
    assert response.status_code == 201, response.content[:300]
    asset = Asset.objects.get()
    assert asset.byte_size == CAP and asset.file.read() == data


@pytest.mark.django_db
def test_mask_uploads_have_their_own_smaller_cap():
    record_url = reverse("condition:api-corrections", args=[1])
    assert uploads.path_upload_limit(record_url) == MASK_MAX_BYTES
    assert uploads.path_upload_limit(reverse("condition:report", args=[1])) == MASK_MAX_BYTES
    assert uploads.path_upload_limit("/api/artifacts/1/assets/") == 512 * 1024 * 1024


# --- failures after the upload: full disk, rows that fail ------------------------------------


def disk_full_midway(real_fdopen):
    """os.fdopen whose file stores half of what it is given, then fails like a full disk."""

    def fdopen(fd, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)
        real_write = handle.write

        def write(chunk):
            real_write(chunk[: len(chunk) // 2])
            handle.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        handle.write = write
        return handle

    return fdopen


@pytest.mark.django_db
def test_a_full_disk_answers_507_and_leaves_no_partial_file(curator_api, settings, media_root):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024  # in memory: written chunk by chunk
    data = padded_glb(3 * 1024 * 1024)
    with mock.patch("os.fdopen", disk_full_midway(os.fdopen)):
        response = post_file(curator_api, make_artifact().pk, "scan.glb", data)
    assert response.status_code == 507
    assert response.json()["error"]["code"] == "storage_full"
    assert files_under(media_root) == []
    assert not Asset.objects.exists() and not Job.objects.exists()


@pytest.mark.django_db
def test_rows_that_fail_after_the_copy_leave_no_file(media_root):
    artifact = make_artifact()
    refused = ValidationError("refused after the copy")
    with (
        mock.patch("exhibits.intake.services.request_intake", side_effect=refused),
        pytest.raises(ValidationError),
    ):
        services.add_source_asset(
            artifact=artifact,
            upload=SimpleUploadedFile("scan.glb", glb_bytes()),
            filename="scan.glb",
        )
    assert files_under(media_root) == []
    assert not Asset.objects.exists() and not Job.objects.exists()


# --- the ASGI application: refused before the body is read -----------------------------------


def run_asgi(path: str, headers: list[tuple[bytes, bytes]], chunks: list[bytes]):
    """Call museum.asgi.application with `chunks`; returns (status, body, chunks consumed)."""
    from museum.asgi import application

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
    }  # fmt: skip
    consumed, sent = [0], []

    async def receive():
        if consumed[0] < len(chunks):
            consumed[0] += 1
            more = consumed[0] < len(chunks)
            return {"type": "http.request", "body": chunks[consumed[0] - 1], "more_body": more}
        await asyncio.sleep(3600)  # the client waits for an answer

    async def send(message):
        sent.append(message)

    asyncio.run(asyncio.wait_for(application(scope, receive, send), 30))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, consumed[0]


MULTIPART = [(b"content-type", b"multipart/form-data; boundary=xyz")]


def test_asgi_refuses_by_content_length_before_reading(settings):
    settings.MOUSEION_MAX_UPLOAD_BYTES = CAP
    declared = str(CAP + uploads.MULTIPART_ALLOWANCE + 1).encode()
    status, body, consumed = run_asgi(
        "/api/artifacts/1/assets/", [*MULTIPART, (b"content-length", declared)], [b"x" * 1024]
    )
    assert (status, consumed) == (413, 0)
    assert json.loads(body)["error"]["code"] == "too_large"


def test_asgi_counts_a_body_without_length_and_stops_at_the_cap(settings):
    settings.MOUSEION_MAX_UPLOAD_BYTES = CAP
    chunks = [b"x" * 65536] * 100  # 6.4 MB, no Content-Length
    status, _body, consumed = run_asgi("/api/artifacts/1/assets/", MULTIPART, chunks)
    assert status == 413
    limit = CAP + uploads.MULTIPART_ALLOWANCE
    assert consumed == limit // 65536 + 1  # the chunk that passed the cap, not one more


def test_asgi_caps_a_json_body_at_data_upload_max_memory_size(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    status, _body, consumed = run_asgi(
        "/api/visits/plan", [(b"content-type", b"application/json")], [b" " * 600] * 10
    )
    assert (status, consumed) == (413, 2)


# --- a real uvicorn ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def uvicorn_museum(tmp_path_factory) -> Iterator[dict]:
    """uvicorn on a fresh var dir with a 1 MiB cap (no worker: the uploads are images)."""
    var = tmp_path_factory.mktemp("upload-var")
    env = {**os.environ, "MOUSEION_VAR_DIR": str(var), "MOUSEION_MAX_UPLOAD_BYTES": str(1 << 20),
           "DJANGO_SETTINGS_MODULE": "tests.settings"}  # fmt: skip
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "museum.asgi:application", "--port", str(port),
         "--no-access-log"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", server)
        yield {"port": port, "var": var}
    finally:
        server.terminate()
        server.wait(timeout=15)


def stream_until_answered(port: int, head: bytes, chunk: bytes, count: int) -> tuple[bytes, int]:
    """Send `head` then up to `count` chunks, reading between them; (answer, chunks sent)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        answer, sent = b"", 0
        while sent < count and not answer:
            try:
                sock.sendall(chunk)
                sent += 1
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.01)
            try:
                answer = sock.recv(65536)
            except BlockingIOError:
                time.sleep(0.002)
        sock.setblocking(True)
        sock.settimeout(10)
        while not answer.startswith(b"HTTP/") or b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        return answer, sent


def test_uvicorn_answers_413_before_the_whole_chunked_body_is_sent(uvicorn_museum):
    head = (b"POST /api/artifacts/1/assets/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=xyz\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")  # fmt: skip
    chunk = b"10000\r\n" + b"x" * 65536 + b"\r\n"
    answer, sent = stream_until_answered(uvicorn_museum["port"], head, chunk, 200)  # 13 MB
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 100, f"{sent} chunks of 64 KiB went out before the refusal"


def test_uvicorn_client_that_disconnects_midway_leaves_nothing(uvicorn_museum):
    var = uvicorn_museum["var"]
    head = (b"POST /api/artifacts/1/assets/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=xyz\r\n"
            b"Content-Length: 900000\r\n\r\n"
            b"--xyz\r\n"
            b'Content-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n')  # fmt: skip
    with socket.create_connection(("127.0.0.1", uvicorn_museum["port"])) as sock:
        sock.sendall(head + b"x" * 400_000)
    time.sleep(0.5)
    assert files_under(var / "media", var / "upload-tmp") == []
    with sqlite3.connect(var / "mouseion.sqlite3") as db:
        assert db.execute("select count(*) from exhibits_asset").fetchone() == (0,)


# --- SQLite: the copy holds no write lock ------------------------------------------------------


def test_a_slow_copy_does_not_block_another_writer_on_sqlite(tmp_path):
    """Real file SQLite (WAL, IMMEDIATE transactions), as in production: a 3 s copy of a source
    while another thread commits a small write."""
    env = {
        **os.environ,
        "MOUSEION_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    done = subprocess.run(
        [sys.executable, "-m", "tests.unit.upload_lock_scenario"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["copy_s"] >= 2.5  # the copy really was slow
    assert figures["other_write_s"] < 1.0, figures  # and the other writer did not wait for it
