#!/usr/bin/env python3
"""`make bench-scaled`: the presence load generator of the real-time issue
(tests/bench/presence_load) at N visitors, first against one uvicorn on the single profile, then
through nginx against the two uvicorn processes of the running scaled stack (websockets hashed by
path, so each room's members share a process; rooms that span both merge through Redis). Prints
the generator's table, CPU per visitor per process, Redis's and nginx's CPU per visitor, the
ratios, a projection, and with --soak the memory growth of each ASGI process over a long run.

    python scripts/scaled/bench.py --n 250 --seconds 60 [--soak 600]   # stack must be running
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.presence_load import generator, report  # noqa: E402
from tests.bench.test_bench_presence import SEED  # noqa: E402
from tests.conftest import free_port, wait_for_http  # noqa: E402

CORES = 16  # the machine the issue asks to project onto


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def seed(env: dict[str, str]) -> tuple[list[str], str | None]:
    seeded = json.loads(manage(env, "shell", "-c", SEED).strip().splitlines()[-1])
    rooms = [f"/ws/rooms/{pk}/" for pk in seeded["rooms"]]
    return rooms, (f"/ws/tours/{seeded['tour']}/" if seeded["tour"] else None)


class Usage:
    """Stands in for generator.server_usage: it is called at the start and the end of the
    measured window, and here records CPU and RSS of every named process at both moments."""

    def __init__(self, pids: dict[str, list[int]], measured: list[str]) -> None:
        self.pids, self.measured, self.marks = pids, measured, []

    def __call__(self, _pid: int | None) -> tuple[float, float]:
        mark: dict[str, tuple[float, float]] = {}
        for name, pids in self.pids.items():
            cpu = rss = 0.0
            for pid in pids:
                for proc in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
                    times = proc.cpu_times()
                    cpu += times.user + times.system
                    rss += proc.memory_info().rss / 2**20
            mark[name] = (cpu, rss)
        self.marks.append(mark)
        cpu = sum(mark[name][0] for name in self.measured)
        return cpu, sum(mark[name][1] for name in self.measured)

    def per_process(self, seconds: float, clients: int) -> dict[str, dict[str, float]]:
        start, end = self.marks[-2], self.marks[-1]
        return {
            name: {
                "cpu_pct": 100 * (end[name][0] - start[name][0]) / seconds,
                "cpu_pct_per_visitor": 100 * (end[name][0] - start[name][0]) / seconds / clients,
                "rss_start_mb": start[name][1],
                "rss_end_mb": end[name][1],
            }
            for name in start
        }


def run(label, url, rooms, tour, n, seconds, pids, measured, processes, light=False) -> dict:
    usage = Usage(pids, measured)
    generator.server_usage = usage  # the generator looks it up at call time
    plan = generator.Plan(
        server=label, url=url, room_paths=rooms, tour_path=tour, visitors=n,
        followers=math.ceil(n / 10) if tour else 0, seconds=seconds, processes=processes,
        server_pid=0, light=light,
    )  # fmt: skip
    row = generator.run_load(plan)
    row["per_process"] = usage.per_process(seconds, max(row["clients"], 1))
    time.sleep(1.0)
    return row


def single_profile(args) -> dict:
    with tempfile.TemporaryDirectory(prefix="mouseion-bench-single-") as var_dir:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env |= {"MOUSEION_VAR_DIR": var_dir, "DJANGO_SETTINGS_MODULE": "museum.settings"}
        env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # the settings refuse none
        manage(env, "migrate", "--no-input", "-v0")
        rooms, tour = seed(env)
        port = free_port()
        web = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "museum.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--ws", "websockets-sansio", "--ws-per-message-deflate",
             "false", "--no-access-log", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        try:
            wait_for_http(f"http://127.0.0.1:{port}/healthz", web)
            return run("single", f"ws://127.0.0.1:{port}", rooms, tour, args.n, args.seconds,
                       {"web": [web.pid]}, ["web"], args.processes, args.light)  # fmt: skip
        finally:
            web.terminate()
            web.wait(timeout=15)


_SEEDED: dict[str, tuple[list[str], str | None]] = {}


def scaled_profile(args, seconds: float, label: str = "scaled") -> dict:
    state = json.loads((args.stack_dir / "stack.json").read_text())
    env = {**os.environ, **state["env"], "DJANGO_SETTINGS_MODULE": "museum.settings"}
    if "stack" not in _SEEDED:  # once per stack: the seed creates a named educator
        _SEEDED["stack"] = seed(env)
    rooms, tour = _SEEDED["stack"]
    pids = {name: [state["pids"][name]] for name in ("web1", "web2", "redis", "nginx")}
    url = state["env"]["MOUSEION_LIVE_STACK_URL"].replace("http://", "ws://")
    return run(
        label, url, rooms, tour, args.n, seconds, pids, ["web1", "web2"], args.processes,
        args.light,
    )  # fmt: skip


def summary(single: dict, scaled: dict) -> list[str]:
    clients = scaled["clients"]

    def ratio(key: str) -> float:
        return scaled[key] / single[key] if single[key] else math.nan

    per = scaled["per_process"]
    web = [per["web1"]["cpu_pct_per_visitor"], per["web2"]["cpu_pct_per_visitor"]]
    redis_v, nginx_v = per["redis"]["cpu_pct_per_visitor"], per["nginx"]["cpu_pct_per_visitor"]
    lines = [
        f"per process at {clients} clients (CPU % of one core; per visitor = / all clients):",
        *(
            f"  {name:6} {p['cpu_pct']:6.1f} %  {p['cpu_pct_per_visitor']:.4f} %/visitor  "
            f"RSS {p['rss_start_mb']:.0f} -> {p['rss_end_mb']:.0f} MB"
            for name, p in per.items()
        ),
        f"ratios scaled/single: snapshots/s {ratio('snapshots_per_s'):.2f}, "
        f"p99 tick->rx {ratio('tick_p99_ms'):.2f}, "
        f"ASGI CPU/visitor (both processes) "
        f"{ratio('cpu_pct_per_visitor'):.2f}",
    ]
    # Projection: each visitor costs its share on its own process plus the cross-process merge;
    # Redis is one thread for the whole cluster; nginx shares the machine with the web processes.
    per_visitor_machine = sum(web) + nginx_v
    web_cores = CORES - 2  # two cores for the CPU worker and the OS
    machine = 100 * web_cores / per_visitor_machine
    redis_cap = 100 / redis_v if redis_v > 0 else math.inf
    lines += [
        f"projection: one {CORES}-core machine ({web_cores} cores for ASGI + nginx) holds about "
        f"{machine:,.0f} visitors at this cost per visitor (ASGI {sum(web):.4f} + nginx "
        f"{nginx_v:.4f} % of a core each)",
        f"Redis (one core) saturates near {redis_cap:,.0f} visitors at {redis_v:.4f} %/visitor: "
        f"a cluster of {max(1, math.floor(redis_cap / machine))} such machines before Redis is "
        f"the limit" + (" (Redis first)" if redis_cap < machine else ""),
        "caveat: Redis carries one share per room per process per tick and channels-redis copies "
        "it to every process in the room's group, so its load grows with rooms x processes^2 "
        "(measured here with 2 processes); with rooms kept on one process (nginx `hash $uri "
        "consistent` for /ws/, as configured) only rooms split by a failover pay it",
    ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=250)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--soak", type=float, default=0.0, help="seconds of the soak run (0: none)")
    parser.add_argument("--processes", type=int, default=2, help="generator processes")
    parser.add_argument("--stack-dir", type=Path, default=ROOT / "var" / "scaled")
    parser.add_argument("--light", action="store_true", help="presence_load/light.py's clients")
    args = parser.parse_args()
    single = single_profile(args)
    scaled = scaled_profile(args, args.seconds)
    print(report.format_table([single, scaled]))
    print("\n".join(summary(single, scaled)))
    if args.soak:
        soak = scaled_profile(args, args.soak, label="soak")
        print(report.format_table([soak]))
        for name in ("web1", "web2"):
            p = soak["per_process"][name]
            growth = 100 * (p["rss_end_mb"] - p["rss_start_mb"]) / p["rss_start_mb"]
            print(f"soak {args.soak:.0f} s at {soak['clients']} clients: {name} RSS "
                  f"{p['rss_start_mb']:.0f} -> {p['rss_end_mb']:.0f} MB ({growth:+.1f} %, "
                  f"target < 5 %)")  # fmt: skip
    return 0 if single["valid"] and scaled["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
