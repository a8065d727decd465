"""`python -m tests.bench.presence_load --bare --n 50,100 --seconds 10`: the generator by hand.

Against a running server: `--url ws://127.0.0.1:PORT --server-pid PID --room-ids 1,2,3 --tour
/ws/tours/CODE/`. Prints the table after each N; `--jsonl FILE` appends the rows as JSON lines.
"""

from __future__ import annotations

import argparse
import json
import math
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.bench.presence_load import generator, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="ws://127.0.0.1:PORT of a running server")
    parser.add_argument("--bare", action="store_true", help="start bare_server.py and measure it")
    parser.add_argument("--server-pid", type=int, help="pid whose CPU and RSS to measure")
    parser.add_argument("--room-ids", help="comma-separated room ids (default r0, r1, ...)")
    parser.add_argument("--tour", help="tour path, e.g. /ws/tours/K7P2QX/ (default with --bare)")
    parser.add_argument("--n", default="50,100,250", help="comma-separated visitor counts")
    parser.add_argument("--followers-pct", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--jsonl", type=Path, help="append each row as a JSON line")
    parser.add_argument("--light", action="store_true", help="light clients (light.py)")
    args = parser.parse_args()
    server = None
    if args.bare:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        script = Path(generator.__file__).with_name("bare_server.py")
        server = subprocess.Popen([sys.executable, str(script), "--port", str(port)])
        args.url, args.server_pid = f"ws://127.0.0.1:{port}", server.pid
        args.tour = args.tour or "/ws/tours/bench/"
        time.sleep(1.0)
    elif not args.url:
        parser.error("--url or --bare is required")
    ids = (
        args.room_ids.split(",")
        if args.room_ids
        else [f"r{i}" for i in range(generator.MAX_CLIENTS)]
    )
    rows = []
    try:
        for n in (int(x) for x in args.n.split(",")):
            followers = math.ceil(n * args.followers_pct / 100) if args.tour else 0
            plan = generator.Plan(
                server="bare" if args.bare else "server", url=args.url,
                room_paths=[f"/ws/rooms/{i}/" for i in ids], tour_path=args.tour, visitors=n,
                followers=followers, seconds=args.seconds, processes=args.processes,
                server_pid=args.server_pid, light=args.light,
            )  # fmt: skip
            rows.append(generator.run_load(plan))
            if args.jsonl:
                with args.jsonl.open("a") as out:
                    out.write(json.dumps(rows[-1]) + "\n")
            print(report.format_table(rows), flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
