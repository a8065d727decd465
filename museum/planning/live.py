"""Live re-routing: a learned next-stop policy shared by all visitors (issue #21).

Framework-free, numpy only (the trainer, live_train.py, adds torch). As a visitor walks, the
next stop is chosen again from the museum's crowd as it is (visitors inside each room, waiting at
its door, already heading there), the time left, what is left to see and the visitor's arrival
plan. The choice is among a short list of *feasible* candidates (walk there, look under the
predicted crowding and still reach the exit in time) scored by a small network:

    logit(c) = prior · x_c + MLP(x_c)

`prior` starts as "follow the arrival plan, else the best prize per second" and the MLP starts
at zero, so the untrained policy is the crowd-aware routing; REINFORCE (live_train.py) learns
when to deviate. The same features serve the product (services.next_stop) and the simulation
(day.py's `learned` routing), so what was trained is what is served.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from museum.planning.building import SAME_ROOM_SECONDS, ObjectRecord, RoomTimes
from museum.planning.crowd import ALPHA, BETA, CrowdPricing
from museum.planning.day import Decision

WEIGHTS = Path(__file__).with_name("weights") / "live_policy.npz"
MAX_CANDIDATES = 12
FEATURES = (
    "prize", "log_rate", "walk", "dwell", "inside", "waiting", "heading", "crowding", "back",
    "slack", "time_left", "same_room", "plan_next", "in_plan", "plan_rank", "room_value",
    "group",
)  # fmt: skip
PLAN_NEXT, LOG_RATE = FEATURES.index("plan_next"), FEATURES.index("log_rate")
HIDDEN = 64
# The arrival plan the policy was trained on prices crowds in time only, at their expected load;
# aware and replan plans use crowd.CROWD_PRICING.
PLAN_PRICING = CrowdPricing(time_aversion=1.0, prize_power=0.0)
# How the served policy picks: 0 = its best candidate; > 0 = sampled at that temperature
# (chosen on validation days, see the model card).
SERVED_TEMPERATURE = 0.0
# The settings of the live regime: dwell times, parties and time budgets vary.
LIVE_DAY: dict[str, Any] = {
    "minutes_choices": (30, 45, 60, 90),
    "taste_noise": 0.5,
    "dwell_noise": 0.3,
    "group_sizes": (1, 1, 1, 1, 2, 2, 3, 4),
}


@dataclass
class Candidates:
    """The feasible next stops of one decision and their feature rows."""

    objects: list[ObjectRecord]
    features: np.ndarray  # (len(objects), len(FEATURES)), float32
    need_seconds: np.ndarray  # walk + predicted dwell + way back to the exit


class Museum:
    """Objects and walking times as arrays, for fast candidate lists."""

    def __init__(self, objects: Sequence[ObjectRecord], times: RoomTimes) -> None:
        self.objects = list(objects)
        self.times = times
        self.position = {o.id: k for k, o in enumerate(self.objects)}
        self.rooms = times.rooms
        self.room_of = np.array([times.index[o.room] for o in self.objects])
        self.dwell = np.array([o.dwell_seconds for o in self.objects])


def candidates(decision: Decision, museum: Museum, limit: int = MAX_CANDIDATES) -> Candidates:
    """The unseen objects the visitor can still see and leave in time: the best `limit` by
    prize per second, plus the arrival plan's next stop when it still fits."""
    left = decision.deadline - decision.now
    crowd, group, times = decision.crowd, decision.group, museum.times
    here, out = times.index[decision.location], times.index[decision.exit]
    prize = np.zeros(len(museum.objects))
    for oid, value in decision.prizes.items():
        prize[museum.position[oid]] = value
    cap = np.array([crowd.capacity[r] for r in museum.rooms], dtype=np.float64)
    inside = np.array([crowd.inside(r) for r in museum.rooms], dtype=np.float64)
    waiting = np.array([crowd.waiting(r) for r in museum.rooms], dtype=np.float64)
    heading = np.array([crowd.heading.get(r, 0) for r in museum.rooms], dtype=np.float64)
    walk_room = times.seconds[here].copy()
    walk_room[here] = SAME_ROOM_SECONDS
    same_room = np.arange(len(museum.rooms)) == here
    factor_room = 1.0 + ALPHA * (np.maximum(inside + heading + np.where(same_room, 0, group), 0)
                                 / cap) ** BETA  # fmt: skip
    back_room = times.seconds[:, out]
    room_value = np.bincount(museum.room_of, weights=prize, minlength=len(museum.rooms))
    rooms = museum.room_of
    walk, factor, back = walk_room[rooms], factor_room[rooms], back_room[rooms]
    looking = museum.dwell * factor
    need = walk + looking + back
    ok = (prize > 0) & np.isfinite(need) & (need <= left)
    index = np.flatnonzero(ok)
    if not index.size:
        return Candidates([], np.zeros((0, len(FEATURES)), np.float32), np.zeros(0))
    rate = np.log(prize[index] / (walk[index] + looking[index] + 1.0))
    plan_rank = {museum.position[oid]: k for k, oid in enumerate(decision.planned)}
    first = museum.position[decision.planned[0]] if decision.planned else -1
    order = np.argsort(-(rate + np.where(index == first, 100.0, 0.0)), kind="stable")[:limit]
    index, rate = index[order], rate[order]
    ranks = np.array([plan_rank.get(int(k), -1) for k in index], dtype=np.float64)
    r = rooms[index]
    features = np.stack(
        [
            prize[index] / max(float(prize[index].max()), 1e-9),
            rate - rate.max(),
            walk[index] / 120.0,
            museum.dwell[index] / 120.0,
            inside[r] / cap[r],
            waiting[r] / cap[r],
            heading[r] / cap[r],
            np.minimum(factor[index] - 1.0, 4.0),
            back[index] / 300.0,
            (left - need[index]) / max(left, 1.0),
            np.full(len(index), left / 3600.0),
            same_room[r].astype(np.float64),
            (ranks == 0).astype(np.float64),
            (ranks >= 0).astype(np.float64),
            np.where(ranks >= 0, ranks / max(len(plan_rank), 1), 1.0),
            room_value[r] / max(float(prize.sum()), 1e-9),
            np.full(len(index), group / 4.0),
        ],
        axis=1,
    ).astype(np.float32)
    return Candidates([museum.objects[int(k)] for k in index], features, need[index])


def initial_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """The untrained policy: follow the arrival plan, else the best prize per second."""
    rng = np.random.default_rng(seed)
    prior = np.zeros(len(FEATURES), np.float32)
    prior[PLAN_NEXT], prior[LOG_RATE] = 4.0, 1.0
    return {
        "prior": prior,
        "w1": (rng.normal(size=(len(FEATURES), HIDDEN)) / math.sqrt(len(FEATURES))).astype(
            np.float32
        ),
        "b1": np.zeros(HIDDEN, np.float32),
        "w2": (rng.normal(size=(HIDDEN, HIDDEN)) / math.sqrt(HIDDEN)).astype(np.float32),
        "b2": np.zeros(HIDDEN, np.float32),
        "w3": np.zeros(HIDDEN, np.float32),
        "b3": np.zeros(1, np.float32),
    }


def logits(weights: Mapping[str, np.ndarray], features: np.ndarray) -> np.ndarray:
    hidden = np.tanh(features @ weights["w1"] + weights["b1"])
    hidden = np.tanh(hidden @ weights["w2"] + weights["b2"])
    return features @ weights["prior"] + hidden @ weights["w3"] + weights["b3"][0]


class NextStopPolicy:
    """A day.Chooser: the policy's pick among the feasible candidates (None: head for the exit).

    `sample=True` draws from the softmax of logits / `temperature` (training: 1; serving may
    sample too: spreading visitors is part of what keeps queues short); otherwise the best.
    `record`, when given, receives (visitor, features, chosen index) for every choice made.
    """

    def __init__(
        self,
        objects: Sequence[ObjectRecord],
        times: RoomTimes,
        weights: Mapping[str, np.ndarray] | None = None,
        *,
        sample: bool = False,
        temperature: float = 1.0,
        rng: np.random.Generator | None = None,
        record: list[tuple[int, np.ndarray, int]] | None = None,
    ) -> None:
        self.museum = Museum(objects, times)
        self.weights = dict(weights) if weights is not None else load_weights()
        self.sample = sample
        self.temperature = temperature
        self.rng = rng or np.random.default_rng(0)
        self.record = record

    def ranked(self, decision: Decision) -> tuple[Candidates, np.ndarray]:
        found = candidates(decision, self.museum)
        scores = logits(self.weights, found.features) if found.objects else np.zeros(0)
        return found, scores

    def __call__(self, decision: Decision) -> ObjectRecord | None:
        found, scores = self.ranked(decision)
        if not found.objects:
            return None
        if self.sample:
            p = np.exp((scores - scores.max()) / self.temperature)
            choice = int(self.rng.choice(len(p), p=p / p.sum()))
        else:
            choice = int(np.argmax(scores))
        if self.record is not None:
            self.record.append((decision.visitor, found.features, choice))
        return found.objects[choice]


def load_weights(path: Path = WEIGHTS) -> dict[str, np.ndarray]:
    """The committed policy (initial_weights() when there is none: the plan-following prior)."""
    if not path.exists():
        return initial_weights()
    with np.load(path) as data:
        return {name: data[name] for name in data.files}


def save_weights(weights: Mapping[str, np.ndarray], path: Path = WEIGHTS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {name: np.asarray(v, np.float32) for name, v in weights.items()}
    np.savez(path, **arrays)
