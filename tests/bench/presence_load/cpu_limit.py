"""A server process held to a fraction of one core, so the top can be measured on a small machine.

The top (visitors at which p99 tick→receipt passes 100 ms) needs a load generator that outruns
the server; on two cores the server alone takes most of one at its top and the generator gives out
first. Held to a fraction f of a core by the kernel's CPU bandwidth control (a cgroup's CFS quota,
v1 `cpu` controller or v2 `cpu.max`), the server saturates at about f times its one-core load while
the generator keeps the rest of the machine; visitors per core is then the top divided by f.

A short period (10 ms) keeps the stall a quota adds small (at most (1 - f) × 10 ms per period)
beside the 100 ms that defines the top. Needs write access to the cgroup file system (root in a
container); `limit_cpu` says why when it cannot, and the caller measures without a limit.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

PERIOD_US = 10_000
V1_ROOT = Path("/sys/fs/cgroup/cpu")
V2_ROOT = Path("/sys/fs/cgroup")


class CpuLimitUnavailable(RuntimeError):
    """The kernel's CPU bandwidth control cannot be used here (no cgroup we may write)."""


def _v2_group(name: str) -> tuple[Path, Path]:
    """A child group for cgroup v2, and the group to move the process back to."""
    if not (V2_ROOT / "cgroup.controllers").exists():
        raise CpuLimitUnavailable("no cgroup v2 hierarchy at /sys/fs/cgroup")
    own = Path(
        next(
            line.split("::", 1)[1].strip()
            for line in Path("/proc/self/cgroup").read_text().splitlines()
            if line.startswith("0::")
        ).lstrip("/")
    )
    parent = V2_ROOT / own
    if "cpu" not in (parent / "cgroup.subtree_control").read_text().split():
        (parent / "cgroup.subtree_control").write_text("+cpu")
    return parent / name, parent


@contextlib.contextmanager
def limit_cpu(pids: list[int], fraction: float, *, name: str = "mouseion-bench") -> Iterator[str]:
    """Hold `pids` (with all their threads) to `fraction` of one core until the block ends.

    Yields a one-line description of the limit. Raises CpuLimitUnavailable when no cgroup can be
    made or written (not root, read-only cgroup fs); the processes are then left as they were.
    """
    if not 0 < fraction <= 64:
        raise ValueError(f"fraction must be in (0, 64], got {fraction}")
    quota = max(1_000, round(PERIOD_US * fraction))
    name = f"{name}-{os.getpid()}"
    try:
        if (V1_ROOT / "cpu.cfs_quota_us").exists():
            group, back = V1_ROOT / name, V1_ROOT
            group.mkdir(exist_ok=True)
            (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(quota))
        else:
            group, back = _v2_group(name)
            group.mkdir(exist_ok=True)
            (group / "cpu.max").write_text(f"{quota} {PERIOD_US}")
        for pid in pids:
            (group / "cgroup.procs").write_text(str(pid))
    except OSError as exc:
        raise CpuLimitUnavailable(f"cannot set a CPU quota ({exc})") from exc
    try:
        yield f"{quota / PERIOD_US:g} of a core (CFS quota {quota} µs per {PERIOD_US} µs)"
    finally:
        for pid in pids:
            with contextlib.suppress(OSError):  # the process may have exited
                (back / "cgroup.procs").write_text(str(pid))
        with contextlib.suppress(OSError):
            group.rmdir()
