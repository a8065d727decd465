"""Benchmark: live voice on a guided tour (issue #23), through Janus (SFU) and peer to peer.

A guide (its own headless Chromium, whose fake microphone plays a 440 Hz sine) talks with an open
microphone; N listeners (N = 5, 20, 50 through Janus; 5 peer to peer as the same-run baseline) join
at once. Listeners are light: a few pages (tests/bench/voice_harness.js, served on the museum's
origin by Playwright) each holding up to PER_PAGE tour members, every one with its own tour socket
and static/js/lib/tour-voice.js; one more Chromium holds them all. Each row is measured with the
tour's pose traffic off and on (every member sends a pose at 10 Hz, as the tour page does).

Columns: heard (listeners whose tone detector found the tone after joining / at the end of the
window), time to first audio after opening the socket (p50, p95), the guide's browser CPU (every
process of its Chromium, from /proc) and upstream (getStats transport bytesSent) over the window,
Janus's CPU (its process) in all and per listener, the ASGI process's CPU.
One uvicorn process per mode (MOUSEION_VOICE p2p / sfu), one Janus (configs from
scripts/scaled/configs.janus_conf), one migrated temporary var dir.

MOUSEION_BENCH_VOICE_N: SFU sizes (default 5,20,50). MOUSEION_BENCH_VOICE_SECONDS: measured window
(default 10). MOUSEION_BENCH_VOICE_PER_PAGE: listeners per page (default 10).
Fails when a listener of a row with N <= 20 never heard the guide (the pipeline broke); larger rows
are reported as measured (2 shared cores).
"""

from __future__ import annotations

import json
import math
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, stop_processes, wait_for_http
from tests.e2e.test_tour_voice import write_tone

NS = tuple(int(x) for x in os.environ.get("MOUSEION_BENCH_VOICE_N", "5,20,50").split(",") if x)
SECONDS = float(os.environ.get("MOUSEION_BENCH_VOICE_SECONDS", "10"))
PER_PAGE = int(os.environ.get("MOUSEION_BENCH_VOICE_PER_PAGE", "10"))
P2P_N = 5
TONE_HZ = 440
JOIN_TIMEOUT_S = 40.0
MUST_HEAR_UP_TO = 20
RUNS = [("p2p", P2P_N, pose) for pose in (False, True)] + [
    ("sfu", n, pose) for n in NS for pose in (False, True)
]
HARNESS = Path(__file__).with_name("voice_harness.js")
LIB = ROOT / "static" / "js" / "lib"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# One educator, tour and live session per run (a fresh tour: no state carried over), and a
# signed-in session for each educator. Prints one JSON line.
SEED = """
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from exhibits.models import Artifact, PublicationStatus
from museum.models import Tour, TourStop
from museum.tours.services import start_live_tour
artifact = Artifact.objects.create(object_number="VB.1", title="Bench object",
                                   status=PublicationStatus.PUBLISHED)
out = []
for i in range(RUNS):
    guide = get_user_model().objects.create_user(f"voice-guide-{i}", f"g{i}@example.org", None)
    guide.groups.add(Group.objects.get(name="educator"))
    tour = Tour.objects.create(title=f"Voice bench {i}", educator=guide)
    TourStop.objects.create(tour=tour, order=0, artifact=artifact, narration="Stop.")
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(guide.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = guide.get_session_auth_hash()
    session.create()
    out.append([start_live_tour(tour=tour, guide=guide).code, session.session_key])
print(json.dumps({"runs": out, "cookie": settings.SESSION_COOKIE_NAME}))
"""


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def tree(root: int) -> list[int]:
    """`root` and every process below it (Chromium's zygote, renderers, utility processes)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def browser_pid(marker: str) -> int:
    """The Chromium browser process whose command line holds `marker`."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline and "--type=" not in cmdline:
                return int(entry.name)
    raise RuntimeError(f"no Chromium with {marker}")


def start_janus(folder: Path) -> subprocess.Popen:
    from scripts.scaled.configs import janus_conf

    port = free_port()
    for sub in ("plugins", "transports", "events", "loggers"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    lib = Path("/usr/lib/x86_64-linux-gnu/janus")
    (folder / "plugins" / "libjanus_videoroom.so").symlink_to(lib / "plugins/libjanus_videoroom.so")
    (folder / "transports" / "libjanus_websockets.so").symlink_to(
        lib / "transports/libjanus_websockets.so"
    )
    for name, text in janus_conf(folder=folder, ws_port=port, rtp_ports="30000-40000").items():
        (folder / name).write_text(text)
    janus = subprocess.Popen(
        ["janus", "-F", str(folder), "-C", str(folder / "janus.jcfg"), "-o"],
        stdout=(folder / "janus.log").open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    janus.ws_url = f"ws://127.0.0.1:{port}"  # type: ignore[attr-defined]
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return janus
        except OSError:
            if janus.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((folder / "janus.log").read_text()[-2000:]) from None
            time.sleep(0.2)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    if not Path("/usr/bin/janus").exists() or not Path("/usr/bin/chromium").exists():
        pytest.skip("janus or chromium is not installed")
    var_dir = tmp_path_factory.mktemp("voice-var")
    env = {**os.environ, "MOUSEION_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1"}
    env |= {"DJANGO_SETTINGS_MODULE": "museum.settings", "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SEED.replace("RUNS", str(len(RUNS)))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    seeded = json.loads(done.stdout.strip().splitlines()[-1])
    janus = start_janus(var_dir / "janus")
    processes: list[subprocess.Popen] = [janus]
    servers = {}
    try:
        for mode in ("p2p", "sfu"):
            port = free_port()
            mode_env = env | {"MOUSEION_VOICE": mode, "MOUSEION_JANUS_URL": janus.ws_url}
            mode_env["MOUSEION_VOICE_P2P_MAX_LISTENERS"] = "60"
            web = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "museum.asgi:application", "--host", "127.0.0.1",
                 "--port", str(port), "--ws", "websockets-sansio", "--ws-per-message-deflate",
                 "false", "--no-access-log", "--log-level", "warning"],
                cwd=ROOT, env=mode_env, stdout=(var_dir / f"web-{mode}.log").open("w"),
                stderr=subprocess.STDOUT,
            )  # fmt: skip
            processes.append(web)
            wait_for_http(f"http://127.0.0.1:{port}/healthz", web)
            servers[mode] = {"url": f"http://127.0.0.1:{port}", "pid": web.pid}
        yield {"servers": servers, "janus": janus, "seeded": seeded, "var": var_dir}
    finally:
        stop_processes(processes)


def serve_harness(context, origin: str) -> None:
    """The harness page and the voice modules on the museum's origin (a secure context)."""

    def handle(route) -> None:
        path = route.request.url.split("/__voicebench__/", 1)[1]
        if path in ("", "index.html"):
            body = (
                '<!doctype html><title>voice bench</title><script type="module" src="harness.js">'
            )
            body += "</script>"
            route.fulfill(status=200, content_type="text/html", body=body)
        elif path == "harness.js":
            route.fulfill(status=200, content_type="text/javascript", body=HARNESS.read_text())
        else:
            route.fulfill(
                status=200, content_type="text/javascript", body=(LIB / Path(path).name).read_text()
            )

    context.route(f"{origin}/__voicebench__/**", handle)


def open_page(context, origin: str):
    page = context.new_page()
    page.goto(f"{origin}/__voicebench__/")
    page.wait_for_function("window.bench !== undefined")
    return page


def wait(page, expression: str, what: str, timeout_s: float = 20.0) -> None:
    """Wait for `expression` on `page`; on a timeout, fail with what the page's members saw."""
    try:
        page.wait_for_function(expression, timeout=timeout_s * 1000)
    except Exception as error:  # Playwright's TimeoutError
        stats = page.evaluate("window.bench.stats()")
        raise AssertionError(f"{what} after {timeout_s} s: {stats}") from error


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def run(playwright, stack: dict, index: int, mode: str, n: int, pose: bool, folder: Path) -> dict:
    server = stack["servers"][mode]
    origin = server["url"]
    code, session_key = stack["seeded"]["runs"][index]
    ws_url = origin.replace("http", "ws", 1) + f"/ws/tours/{code}/"
    wav = write_tone(folder / f"guide-{index}.wav", TONE_HZ)
    common = [
        "--no-sandbox", "--headless=new", "--autoplay-policy=no-user-gesture-required",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
        # The harness page is fulfilled by Playwright, so Chromium cannot tell it is local.
        "--disable-features=LocalNetworkAccessChecks",
    ]  # fmt: skip
    chromium = "/usr/bin/chromium"
    guide_browser = playwright.chromium.launch(
        executable_path=chromium, args=[*common, f"--use-file-for-fake-audio-capture={wav}"]
    )
    listener_browser = playwright.chromium.launch(executable_path=chromium, args=common)
    try:
        guide_tree = tree(browser_pid(str(wav)))
        guide_context = guide_browser.new_context()
        guide_context.add_cookies(
            [{"name": stack["seeded"]["cookie"], "value": session_key, "url": origin}]
        )
        serve_harness(guide_context, origin)
        guide = open_page(guide_context, origin)
        guide.evaluate("(url) => window.bench.join(url, {speaker: true})", ws_url)
        wait(guide, "window.bench.stats()[0].talking", "the guide is not talking")
        if mode == "sfu":
            wait(
                guide,
                "window.bench.stats()[0].peers"
                ".some((p) => p.key === 'out:sfu' && p.state === 'connected')",
                "the guide's publisher is not connected",
            )
        listener_context = listener_browser.new_context()
        serve_harness(listener_context, origin)
        pages = [open_page(listener_context, origin) for _ in range(math.ceil(n / PER_PAGE))]
        guide_tree = tree(browser_pid(str(wav)))  # now with its renderer
        janus_pid, asgi_pid = stack["janus"].pid, server["pid"]
        for page in [guide, *pages]:
            page.evaluate("(on) => window.bench.setPose(on)", pose)
        left = n
        for page in pages:
            count = min(PER_PAGE, left)
            left -= count
            page.evaluate(
                "([c, url, hz]) => window.bench.joinMany(c, url, hz)", [count, ws_url, TONE_HZ]
            )
        deadline = time.monotonic() + JOIN_TIMEOUT_S
        while time.monotonic() < deadline:
            stats = [s for page in pages for s in page.evaluate("window.bench.stats()")]
            if all(s["ttfa"] is not None for s in stats):
                break
            time.sleep(0.5)
        cpu0 = {
            k: cpu_seconds(p)
            for k, p in (("guide", guide_tree), ("janus", [janus_pid]), ("asgi", [asgi_pid]))
        }
        sent0, t0 = guide.evaluate("window.bench.bytesSent()"), time.monotonic()
        time.sleep(SECONDS)
        cpu1 = {
            k: cpu_seconds(p)
            for k, p in (("guide", guide_tree), ("janus", [janus_pid]), ("asgi", [asgi_pid]))
        }
        sent1, t1 = guide.evaluate("window.bench.bytesSent()"), time.monotonic()
        stats = [s for page in pages for s in page.evaluate("window.bench.stats()")]
    finally:
        guide_browser.close()
        listener_browser.close()
    time.sleep(2.0)  # the leaves settle (Janus sessions released) before the next run
    span = t1 - t0
    ttfa = [s["ttfa"] for s in stats if s["ttfa"] is not None]
    pct = {k: 100 * (cpu1[k] - cpu0[k]) / span for k in cpu0}
    return {
        "mode": mode, "n": n, "pose": pose,
        "heard": len(ttfa), "hearing_end": sum(1 for s in stats if s["hearing"]),
        "ttfa_p50": percentile(ttfa, 0.5), "ttfa_p95": percentile(ttfa, 0.95),
        "guide_cpu": pct["guide"], "guide_kbps": 8 * (sent1 - sent0) / span / 1000,
        "janus_cpu": pct["janus"] if mode == "sfu" else math.nan,
        "janus_per": pct["janus"] / n if mode == "sfu" else math.nan,
        "asgi_cpu": pct["asgi"],
        "errors": sorted({e for s in stats for e in s["errors"]}),
    }  # fmt: skip


def table(rows: list[dict]) -> str:
    head = ("mode  N   pose  heard  at end  ttfa p50 ms  ttfa p95 ms  guide CPU %  guide up kbit/s"
            "  Janus CPU %  Janus %/listener  ASGI CPU %  errors")  # fmt: skip
    lines = [head]
    for r in rows:
        lines.append(
            f"{r['mode']:<5} {r['n']:<3} {'on' if r['pose'] else 'off':<5} "
            f"{r['heard']:>2}/{r['n']:<3} {r['hearing_end']:>2}/{r['n']:<3} "
            f"{r['ttfa_p50']:>11.0f}  {r['ttfa_p95']:>11.0f}  {r['guide_cpu']:>11.1f}  "
            f"{r['guide_kbps']:>15.1f}  {r['janus_cpu']:>11.1f}  {r['janus_per']:>16.2f}  "
            f"{r['asgi_cpu']:>10.1f}  {','.join(r['errors']) or '-'}"
        )
    return "\n".join(lines)


@pytest.mark.timeout(1800)
def test_voice(stack: dict, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as playwright:
        for index, (mode, n, pose) in enumerate(RUNS):
            rows.append(run(playwright, stack, index, mode, n, pose, tmp_path))
            print(f"\n{table(rows[-1:])}", flush=True)
    print(f"\nvoice benchmark ({SECONDS:.0f} s windows, {os.cpu_count()} cores)\n{table(rows)}")
    by = {(r["mode"], r["n"], r["pose"]): r for r in rows}
    for pose in (False, True):
        p2p, sfu = by.get(("p2p", P2P_N, pose)), by.get(("sfu", P2P_N, pose))
        if p2p and sfu and p2p["guide_kbps"] > 0:
            ratio = sfu["guide_kbps"] / p2p["guide_kbps"]
            print(
                f"guide upstream SFU/P2P at N={P2P_N}, pose {'on' if pose else 'off'}: {ratio:.2f}"
            )
    broken = [r for r in rows if r["n"] <= MUST_HEAR_UP_TO and r["heard"] < r["n"]]
    assert not broken, f"listeners never heard the guide: {broken}"
    middle = statistics.median(r["ttfa_p50"] for r in rows)
    print(f"median of the rows' time to first audio: {middle:.0f} ms")
