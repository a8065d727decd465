"""Millisecond inference with the OP attention policy on a CPU: POMO multi-start greedy decoding.

The encoder runs once per augmentation (torch); the decoder is re-written in numpy with every
per-node projection computed once, so a decoding step costs a few small array operations rather
than a full torch forward (the torch decoder costs ~0.3 ms per step on one core, this one a few
tens of microseconds). Rows are (augmentation x start): each augmentation is one of the 8
symmetries of the unit square, each start a forced first node (the best-prize-per-detour nodes).
Feasibility uses the caller's true distances in float64, as in ``policy.py``; every returned
route is re-checked.

``policy_routes(instance, ...)`` gives distinct feasible routes, best first;
``plan(instance, time_limit=...)`` is ``policy+search``: those routes seed the iterated local
search (``heuristic.solve``) for the rest of the budget.
"""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from museum.planning import heuristic
from museum.planning.op import FEASIBILITY_TOL, OPInstance
from museum.planning.policy import AttentionOP

__all__ = ["FastDecoder", "PolicyPlan", "plan", "policy_routes"]


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float32).numpy()


def _modules(container: Any) -> list[Any]:
    """The encoder layers, typed loosely (their attributes are read as weights)."""
    return list(container)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return ((x - mean) / np.sqrt(var + np.float32(1e-5))) * weight + bias


def augment_coords(xy: np.ndarray, k: int) -> np.ndarray:
    """Symmetry k (0..7) of the unit square: flip x (bit 0), flip y (bit 1), swap x/y (bit 2)."""
    x, y = xy[:, 0], xy[:, 1]
    x = 1 - x if k & 1 else x
    y = 1 - y if k & 2 else y
    return np.stack([y, x] if k & 4 else [x, y], axis=1)


class FastDecoder:
    """Greedy multi-start decoding of a trained ``AttentionOP`` in numpy."""

    def __init__(self, policy: AttentionOP) -> None:
        self.policy = policy
        self.dim, self.heads = int(policy.dim), int(policy.heads)
        d = self.dim
        self.w_nodes = _np(policy.project_nodes.weight).T  # (d, 3d)
        self.w_fixed = _np(policy.project_fixed.weight).T
        w_step = _np(policy.project_step.weight)  # (d, 2d + 1)
        self.w_cur, self.w_end, self.w_rem = (
            w_step[:, :d].T,
            w_step[:, d : 2 * d].T,
            w_step[:, 2 * d],
        )
        self.w_out = _np(policy.project_out.weight).T
        self.w_init, self.b_init = _np(policy.init_embed.weight).T, _np(policy.init_embed.bias)
        self.layers = [
            (
                _np(layer.attn.in_proj_weight).T,
                _np(layer.attn.in_proj_bias),
                _np(layer.attn.out_proj.weight).T,
                _np(layer.attn.out_proj.bias),
                (_np(layer.norm1.weight), _np(layer.norm1.bias)),
                _np(layer.ff[0].weight).T,
                _np(layer.ff[0].bias),
                _np(layer.ff[2].weight).T,
                _np(layer.ff[2].bias),
                (_np(layer.norm2.weight), _np(layer.norm2.bias)),
            )
            for layer in _modules(policy.layers)
        ]
        # The first torch forward of a process is slow (kernel selection): pay it here.
        self.decode(self.encode(np.zeros((1, 3, 2)), np.ones(3), 0, 1), np.ones((3, 3)), 2.0, 0,
                    1, np.array([[2]]))  # fmt: skip

    def encode(self, coords: np.ndarray, prizes: np.ndarray, start: int, end: int) -> np.ndarray:
        """Node embeddings (A, N, d) for A coordinate sets (augmentations) of one instance.

        The torch encoder in numpy: a torch forward on a busy 2-core machine costs up to
        hundreds of milliseconds in thread hand-offs; this one stays on the calling thread.
        """
        a_n, n, _ = coords.shape
        feats = np.zeros((a_n, n, 5), dtype=np.float32)
        feats[..., :2] = coords
        feats[..., 2] = prizes
        feats[:, start, 3] = 1.0
        feats[:, end, 4] = 1.0
        h = feats @ self.w_init + self.b_init
        heads, dk = self.heads, self.dim // self.heads
        for w_in, b_in, w_o, b_o, ln1, w1, b1, w2, b2, ln2 in self.layers:
            q, k, v = np.split(h @ w_in + b_in, 3, axis=-1)
            q, k, v = (x.reshape(a_n, n, heads, dk).transpose(0, 2, 1, 3) for x in (q, k, v))
            att = (q @ k.transpose(0, 1, 3, 2)) / np.float32(math.sqrt(dk))
            att = np.exp(att - att.max(axis=-1, keepdims=True))
            att /= att.sum(axis=-1, keepdims=True)
            out = (att @ v).transpose(0, 2, 1, 3).reshape(a_n, n, self.dim) @ w_o + b_o
            h = _layer_norm(h + out, *ln1)
            h = _layer_norm(h + np.maximum(h @ w1 + b1, 0.0) @ w2 + b2, *ln2)
        return h

    def decode(
        self,
        h: np.ndarray,
        dist: np.ndarray,
        budget: float,
        start: int,
        end: int,
        first: np.ndarray,
    ) -> np.ndarray:
        """Greedy routes from forced first nodes: actions (A, S, T) (``end`` once finished)."""
        a_n, n, d = h.shape
        s_n = first.shape[1]
        heads, dk = self.heads, d // self.heads
        kg, vg, kl = np.split(h @ self.w_nodes, 3, axis=-1)
        # Contiguous copies: numpy's batched matmul is slow on strided views.
        c = np.ascontiguousarray
        k_t = c(kg.reshape(a_n, n, heads, dk).transpose(0, 2, 3, 1) / np.float32(math.sqrt(dk)))
        v_h = c(vg.reshape(a_n, n, heads, dk).transpose(0, 2, 1, 3))  # (A, H, N, dk)
        kl_t = c(kl.transpose(0, 2, 1))  # (A, d, N)
        base = h.mean(axis=1) @ self.w_fixed + h[:, end] @ self.w_end  # (A, d)
        p_cur = h @ self.w_cur  # (A, N, d)
        # Node j can follow node i while length + dist[i, j] + dist[j, end] <= budget.
        via = dist + dist[:, end][None, :]
        cur = np.full((a_n, s_n), start)
        left = np.full((a_n, s_n), float(budget))  # budget left, float64
        free = np.ones((a_n, s_n, n), dtype=bool)  # unvisited and not the end
        free[..., [start, end]] = False
        done = np.zeros((a_n, s_n), dtype=bool)
        end_hot = np.zeros(n, dtype=bool)
        end_hot[end] = True
        rows = np.arange(a_n)[:, None]
        actions = []
        for t in range(n + 1):
            feasible = (via[cur] <= left[..., None]) & free
            feasible[..., end] = True
            if t == 0:
                ok = np.take_along_axis(feasible, first[..., None], axis=2)[..., 0]
                sel = np.where(ok, first, end)
            else:
                q = (
                    base[:, None]
                    + p_cur[rows, cur]
                    + left.astype(np.float32)[..., None] * self.w_rem
                )
                q = c(q.reshape(a_n, s_n, heads, dk).transpose(0, 2, 1, 3))
                compat = np.where(feasible[:, None], q @ k_t, np.float32(-np.inf))  # (A, H, S, N)
                compat = np.exp(compat - compat.max(axis=-1, keepdims=True))
                compat /= compat.sum(axis=-1, keepdims=True)
                glimpse = c((compat @ v_h).transpose(0, 2, 1, 3)).reshape(a_n, s_n, d)
                # argmax of the tanh-clipped logits = argmax of the raw ones (monotone).
                logits = np.where(feasible, (glimpse @ self.w_out) @ kl_t, np.float32(-np.inf))
                sel = logits.argmax(axis=-1)
                sel[done] = end
            left -= dist[cur, sel]
            free[rows, np.arange(s_n)[None, :], sel] = False
            cur = sel
            actions.append(sel)
            done |= sel == end
            if done.all():
                break
        return np.stack(actions, axis=-1)


@dataclass
class _Frame:
    coords: np.ndarray
    prizes: np.ndarray
    dist: np.ndarray
    budget: float


# Travel distance per unit of straight-line distance in the trainer's museum-like instances
# (corridors plus dwell; gpu_train._museum, measured 1.44-1.45 at n = 60-240).
MUSEUM_RATIO = 1.45


def _frame(instance: OPInstance, coords: np.ndarray | None) -> _Frame:
    """The policy's frame: coordinates in the unit square, prizes <= 1, distances scaled.

    ``coords`` given apart from the distances (a museum: room positions, walking + dwell
    seconds) have their own units: the distances are rescaled so that travel per unit of
    straight line matches the trainer's museum-like instances.
    """
    xy = coords if coords is not None else instance.coords
    if xy is None:
        from museum.planning.learned import classical_mds

        xy = classical_mds(instance.dist)
    xy = np.asarray(xy, dtype=float)
    lo = xy.min(axis=0)
    scale = float((xy.max(axis=0) - lo).max()) or 1.0
    unit = scale
    if coords is not None:
        straight = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
        apart = straight > 0.05 * scale
        if apart.any():
            unit = scale * float(np.median(instance.dist[apart] / straight[apart])) / MUSEUM_RATIO
    prizes = instance.prizes.astype(float).copy()
    prizes[[instance.start, instance.end]] = 0.0
    top = prizes.max()
    prizes = prizes / top if top > 0 else prizes
    budget = (instance.budget + FEASIBILITY_TOL / 2) / unit
    return _Frame((xy - lo) / scale, prizes, instance.dist / unit, budget)


def first_nodes(frame: _Frame, start: int, end: int, count: int) -> np.ndarray:
    """The ``count`` nodes with the best prize per detour (start -> node -> end), reachable."""
    detour = frame.dist[start] + frame.dist[:, end]
    ratio = np.where(detour <= frame.budget, frame.prizes / (detour + 1e-6), -1.0)
    ratio[[start, end]] = -2.0
    order = np.argsort(-ratio, kind="stable")[:count]
    return order[ratio[order] > 0]


_BLAS: list[Any] = []


def one_blas_thread() -> Any:
    """A context with BLAS on one thread: these matrices are tiny, and a second BLAS thread on
    a busy 2-core machine turns 2 ms of decoding into 300 ms of hand-offs (measured)."""
    if not _BLAS:
        from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


_DECODERS: weakref.WeakKeyDictionary[torch.nn.Module, FastDecoder] = weakref.WeakKeyDictionary()


def decoder(policy: torch.nn.Module | None = None) -> FastDecoder:
    """The numpy decoder of ``policy`` (default: the committed weights, loaded on first use)."""
    if policy is None:
        from museum.planning.learned import load_policy

        policy = load_policy(device="cpu")
    key = policy
    if key not in _DECODERS:
        if not isinstance(policy, AttentionOP):
            raise TypeError(f"expected an AttentionOP, got {type(policy).__name__}")
        _DECODERS[key] = FastDecoder(policy)
    return _DECODERS[key]


def policy_routes(
    instance: OPInstance,
    *,
    starts: int = 8,
    augmentations: int = 1,
    coords: np.ndarray | None = None,
    policy: torch.nn.Module | None = None,
    top_k: int | None = None,
) -> list[list[int]]:
    """Distinct feasible routes from multi-start greedy decoding, best first (prize, length)."""
    s, e = instance.start, instance.end
    if instance.dist[s, e] > instance.budget + FEASIBILITY_TOL:
        return []
    frame = _frame(instance, coords)
    first = first_nodes(frame, s, e, starts)
    if not len(first):
        return [[s, e]]
    dec = decoder(policy)
    aug = np.stack([augment_coords(frame.coords, k) for k in range(min(augmentations, 8))])
    with one_blas_thread():
        h = dec.encode(aug, frame.prizes, s, e)
        acts = dec.decode(
            h, frame.dist, frame.budget, s, e, np.broadcast_to(first, (len(aug), len(first)))
        )
    scored: dict[tuple[int, ...], tuple[float, float]] = {}
    for row in acts.reshape(-1, acts.shape[-1]).tolist():
        route = [s, *row[: row.index(e) + 1]] if e in row else [s, *row, e]
        key = tuple(route)
        if key in scored:
            continue
        length = float(instance.dist[route[:-1], route[1:]].sum())
        inner = route[1:-1]
        if length <= instance.budget + FEASIBILITY_TOL and len(set(inner)) == len(inner):
            scored[key] = (float(instance.prizes[list(set(route))].sum()), length)
    ranked = sorted(scored, key=lambda k: (-scored[k][0], scored[k][1]))
    return [list(r) for r in ranked[:top_k]]


@dataclass(frozen=True)
class PolicyPlan:
    solution: heuristic.Solution
    policy_seconds: float
    policy_score: float


def plan(
    instance: OPInstance,
    *,
    time_limit: float,
    seed: int = 0,
    starts: int = 16,
    augmentations: int = 1,
    seeds: int = 2,
    coords: np.ndarray | None = None,
    policy: Any = None,
    with_greedy: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> PolicyPlan:
    """policy+search: the policy's best ``seeds`` routes start the local search, which runs
    for what is left of ``time_limit`` (the search's empty-route start is skipped).

    ``with_greedy``: the greedy insertion route competes with them for a place among the
    ``seeds`` routes improved (a safeguard where the policy is weak, e.g. out of distribution).
    ``clock`` measures the budget (``time.process_time`` on a shared machine).
    """
    t0 = clock()
    routes = policy_routes(
        instance, starts=starts, augmentations=augmentations, coords=coords, policy=policy,
        top_k=seeds,
    )  # fmt: skip
    best = max((float(instance.prizes[list(set(r))].sum()) for r in routes), default=0.0)
    if with_greedy and routes:
        routes.append(heuristic.greedy(instance).route)
    spent = clock() - t0
    sol = heuristic.solve(
        instance,
        time_limit=max(time_limit - spent, 0.0),
        seed=seed,
        initial_routes=routes or None,
        seeds_to_improve=seeds,
        from_empty=not routes,
        clock=clock,
    )
    total = heuristic.Solution(sol.route, sol.score, sol.length, clock() - t0,
                               sol.iterations)  # fmt: skip
    return PolicyPlan(total, spent, best)
