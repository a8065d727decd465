"""Attention encoder-decoder policy for the Orienteering Problem (Kool, van Hoof & Welling, 2019).

One architecture per file, built by name from a config (``build_policy("op_attention", ...)``);
nothing is loaded at import. Inputs are batched tensors in a normalised frame: coordinates in the
unit square (B, N, 2), prizes scaled to at most 1 (B, N), the budget (B,), the start and end node
indices (B,) and optionally a travel-distance matrix (B, N, N) that may differ from the Euclidean
one (corridors); feasibility always uses that matrix, in float64.

A route starts at ``start``, visits each other node at most once and stops when it selects
``end`` (for a closed tour ``end == start``). A node is offered only while it is unvisited and
the walk can still go there and on to ``end`` within the budget, so every decoded route is
feasible whenever ``dist[start, end] <= budget``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from museum.common.registry import ModelRegistry

__all__ = ["POLICIES", "AttentionOP", "Decoded", "build_policy", "list_policies", "register_policy"]

# The shared convention (museum.common.registry): built by name, no weights at import.
POLICIES = ModelRegistry("policy")
register_policy = POLICIES.register  # class decorator: buildable by build_policy(name, **config)


def build_policy(name: str, **config: Any) -> nn.Module:
    """A freshly initialised policy of the named architecture (no weights are loaded)."""
    policy: nn.Module = POLICIES.create(name, **config)
    return policy


def list_policies() -> list[str]:
    return POLICIES.names()


@dataclass
class Decoded:
    """Decoding result for B instances x S samples (flattened rows are instance-major).

    ``actions`` (B, S, T): selected node per step (``end`` repeated once done); ``log_prob``
    (B, S): summed log-probability; ``prize`` (B, S): collected prize (start and end excluded);
    ``length`` (B, S): route length in the normalised frame, float64.
    """

    actions: torch.Tensor
    log_prob: torch.Tensor
    prize: torch.Tensor
    length: torch.Tensor

    def routes(self, start: torch.Tensor, end: torch.Tensor) -> list[list[list[int]]]:
        """Per instance, per sample: the node list ``[start, ..., end]``."""
        out: list[list[list[int]]] = []
        acts = self.actions.tolist()
        for b, rows in enumerate(acts):
            s, e = int(start[b]), int(end[b])
            per: list[list[int]] = []
            for row in rows:
                route = [s]
                for v in row:
                    route.append(v)
                    if v == e:
                        break
                per.append(route)
            out.append(per)
        return out


class _EncoderLayer(nn.Module):
    """Multi-head self-attention and a feed-forward block, each with a skip and layer norm.

    Kool et al. use batch norm; layer norm is several times cheaper on the CPU (where this model
    is trained) and behaves the same in training and evaluation.
    """

    def __init__(self, dim: int, heads: int, ff_dim: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm1 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, ff_dim), nn.ReLU(), nn.Linear(ff_dim, dim))
        self.norm2 = nn.LayerNorm(dim)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        h = self.norm1(h + self.attn(h, h, h, need_weights=False)[0])
        return self.norm2(h + self.ff(h))


@register_policy("op_attention")
class AttentionOP(nn.Module):
    """Kool et al.'s attention model for the OP, with start/end flags so that start != end works.

    Node features: (x, y, prize, is_start, is_end). Decoder context: graph embedding, current
    node, end node and remaining budget; one masked glimpse, then tanh-clipped logits.
    """

    def __init__(
        self,
        embed_dim: int = 128,
        n_layers: int = 3,
        n_heads: int = 8,
        ff_dim: int = 512,
        tanh_clip: float = 10.0,
    ) -> None:
        super().__init__()
        if embed_dim % n_heads:
            raise ValueError("embed_dim must be a multiple of n_heads")
        self.config = {
            "embed_dim": embed_dim,
            "n_layers": n_layers,
            "n_heads": n_heads,
            "ff_dim": ff_dim,
            "tanh_clip": tanh_clip,
        }
        self.dim, self.heads, self.clip = embed_dim, n_heads, tanh_clip
        self.init_embed = nn.Linear(5, embed_dim)
        self.layers = nn.ModuleList(
            _EncoderLayer(embed_dim, n_heads, ff_dim) for _ in range(n_layers)
        )
        self.project_nodes = nn.Linear(embed_dim, 3 * embed_dim, bias=False)
        self.project_fixed = nn.Linear(embed_dim, embed_dim, bias=False)
        self.project_step = nn.Linear(2 * embed_dim + 1, embed_dim, bias=False)
        self.project_out = nn.Linear(embed_dim, embed_dim, bias=False)

    # -- encoder -----------------------------------------------------------------------------
    def encode(
        self, coords: torch.Tensor, prizes: torch.Tensor, start: torch.Tensor, end: torch.Tensor
    ) -> torch.Tensor:
        """Node embeddings (B, N, d)."""
        n = coords.shape[1]
        idx = torch.arange(n, device=coords.device)
        is_start = (idx[None] == start[:, None]).to(coords.dtype)
        is_end = (idx[None] == end[:, None]).to(coords.dtype)
        feats = torch.cat(
            [coords, prizes[..., None], is_start[..., None], is_end[..., None]], dim=-1
        )
        h = self.init_embed(feats)
        for layer in self.layers:
            h = layer(h)
        return h

    # -- decoder -----------------------------------------------------------------------------
    def forward(
        self,
        coords: torch.Tensor,
        prizes: torch.Tensor,
        budget: torch.Tensor,
        start: torch.Tensor,
        end: torch.Tensor,
        dist: torch.Tensor | None = None,
        *,
        decode: str = "sample",
        n_samples: int = 1,
        generator: torch.Generator | None = None,
        first: torch.Tensor | None = None,
    ) -> Decoded:
        """Decode ``n_samples`` routes per instance, greedily or by sampling.

        ``first`` (B, S), POMO's multi-start: the first node of each route is forced (not
        counted in ``log_prob``); a forced node that cannot be reached falls back to ``end``.
        """
        if decode not in ("greedy", "sample"):
            raise ValueError("decode must be 'greedy' or 'sample'")
        if dist is None:
            dist = torch.cdist(coords.double(), coords.double())
        dist = dist.double()
        bsz, n, _ = coords.shape
        dev = coords.device
        s_count = n_samples if first is None else first.shape[1]
        h = self.encode(coords, prizes, start, end)
        d, heads = self.dim, self.heads
        dk = d // heads
        k_glimpse, v_glimpse, k_logit = self.project_nodes(h).chunk(3, dim=-1)
        # (B, H, N, dk): keys/values shared by every sample of an instance (no copies).
        k_glimpse = k_glimpse.view(bsz, n, heads, dk).transpose(1, 2)
        v_glimpse = v_glimpse.view(bsz, n, heads, dk).transpose(1, 2)
        fixed = self.project_fixed(h.mean(dim=1))[:, None, :]  # (B, 1, d)
        h_end = h.gather(1, end[:, None, None].expand(-1, 1, d))  # (B, 1, d)
        budget64 = budget.double()[:, None]  # (B, 1)
        d_to_end = dist.gather(2, end[:, None, None].expand(-1, n, 1)).squeeze(-1)  # (B, N)
        end_hot = torch.nn.functional.one_hot(end, n).bool()[:, None, :]  # (B, 1, N)

        cur = start[:, None].expand(bsz, s_count).clone()
        length = torch.zeros(bsz, s_count, dtype=torch.float64, device=dev)
        visited = torch.zeros(bsz, s_count, n, dtype=torch.bool, device=dev)
        visited.scatter_(2, cur[..., None], True)
        done = torch.zeros(bsz, s_count, dtype=torch.bool, device=dev)
        log_prob = torch.zeros(bsz, s_count, device=dev)
        prize = torch.zeros(bsz, s_count, device=dev)
        actions: list[torch.Tensor] = []
        for t in range(n + 1):
            d_cur = dist.gather(1, cur[..., None].expand(-1, -1, n))  # (B, S, N)
            reach = length[..., None] + d_cur + d_to_end[:, None, :] <= budget64[..., None]
            feasible = (reach & ~visited & ~end_hot) | end_hot
            feasible = torch.where(done[..., None], end_hot.expand_as(feasible), feasible)
            h_cur = h.gather(1, cur[..., None].expand(-1, -1, d))  # (B, S, d)
            remaining = (budget64 - length).to(h.dtype)[..., None]
            step = torch.cat([h_cur, h_end.expand(-1, s_count, -1), remaining], dim=-1)
            query = fixed + self.project_step(step)  # (B, S, d)
            q = query.view(bsz, s_count, heads, dk).transpose(1, 2)  # (B, H, S, dk)
            compat = q @ k_glimpse.transpose(-1, -2) / math.sqrt(dk)  # (B, H, S, N)
            compat = compat.masked_fill(~feasible[:, None], float("-inf"))
            glimpse = torch.softmax(compat, dim=-1) @ v_glimpse  # (B, H, S, dk)
            glimpse = self.project_out(glimpse.transpose(1, 2).reshape(bsz, s_count, d))
            logits = glimpse @ k_logit.transpose(-1, -2) / math.sqrt(d)  # (B, S, N)
            logits = self.clip * torch.tanh(logits)
            logits = logits.masked_fill(~feasible, float("-inf"))
            logp = torch.log_softmax(logits, dim=-1)
            if t == 0 and first is not None:
                ok = feasible.gather(2, first[..., None]).squeeze(-1)
                sel = torch.where(ok, first, end[:, None].expand_as(first))
            elif decode == "greedy":
                sel = logp.argmax(dim=-1)
            else:
                flat = logp.exp().float().view(-1, n)
                sel = torch.multinomial(flat, 1, generator=generator).view(bsz, s_count)
            chosen = logp.gather(2, sel[..., None]).squeeze(-1)
            if t == 0 and first is not None:
                chosen = torch.zeros_like(chosen)
            active = ~done
            log_prob = log_prob + torch.where(active, chosen, torch.zeros_like(chosen))
            is_end = sel == end[:, None]
            gain = prizes.gather(1, sel)  # (B, S)
            prize = prize + torch.where(active & ~is_end, gain, torch.zeros_like(gain))
            step_len = d_cur.gather(2, sel[..., None]).squeeze(-1)
            length = length + torch.where(active, step_len, torch.zeros_like(step_len))
            visited = visited.scatter(2, sel[..., None], True)
            cur = sel
            actions.append(sel)
            done = done | is_end
            # Checking forces a device sync: on a GPU only every few steps.
            if (dev.type == "cpu" or t % 4 == 3) and bool(done.all()):
                break
        return Decoded(torch.stack(actions, dim=-1), log_prob, prize, length)
