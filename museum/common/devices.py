"""The one device and precision choice for every learned model (torch imported only when asked).

`resolve_device("auto")` (or None, or "") is "cuda" when torch sees a GPU, else "cpu"; any other
name ("cpu", "cuda:1") is returned as given. `bf16_autocast` runs bfloat16 where the hardware has
it (recent GPUs, AMX/AVX512-BF16 CPUs) and plain float32 elsewhere. `use_cores` sets torch's CPU
threads to the cores the process may use.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any

AUTO = ("", "auto")


def cuda_available() -> bool:
    """Whether torch is installed and sees a GPU."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch comes with the ml extra
        return False
    return bool(torch.cuda.is_available())


def resolve_device(requested: str | None = None) -> str:
    """ "auto", "" or None: "cuda" when available, else "cpu"; anything else unchanged."""
    if requested is None or requested in AUTO:
        return "cuda" if cuda_available() else "cpu"
    return requested


_threads_set = False


def use_cores() -> int:
    """Torch's CPU threads set once per process to the cores this process may use
    (MOUSEION_TORCH_THREADS overrides): torch counts the host's cores, which oversubscribes
    a container or a worker pinned to fewer. Returns the thread count."""
    global _threads_set
    import torch

    if not _threads_set:
        _threads_set = True
        configured = os.environ.get("MOUSEION_TORCH_THREADS", "")
        cores = (
            int(configured)
            if configured.isdigit() and int(configured) > 0
            else len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else (os.cpu_count() or 1)
        )
        if cores != torch.get_num_threads():
            torch.set_num_threads(cores)
    return int(torch.get_num_threads())


def bf16_supported(device: str) -> bool:
    """Whether `device` computes in bfloat16 natively (so autocast speeds it up)."""
    import torch

    if device.startswith("cuda"):
        return bool(torch.cuda.is_bf16_supported())
    return bool(getattr(torch.backends.mkldnn, "is_available", lambda: False)()) and bool(
        getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)()
    )


def bf16_autocast(
    device: str, enabled: bool = True
) -> Callable[[], contextlib.AbstractContextManager[Any]]:
    """A context factory: bfloat16 autocast where `bf16_supported(device)`, else a no-op."""
    if not enabled or not bf16_supported(device):
        return contextlib.nullcontext
    import torch

    kind = "cuda" if device.startswith("cuda") else "cpu"
    return lambda: torch.autocast(kind, dtype=torch.bfloat16)
