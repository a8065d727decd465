"""Inference with the learned OP policy: propose feasible routes from plain arrays.

The committed weights (``weights/op_attention.pt``) are read on the first call to
``load_policy`` (never at import) and cached. ``sample_routes`` normalises an instance into the
policy's frame (unit square, prizes <= 1), decodes greedily and/or draws ``n_samples`` routes in
one batch, re-checks every route in float64 on the caller's own distances and returns the distinct
feasible ones, best first. With only a distance matrix (no coordinates) the encoder sees a classical
MDS embedding of it; feasibility always uses the true distances.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import torch

from museum.common.devices import resolve_device
from museum.common.registry import load_module, read_checkpoint
from museum.planning.policy import POLICIES

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "op_attention.pt"
FEASIBILITY_TOL = 1e-9
_CACHE: dict[tuple[str, str], torch.nn.Module] = {}
_LOCK = threading.Lock()


def default_device() -> torch.device:
    return torch.device(resolve_device("auto"))


def load_policy(
    path: str | Path | None = None, device: str | torch.device | None = None
) -> torch.nn.Module:
    """The trained policy in eval mode, loaded once per (path, device) and cached."""
    path = Path(path) if path is not None else DEFAULT_WEIGHTS
    dev = torch.device(device) if device is not None else default_device()
    key = (str(path.resolve()), str(dev))
    with _LOCK:
        if key not in _CACHE:
            payload = read_checkpoint(path).payload
            _CACHE[key] = load_module(
                POLICIES, payload["name"], payload["config"], payload["state_dict"], device=dev
            )
        return _CACHE[key]


def classical_mds(dist: np.ndarray, dims: int = 2) -> np.ndarray:
    """Points whose Euclidean distances approximate ``dist`` (symmetrised), shape (n, dims)."""
    d = np.asarray(dist, dtype=float)
    d = (d + d.T) / 2
    n = len(d)
    j = np.eye(n) - np.full((n, n), 1.0 / n)
    b = -0.5 * j @ (d**2) @ j
    vals, vecs = np.linalg.eigh(b)
    order = np.argsort(vals)[::-1][:dims]
    pts = vecs[:, order] * np.sqrt(np.clip(vals[order], 0, None))
    if pts.shape[1] < dims:
        pts = np.pad(pts, ((0, 0), (0, dims - pts.shape[1])))
    return pts


def _euclidean(xy: np.ndarray) -> np.ndarray:
    diff = xy[:, None, :] - xy[None, :, :]
    return np.sqrt((diff**2).sum(axis=-1))


def _split_points(
    points: np.ndarray | None, dist: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """(coords, dist) from coordinates (n, 2), a square distance matrix, or both."""
    arr = None if points is None else np.asarray(points, dtype=float)
    if arr is not None and dist is None and arr.ndim == 2:
        square = arr.shape[0] == arr.shape[1] and not (len(arr) == 2 and np.any(np.diag(arr)))
        if square:
            return classical_mds(arr), arr
        if arr.shape[1] == 2:
            return arr, _euclidean(arr)
    if dist is not None:
        dist = np.asarray(dist, dtype=float)
        if arr is None:
            return classical_mds(dist), dist
        return arr.reshape(-1, 2), dist
    raise ValueError("points must be coordinates (n, 2) or a distance matrix (n, n)")


def _route_length(dist: np.ndarray, route: list[int]) -> float:
    return float(dist[route[:-1], route[1:]].sum()) if len(route) > 1 else 0.0


def sample_routes(
    points: np.ndarray | None,
    prizes: np.ndarray,
    budget: float,
    start: int = 0,
    end: int = 0,
    *,
    n_samples: int = 1280,
    greedy: bool = False,
    dist: np.ndarray | None = None,
    seed: int = 0,
    top_k: int | None = None,
    policy: torch.nn.Module | None = None,
) -> list[list[int]]:
    """Distinct feasible routes ``[start, ..., end]``, best first (prize desc, length asc).

    ``points``: coordinates (n, 2) or a distance matrix (n, n); pass ``dist`` too when travel
    distances are not Euclidean in ``points``. ``greedy=True`` decodes one greedy route only;
    otherwise the greedy route plus ``n_samples`` sampled ones (seeded). Returns ``[]`` when even
    the direct walk from start to end exceeds the budget.
    """
    coords, true_dist = _split_points(points, dist)
    prizes = np.asarray(prizes, dtype=float)
    n = len(prizes)
    if coords.shape != (n, 2) or true_dist.shape != (n, n):
        raise ValueError(f"{n} prizes but coordinates {coords.shape} / distances {true_dist.shape}")
    if not (0 <= start < n and 0 <= end < n):
        raise ValueError("start and end must be node indices")
    if true_dist[start, end] > budget + FEASIBILITY_TOL:
        return []
    if n == len({start, end}):
        return [[start, end]]
    # Normalise into the training frame: coordinates in the unit square, prizes <= 1.
    lo = coords.min(axis=0)
    scale = float((coords.max(axis=0) - lo).max()) or 1.0
    feat_prizes = prizes.copy()
    feat_prizes[[start, end]] = 0.0
    top = feat_prizes.max()
    feat_prizes = feat_prizes / top if top > 0 else feat_prizes
    policy = policy if policy is not None else load_policy()
    dev = next(policy.parameters()).device
    inputs: dict[str, Any] = {
        "coords": torch.as_tensor((coords - lo) / scale, dtype=torch.float32, device=dev)[None],
        "prizes": torch.as_tensor(feat_prizes, dtype=torch.float32, device=dev)[None],
        # The walk may use the budget up to the checker's tolerance.
        "budget": torch.tensor([(budget + FEASIBILITY_TOL / 2) / scale], dtype=torch.float64),
        "start": torch.tensor([start], device=dev),
        "end": torch.tensor([end], device=dev),
        "dist": torch.as_tensor(true_dist / scale, dtype=torch.float64, device=dev)[None],
    }
    inputs["budget"] = inputs["budget"].to(dev)
    found: list[list[int]] = []
    with torch.inference_mode():
        res = policy(**inputs, decode="greedy")
        found += res.routes(inputs["start"], inputs["end"])[0]
        if not greedy and n_samples > 0:
            gen = torch.Generator(device=dev).manual_seed(seed)
            res = policy(**inputs, decode="sample", n_samples=n_samples, generator=gen)
            found += res.routes(inputs["start"], inputs["end"])[0]
    scored: dict[tuple[int, ...], tuple[float, float]] = {}
    for route in found:
        key = tuple(route)
        if key in scored or route[-1] != end:
            continue
        inner = route[1:-1]
        if len(set(inner)) != len(inner) or start in inner or end in inner:
            continue
        length = _route_length(true_dist, route)
        if length <= budget + FEASIBILITY_TOL:
            scored[key] = (float(prizes[list(set(route))].sum()), length)
    ranked = sorted(scored, key=lambda k: (-scored[k][0], scored[k][1]))
    return [list(r) for r in ranked[:top_k]]


def propose_routes(instance: Any, **kwargs: Any) -> list[list[int]]:
    """``sample_routes`` for an ``op.OPInstance`` (uses its coordinates when it has them)."""
    return sample_routes(
        instance.coords,
        instance.prizes,
        instance.budget,
        instance.start,
        instance.end,
        dist=instance.dist,
        **kwargs,
    )
