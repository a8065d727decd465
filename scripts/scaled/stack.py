#!/usr/bin/env python3
"""The scaled profile on loopback, for `make test-scaled`: PostgreSQL, Redis, two uvicorn ASGI
processes behind nginx, a Celery worker for the `default` queue and one for `gpu` (solo pool), and
media on S3-compatible object storage (moto in server mode, a private bucket), and Janus (the media
server of live voice in tours, MOUSEION_VOICE=sfu; its API on loopback), each a plain
subprocess (no containers, no systemd). MOUSEION_STACK_MEDIA=filesystem keeps media on disk
(nginx's X-Accel-Redirect) instead.

    python scripts/scaled/stack.py start     # fresh stack under var/scaled, writes stack.env
    python scripts/scaled/stack.py stop      # stops everything it started
    python scripts/scaled/stack.py kill worker --signal KILL   # fault tests
    python scripts/scaled/stack.py spawn worker                # restart one service

stack.env (KEY=VALUE lines, for `set -a; . var/scaled/stack.env`) carries DATABASE_URL, REDIS_URL,
MOUSEION_VAR_DIR, MOUSEION_LIVE_STACK_URL (nginx), MOUSEION_STACK_WEB1/2_URL (the upstreams) and,
on S3, MOUSEION_MEDIA_STORAGE=s3 with the bucket's MOUSEION_S3_* settings and test credentials.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from configs import janus_conf, nginx_conf, postgres_conf, redis_conf

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = ROOT / "var" / "scaled"
APP_SERVICES = ("web1", "web2", "worker", "gpu-worker")
# The form around an uploaded file (museum.uploads.MULTIPART_ALLOWANCE): nginx caps the body at
# MOUSEION_MAX_UPLOAD_BYTES plus this, as the application does.
MULTIPART_ALLOWANCE = 1024 * 1024
S3_BUCKET = "mouseion-media"
WORKERS = ("worker", "gpu-worker")


class StackError(RuntimeError):
    """A service did not start or stop; the message names it and its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_tool(name: str) -> str:
    """Debian keeps PostgreSQL's server tools off PATH, under /usr/lib/postgresql/<version>/bin."""
    if pg_bin := os.environ.get("PG_BIN"):
        return str(Path(pg_bin) / name)
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3])
    )
    if versions:
        return str(versions[-1])
    path = shutil.which(name)
    if path is None:
        raise StackError(f"PostgreSQL's {name} not found (install the postgresql package)")
    return path


def as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; as root, run its tools as the postgres user."""
    if os.geteuid() != 0:
        return argv
    try:
        pwd.getpwnam("postgres")
    except KeyError as missing:
        raise StackError(
            "running as root needs a 'postgres' user (the postgresql package)"
        ) from missing
    return ["runuser", "-u", "postgres", "--", *argv]


def load_state(folder: Path) -> dict:
    path = folder / "stack.json"
    if not path.exists():
        raise StackError(f"no stack in {folder} (run `stack.py start` first)")
    return json.loads(path.read_text())


def save_state(folder: Path, state: dict) -> None:
    (folder / "stack.json").write_text(json.dumps(state, indent=2))


def app_env(state: dict) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(state["env"])
    env.setdefault("DJANGO_SETTINGS_MODULE", "museum.settings")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def command(name: str, state: dict) -> list[str]:
    ports = state["ports"]
    if name in ("web1", "web2"):
        return [
            sys.executable, "-m", "uvicorn", "museum.asgi:application", "--host", "127.0.0.1",
            "--port", str(ports[name]), "--no-access-log", "--ws", "websockets-sansio",
            "--ws-per-message-deflate", "false", "--ws-max-size", "65536",
            "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1",
        ]  # fmt: skip
    if name == "worker":
        # As in production (deploy/systemd): prefork, so the hard time limit is enforced.
        return [
            sys.executable, "-m", "celery", "-A", "museum.celery", "worker", "--concurrency=1",
            "-Q", "default", "--loglevel=INFO", "-n", "default@%h",
            "--without-mingle", "--without-gossip",
        ]  # fmt: skip
    if name == "gpu-worker":
        return [
            sys.executable, "-m", "celery", "-A", "museum.celery", "worker", "--pool=solo",
            "--concurrency=1", "-Q", "gpu", "--loglevel=INFO", "-n", "gpu@%h",
            "--without-mingle", "--without-gossip",
        ]  # fmt: skip
    if name == "redis":
        return ["redis-server", str(Path(state["dir"]) / "redis" / "redis.conf")]
    if name == "s3":
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(ports["s3"])]
    if name == "janus":
        conf = Path(state["dir"]) / "janus" / "janus.jcfg"
        return [
            "janus", "--config", str(conf), "--configs-folder", str(conf.parent), "--disable-colors"
        ]  # fmt: skip
    if name == "nginx":
        prefix = Path(state["dir"]) / "nginx"
        conf = prefix / "nginx.conf"
        return ["nginx", "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf)]
    raise StackError(f"unknown service {name!r}")


def spawn(name: str, state: dict) -> int:
    folder = Path(state["dir"])
    log = (folder / "logs" / f"{name}.log").open("a")
    env = app_env(state) if name in APP_SERVICES else dict(os.environ)
    process = subprocess.Popen(
        command(name, state),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # outlives this script; stopped by pid
    )
    state["pids"][name] = process.pid
    save_state(folder, state)
    return process.pid


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as dead.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


def kill(name: str, state: dict, sig: int = signal.SIGTERM, wait: float = 15.0) -> None:
    """SIGTERM asks the service to stop; SIGKILL kills its whole process group at once (a prefork
    worker's pool children included), as a lost machine would."""
    pid = state["pids"].get(name)
    if not alive(pid):
        return
    if sig == signal.SIGKILL:
        os.killpg(pid, sig)  # each service leads its own session (start_new_session)
    else:
        os.kill(pid, sig)
    deadline = time.monotonic() + wait
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)


def wait_http(url: str, name: str, state: dict, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if name in state["pids"] and not alive(state["pids"][name]):
            raise StackError(f"{name} exited; see {state['dir']}/logs/{name}.log")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise StackError(f"{name}: no answer from {url} within {timeout:.0f} s")


def wait_port(port: int, name: str, state: dict, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if name in state["pids"] and not alive(state["pids"][name]):
            raise StackError(f"{name} exited; see {state['dir']}/logs/{name}.log")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise StackError(f"{name}: port {port} not open within {timeout:.0f} s")


def wait_worker(name: str, state: dict, timeout: float = 60.0) -> None:
    """A worker is ready once it logged that it is consuming (no result backend to ping)."""
    log = Path(state["dir"]) / "logs" / f"{name}.log"
    starts = state["starts"][name]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(state["pids"].get(name)):
            raise StackError(f"{name} exited; see {log}")
        if log.exists() and log.read_text(errors="replace").count(" ready.") >= starts:
            return
        time.sleep(0.2)
    raise StackError(f"{name} not ready within {timeout:.0f} s; see {log}")


def start_service(name: str, state: dict) -> None:
    """Start (or restart) one service and wait until it answers."""
    spawn(name, state)
    ports = state["ports"]
    if name in ("web1", "web2"):
        wait_http(f"http://127.0.0.1:{ports[name]}/healthz", name, state)
    elif name in ("redis", "janus"):
        wait_port(ports[name], name, state)
    elif name == "s3":
        wait_http(f"http://127.0.0.1:{ports['s3']}/moto-api/", name, state)
        create_bucket(state)
    elif name == "nginx":
        wait_http(f"http://127.0.0.1:{ports['nginx']}/healthz", name, state)
    elif name in WORKERS:
        starts = state.setdefault("starts", {})
        starts[name] = starts.get(name, 0) + 1
        save_state(Path(state["dir"]), state)
        wait_worker(name, state)


def start_postgres(state: dict) -> None:
    folder = Path(state["dir"])
    data, run = folder / "pg" / "data", folder / "pg" / "run"
    run.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(folder / "pg", "postgres", "postgres")
        shutil.chown(run, "postgres", "postgres")
    password = state["pg_password"]
    pwfile = folder / "pg" / "superuser.pw"
    pwfile.write_text(password)
    if os.geteuid() == 0:
        shutil.chown(pwfile, "postgres", "postgres")
    pwfile.chmod(0o600)
    subprocess.run(
        as_postgres([pg_tool("initdb"), "-D", str(data), "-U", "mouseion", "--auth-local=trust",
                     "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8"]),
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(postgres_conf(port=state["ports"]["postgres"], socket_dir=run))
    log = folder / "logs" / "postgres.log"
    if os.geteuid() == 0:
        log.touch()
        shutil.chown(log, "postgres", "postgres")
    subprocess.run(
        as_postgres([pg_tool("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
                     "start"]),
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    subprocess.run(
        as_postgres([pg_tool("createdb"), "-h", str(run), "-p", str(state["ports"]["postgres"]),
                     "-U", "mouseion", "mouseion"]),
        check=True, capture_output=True, text=True,
    )  # fmt: skip


def create_bucket(state: dict) -> None:
    """The media bucket: private (no policy, no public ACL); CORS lets the site's pages load
    models from the presigned URLs they are redirected to, as an operator's bucket would."""
    import boto3  # the s3 extra; only needed when the stack keeps media on S3

    env = state["env"]
    client = boto3.client(
        "s3",
        endpoint_url=env["MOUSEION_S3_ENDPOINT_URL"],
        region_name=env["MOUSEION_S3_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=env["MOUSEION_S3_BUCKET"], ACL="private")
    rule = {
        "AllowedOrigins": [env["MOUSEION_LIVE_STACK_URL"]],
        "AllowedMethods": ["GET", "HEAD"],
        "AllowedHeaders": ["*"],
        "MaxAgeSeconds": 600,
    }
    client.put_bucket_cors(
        Bucket=env["MOUSEION_S3_BUCKET"], CORSConfiguration={"CORSRules": [rule]}
    )


def s3_env(port: int) -> dict[str, str]:
    """Web processes and workers keep media in the stack's bucket (museum/settings.py)."""
    return {
        "MOUSEION_MEDIA_STORAGE": "s3",
        "MOUSEION_S3_BUCKET": S3_BUCKET,
        "MOUSEION_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "MOUSEION_S3_REGION": "us-east-1",
        "MOUSEION_S3_ADDRESSING_STYLE": "path",
        "MOUSEION_S3_PREFIX": "media",
        "MOUSEION_S3_URL_EXPIRY": "120",
        # moto accepts any credentials; a real store gets its own from the operator.
        "AWS_ACCESS_KEY_ID": "mouseion-stack",
        "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(24),
    }


def stop_postgres(state: dict) -> None:
    data = Path(state["dir"]) / "pg" / "data"
    if (data / "postmaster.pid").exists():
        subprocess.run(
            as_postgres([pg_tool("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True, text=True, check=False,
        )  # fmt: skip


def write_configs(state: dict) -> None:
    folder = Path(state["dir"])
    ports = state["ports"]
    (folder / "redis").mkdir()
    (folder / "redis" / "redis.conf").write_text(
        redis_conf(port=ports["redis"], folder=folder / "redis")
    )
    (folder / "nginx").mkdir()
    museum_var = Path(state["env"]["MOUSEION_VAR_DIR"])
    max_bytes = int(state["env"]["MOUSEION_MAX_UPLOAD_BYTES"])
    (folder / "nginx" / "nginx.conf").write_text(
        nginx_conf(
            port=ports["nginx"],
            upstreams=[ports["web1"], ports["web2"]],
            prefix=folder / "nginx",
            static_root=museum_var / "staticfiles",
            media_root=museum_var / "media",
            max_body_bytes=max_bytes + MULTIPART_ALLOWANCE,
        )
    )


def janus_library(kind: str, name: str) -> Path:
    """One of the janus package's libraries (Debian: /usr/lib/<triplet>/janus/<kind>/)."""
    for pattern in (
        f"/usr/lib/*/janus/{kind}/{name}",
        f"/usr/lib/janus/{kind}/{name}",
        f"/usr/local/lib/janus/{kind}/{name}",
        f"/opt/janus/lib/janus/{kind}/{name}",
    ):
        found = sorted(Path("/").glob(pattern.lstrip("/")))
        if found:
            return found[0]
    raise StackError(f"Janus's {name} not found (install the janus package)")


def write_janus_config(state: dict) -> None:
    """Janus with the VideoRoom plugin and the WebSocket transport only (links to the package's
    libraries: Janus loads every library of its folders), its API on loopback."""
    folder = Path(state["dir"]) / "janus"
    for kind, name in (
        ("plugins", "libjanus_videoroom.so"),
        ("transports", "libjanus_websockets.so"),
    ):
        (folder / kind).mkdir(parents=True)
        (folder / kind / name).symlink_to(janus_library(kind, name))
    (folder / "events").mkdir()
    (folder / "loggers").mkdir()
    rtp_ports = os.environ.get("MOUSEION_JANUS_RTP_PORTS", "20000-40000")
    configs = janus_conf(folder=folder, ws_port=state["ports"]["janus"], rtp_ports=rtp_ports)
    for name, text in configs.items():
        (folder / name).write_text(text)


def write_env(state: dict) -> None:
    lines = [f"{key}={value}" for key, value in sorted(state["env"].items())]
    (Path(state["dir"]) / "stack.env").write_text("\n".join(lines) + "\n")


def cmd_start(folder: Path) -> None:
    if (folder / "stack.json").exists():
        cmd_stop(folder)
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "logs").mkdir(parents=True)
    museum_var = folder / "museum"
    (museum_var / "media").mkdir(parents=True)
    media = os.environ.get("MOUSEION_STACK_MEDIA", "s3")
    if media not in ("s3", "filesystem"):
        raise StackError(f"MOUSEION_STACK_MEDIA={media!r}: use 's3' or 'filesystem'")
    services = ("postgres", "redis", "web1", "web2", "nginx") + (("s3",) if media == "s3" else ())
    voice = shutil.which("janus") is not None  # live voice through Janus (the SFU); else off
    services += ("janus",) if voice else ()
    ports = {name: free_port() for name in services}
    pg_password = secrets.token_urlsafe(16)
    state: dict = {"dir": str(folder), "ports": ports, "pids": {}, "pg_password": pg_password}
    state["env"] = {
        "DATABASE_URL": f"postgres://mouseion:{pg_password}@127.0.0.1:{ports['postgres']}/mouseion",
        "REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
        "MOUSEION_VAR_DIR": str(museum_var),
        "SECRET_KEY": secrets.token_urlsafe(50),
        # Static files as in production: collectstatic's hashed names, served by nginx.
        "MOUSEION_HASHED_STATIC": "true",
        "MOUSEION_LIVE_STACK_URL": f"http://127.0.0.1:{ports['nginx']}",
        "MOUSEION_STACK_WEB1_URL": f"http://127.0.0.1:{ports['web1']}",
        "MOUSEION_STACK_WEB2_URL": f"http://127.0.0.1:{ports['web2']}",
        "MOUSEION_STACK_DIR": str(folder),
        # nginx sends media files after Django's check (configs.nginx_conf /protected-media/).
        "MOUSEION_MEDIA_ACCEL_PREFIX": "/protected-media/",
        # Short job limits so the worker fault test sees a killed job handed out again within
        # two minutes; the visibility timeout still exceeds the longest job (a condition check
        # on the gpu worker takes up to ~80 s on a busy 2-core machine), as in production.
        "MOUSEION_JOB_TIME_LIMIT": os.environ.get("MOUSEION_JOB_TIME_LIMIT", "90"),
        "MOUSEION_BROKER_VISIBILITY_TIMEOUT": os.environ.get(
            "MOUSEION_BROKER_VISIBILITY_TIMEOUT", "100"
        ),
        # Small enough that the oversize-upload test sends little, far above the demo scans.
        "MOUSEION_MAX_UPLOAD_BYTES": os.environ.get("MOUSEION_MAX_UPLOAD_BYTES", str(48 << 20)),
    }
    if media == "s3":
        state["env"].update(s3_env(ports["s3"]))
    state["env"]["MOUSEION_VOICE"] = "sfu" if voice else "off"
    if voice:
        state["env"]["MOUSEION_JANUS_URL"] = f"ws://127.0.0.1:{ports['janus']}"
    else:
        print("janus not found: the stack runs without live voice (MOUSEION_VOICE=off)")
    save_state(folder, state)
    write_configs(state)
    if voice:
        write_janus_config(state)
    write_env(state)
    try:
        start_postgres(state)
        start_service("redis", state)
        if media == "s3":
            start_service("s3", state)
        if voice:
            start_service("janus", state)
        env = app_env(state)
        for step in (["migrate", "--no-input", "-v0"], ["collectstatic", "--no-input", "-v0"]):
            subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=env, check=True)
        for name in ("web1", "web2", "worker", "gpu-worker", "nginx"):
            start_service(name, state)
    except (subprocess.CalledProcessError, StackError) as failed:
        detail = getattr(failed, "stderr", "") or ""
        cmd_stop(folder)
        raise StackError(f"{failed}\n{detail}") from failed
    print(f"scaled stack up: {state['env']['MOUSEION_LIVE_STACK_URL']} (env in {folder}/stack.env)")


def cmd_stop(folder: Path) -> None:
    try:
        state = load_state(folder)
    except StackError:
        return
    for name in ("nginx", "web1", "web2", "worker", "gpu-worker", "redis", "s3", "janus"):
        kill(name, state)
    stop_postgres(state)
    state["pids"] = {}
    save_state(folder, state)
    print(f"scaled stack in {folder} stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "kill", "spawn", "status"])
    parser.add_argument("service", nargs="?", help="for kill/spawn: " + ", ".join(APP_SERVICES))
    parser.add_argument("--signal", default="TERM", help="for kill: TERM (default) or KILL")
    parser.add_argument(
        "--dir", type=Path, default=Path(os.environ.get("MOUSEION_STACK_DIR", DEFAULT_DIR))
    )
    args = parser.parse_args(argv)
    folder = args.dir.resolve()
    try:
        if args.action == "start":
            cmd_start(folder)
        elif args.action == "stop":
            cmd_stop(folder)
        elif args.action == "status":
            state = load_state(folder)
            for name, pid in state["pids"].items():
                print(f"{name:8} pid {pid:>7} {'up' if alive(pid) else 'down'}")
        else:
            if args.service not in (*APP_SERVICES, "redis", "nginx", "s3", "janus"):
                parser.error(
                    f"{args.action} needs a service: {', '.join(APP_SERVICES)}, redis, nginx"
                )
            state = load_state(folder)
            if args.action == "kill":
                kill(args.service, state, getattr(signal, f"SIG{args.signal.upper()}"))
            else:
                kill(args.service, state)
                start_service(args.service, state)
    except StackError as failed:
        print(f"stack.py: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
