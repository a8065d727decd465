"""Rows of the presence benchmark: percentiles from 0.1 ms histograms, validity, the table."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.bench.presence_load.generator import Plan, Stats

POSE_HZ = 10.0
TICK_HZ = 10.0
MIN_POSE_RATIO = 0.95
MAX_LAG_P99_MS = 25.0


def percentile(hist: Counter, q: float) -> float | None:
    total = sum(hist.values())
    if not total:
        return None
    rank, seen = q / 100 * total, 0
    for key in sorted(hist):
        seen += hist[key]
        if seen >= rank:
            return key / 10
    return max(hist) / 10


def summarise(
    plan: Plan,
    wanted: int,
    stats: Stats,
    server_cpu_s: float,
    rss_mb: float,
    *,
    rss_trace: list[float] | None = None,
) -> dict:
    """One table row; `rss_trace` (the server's RSS from the window's start to its end, MB) gives
    the memory growth over the window."""
    trace = rss_trace or [rss_mb]
    secs, clients = plan.seconds, max(stats.clients, 1)
    pose_ratio = stats.poses / (stats.active * POSE_HZ * secs) if stats.active else 0.0
    lag_p99 = percentile(stats.lag, 99) or 0.0
    control_sent = stats.pings_sent + stats.hands_sent
    reasons = []
    if pose_ratio < MIN_POSE_RATIO:
        reasons.append(f"pose rate {pose_ratio:.0%} < {MIN_POSE_RATIO:.0%}")
    if lag_p99 > MAX_LAG_P99_MS:
        reasons.append(f"generator loop lag p99 {lag_p99:.0f} ms")
    if stats.connect_failed or stats.clients != wanted:
        kinds = ", ".join(f"{k} ×{v}" for k, v in stats.failures.most_common(3))
        reasons.append(f"{wanted - stats.clients} connections failed ({kinds})")
    if stats.dropped:
        reasons.append(f"{stats.dropped} sockets dropped")
    if stats.errors:
        reasons.append("error frames " + ", ".join(f"{k}×{v}" for k, v in stats.errors.items()))
    if stats.listeners:
        reasons.append(f"{stats.listeners} listeners (rooms over their cap?)")
    if not control_sent:
        reasons.append("no control frames sent")
    return {
        "n": plan.visitors,
        "followers": plan.followers,
        "clients": stats.clients,
        "server": plan.server,
        "seconds": secs,
        "processes": plan.processes,
        "snapshots_per_s": stats.snapshots / secs,
        "snapshots_pct": 100 * stats.snapshots / (clients * TICK_HZ * secs),
        "tick_p50_ms": percentile(stats.tick, 50),
        "tick_p99_ms": percentile(stats.tick, 99),
        "e2e_p50_ms": percentile(stats.e2e, 50),
        "e2e_p99_ms": percentile(stats.e2e, 99),
        "control_sent": control_sent,
        "control_lost": control_sent - stats.pings_answered - stats.hands_answered,
        "hands_sent": stats.hands_sent,
        "cpu_pct_per_visitor": 100 * server_cpu_s / secs / clients,
        "server_cpu_pct": 100 * server_cpu_s / secs,
        "rss_mb": rss_mb,
        "rss_start_mb": trace[0],
        "rss_trace_mb": [round(x, 1) for x in trace],
        "rss_growth_pct": 100 * (trace[-1] - trace[0]) / trace[0] if trace[0] else float("nan"),
        "pose_rate_pct": 100 * pose_ratio,
        "generator_cpu_pct": 100 * stats.cpu_s / secs,
        "generator_lag_p99_ms": lag_p99,
        "valid": not reasons,
        "invalid_reasons": reasons,
    }


COLUMNS = (  # header, width, row -> text
    ("N", 5, lambda r: f"{r['n']}"),
    ("clients", 7, lambda r: f"{r['clients']}"),
    ("server", 6, lambda r: r["server"]),
    ("snaps/s (%exp)", 15, lambda r: f"{r['snapshots_per_s']:.0f} ({r['snapshots_pct']:.1f}%)"),
    ("tick→rx p50/p99 ms", 18, lambda r: f"{ms(r['tick_p50_ms'])}/{ms(r['tick_p99_ms'])}"),
    ("pose→seen p50/p99", 17, lambda r: f"{ms(r['e2e_p50_ms'])}/{ms(r['e2e_p99_ms'])}"),
    ("ctl lost/sent", 13, lambda r: f"{r['control_lost']}/{r['control_sent']}"),
    ("CPU %/visitor", 13, lambda r: f"{r['cpu_pct_per_visitor']:.3f}"),
    ("RSS MB", 6, lambda r: f"{r['rss_mb']:.0f}"),
    ("pose rate", 9, lambda r: f"{r['pose_rate_pct']:.1f}%"),
    ("gen lag p99", 11, lambda r: f"{r['generator_lag_p99_ms']:.1f}"),
    ("valid", 5, lambda r: "yes" if r["valid"] else "INVALID"),
)


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def format_table(rows: list[dict]) -> str:
    lines = ["  ".join(f"{h:>{w}}" for h, w, _ in COLUMNS)]
    for row in rows:
        lines.append("  ".join(f"{cell(row):>{w}}" for _, w, cell in COLUMNS))
        if row["invalid_reasons"]:
            lines.append("       ^ " + "; ".join(row["invalid_reasons"]))
    return "\n".join(lines)
