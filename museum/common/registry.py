"""The one convention for learned models, after timm: an architecture is registered under a
name, built from a plain config with no weights (`create`), and a checkpoint is read once
(`read_checkpoint`: its payload and the digest that versions it) and turned into a ready module
(`load_module`). Nothing is built or loaded at import; torch is imported only when a checkpoint
is read or a module loaded.

Each domain keeps its own registry (`POLICIES` in planning, `DAMAGE_MODELS`, `INPAINT_MODELS`)
so names and error messages stay its own, and its own checkpoint keys: files on disk are read
as they were written.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import torch
    from torch import nn

Builder = TypeVar("Builder", bound=Callable[..., Any])


class UnknownModelError(KeyError, ValueError):
    """A name no architecture is registered under (a KeyError and a ValueError, as the
    registries it replaces raised one or the other)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ModelRegistry:
    """Architectures of one domain by name: `@registry.register("name")` on a class or a
    function returning a module, `registry.create("name", **config)` to build one."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._builders: dict[str, Callable[..., Any]] = {}

    def register(self, name: str) -> Callable[[Builder], Builder]:
        def wrap(builder: Builder) -> Builder:
            if name in self._builders and self._builders[name] is not builder:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._builders[name] = builder
            return builder

        return wrap

    def create(self, name: str, **config: Any) -> Any:
        """A freshly initialised module of the named architecture (no weights loaded)."""
        try:
            builder = self._builders[name]
        except KeyError:
            raise UnknownModelError(
                f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}"
            ) from None
        return builder(**config)

    def names(self) -> list[str]:
        return sorted(self._builders)

    def __contains__(self, name: object) -> bool:
        return name in self._builders


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint file's payload (tensors on the CPU) and the SHA-256 of its bytes."""

    path: Path
    payload: dict[str, Any]
    digest: str

    def version(self, arch: str, *, digits: int = 8, sep: str = "+") -> str:
        """`arch` + `sep` + the first `digits` of the digest: which weights made an output."""
        return f"{arch}{sep}{self.digest[:digits]}"


def file_digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint safely (`weights_only`: tensors and plain data, no pickled code)."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights not found: {path}")
    data = path.read_bytes()
    payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    if not isinstance(payload, dict):
        raise ValueError(f"{path} is not a checkpoint (a dict of config and weights)")
    return Checkpoint(path, payload, hashlib.sha256(data).hexdigest())


def load_module(
    registry: ModelRegistry,
    name: str,
    config: Mapping[str, Any],
    state_dict: Mapping[str, torch.Tensor],
    *,
    device: str | torch.device = "cpu",
    memory_format: torch.memory_format | None = None,
    frozen: bool = False,
) -> nn.Module:
    """Build `name` from `config`, load the weights (half-precision tensors widened to float32),
    move it to `device` and put it in eval mode; `frozen` also turns gradients off."""
    import torch

    module = registry.create(name, **dict(config))
    module.load_state_dict(
        {
            key: value.float() if value.dtype in (torch.float16, torch.bfloat16) else value
            for key, value in state_dict.items()
        }
    )
    if memory_format is None:
        module.to(device)
    else:
        module.to(device, memory_format=memory_format)
    module.eval()
    if frozen:
        for parameter in module.parameters():
            parameter.requires_grad_(False)
    return module


def write_checkpoint(payload: Mapping[str, Any], path: str | Path) -> Path:
    """Save atomically: a crash mid-write leaves the previous file, never half of one."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(dict(payload), tmp)
    tmp.replace(path)
    return path
