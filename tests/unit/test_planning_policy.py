"""The learned OP policy: training moves, decoding is always feasible, weights load lazily."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from museum.planning.evaluate import greedy_insertion  # noqa: E402
from museum.planning.learned import DEFAULT_WEIGHTS, load_policy, sample_routes  # noqa: E402
from museum.planning.op import OPInstance, is_feasible  # noqa: E402
from museum.planning.policy import build_policy  # noqa: E402
from museum.planning.train import TrainConfig, kool_instances, train  # noqa: E402

TINY = {"embed_dim": 16, "n_layers": 1, "n_heads": 2, "ff_dim": 32}


@pytest.fixture(autouse=True)
def _threads():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_policy(seed: int = 0):
    torch.manual_seed(seed)
    return build_policy("op_attention", **TINY).eval()


def random_instance(rng: np.random.Generator, n: int) -> OPInstance:
    xy = rng.random((n, 2)) * rng.uniform(1, 100)
    start, end = (int(v) for v in rng.integers(0, n, size=2))
    diff = xy[:, None] - xy[None]
    direct = float(np.sqrt((diff**2).sum(-1))[start, end])
    budget = direct + rng.uniform(0.0, 3.0) * np.ptp(xy)
    return OPInstance.from_coords(xy, rng.random(n), budget, start, end)


def test_unknown_policy_name_is_refused():
    with pytest.raises(ValueError, match="unknown policy"):
        build_policy("nope")


def test_decoding_is_always_feasible_incl_open_routes():
    rng = np.random.default_rng(3)
    policy = tiny_policy()
    for trial in range(12):
        inst = random_instance(rng, int(rng.integers(3, 30)))
        routes = sample_routes(
            inst.coords,
            inst.prizes,
            inst.budget,
            inst.start,
            inst.end,
            n_samples=64,
            policy=policy,
            seed=trial,
        )
        assert routes, "the direct walk is always feasible here"
        for route in routes:
            assert is_feasible(inst, route), (route, inst.start, inst.end, inst.budget)
        scores = [inst.prizes[list(set(r))].sum() for r in routes]
        assert scores == sorted(scores, reverse=True)
        assert len({tuple(r) for r in routes}) == len(routes)


def test_distance_matrix_only_and_non_euclidean_distances():
    rng = np.random.default_rng(5)
    policy = tiny_policy()
    xy = rng.random((15, 2))
    walk = np.linalg.norm(xy[:, None] - xy[None], axis=-1) * rng.uniform(1.0, 1.6, (15, 15))
    walk = (walk + walk.T) / 2
    np.fill_diagonal(walk, 0)
    inst = OPInstance(walk, rng.random(15), 2.0, 2, 9)
    for points, dist in ((walk, None), (xy, walk)):
        routes = sample_routes(
            points, inst.prizes, 2.0, 2, 9, n_samples=32, dist=dist, policy=policy
        )
        assert routes and all(is_feasible(inst, r) for r in routes)


def test_masking_blocks_unreachable_nodes():
    policy = tiny_policy()
    xy = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [5.0, 5.0], [0.1, 0.1]])
    prizes = np.array([0.0, 1.0, 1.0, 100.0, 1.0])  # node 3: a large prize out of reach
    routes = sample_routes(xy, prizes, 1.0, 0, 0, n_samples=200, policy=policy)
    assert routes and all(3 not in r for r in routes)
    # The mask itself: at the first step the unreachable node has probability zero.
    inputs = {
        "coords": torch.tensor(xy[None] / 5, dtype=torch.float32),
        "prizes": torch.tensor(prizes[None] / 100, dtype=torch.float32),
        "budget": torch.tensor([0.2], dtype=torch.float64),
        "start": torch.tensor([0]),
        "end": torch.tensor([0]),
    }
    res = policy(
        **inputs, decode="sample", n_samples=100, generator=torch.Generator().manual_seed(0)
    )
    assert not (res.actions == 3).any()
    assert float(res.length.max()) <= 0.2


def test_trivial_instances():
    policy = tiny_policy()
    xy = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]])
    assert sample_routes(xy, [0, 0, 1], 4.9, 0, 1, policy=policy) == []  # start-end is 5 long
    assert sample_routes(xy[:2], [0, 0], 10, 0, 1, policy=policy) == [[0, 1]]
    assert sample_routes(xy, [0, 0, 1], 0.5, 2, 2, policy=policy) == [[2, 2]]


def test_sampling_is_deterministic_with_a_seed():
    rng = np.random.default_rng(11)
    inst = random_instance(rng, 25)
    args = (inst.coords, inst.prizes, inst.budget, inst.start, inst.end)
    first = sample_routes(*args, n_samples=64, seed=7, policy=tiny_policy())
    again = sample_routes(*args, n_samples=64, seed=7, policy=tiny_policy())
    assert first == again
    greedy = sample_routes(*args, greedy=True, policy=tiny_policy())
    assert len(greedy) == 1 and greedy[0] in first


def test_tiny_model_trains_and_resumes(tmp_path: Path):
    cfg = TrainConfig(
        epochs=2,
        steps_per_epoch=12,
        batch_size=64,
        n_min=8,
        n_max=10,
        lr=3e-3,
        val_size=128,
        seed=1,
        log_every=100,
        model_config=TINY,
    )
    out = tmp_path / "tiny.pt"
    state = tmp_path / "tiny.state.pt"
    with open(tmp_path / "log", "w") as log:
        metrics = train(cfg, out, state_path=state, stream=log)
    history = metrics["history"]
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(np.isfinite(h["loss"]) for h in history)
    policy = load_policy(out, "cpu")
    batch = kool_instances(128, 9, np.random.default_rng(99))
    trained = policy(**batch.tensors(), decode="greedy").prize.mean()
    untrained = tiny_policy(1)(**batch.tensors(), decode="greedy").prize.mean()
    assert float(trained) > float(untrained) + 0.1
    assert json.loads(out.with_suffix(".metrics.json").read_text())["history"] == history
    cfg.epochs = 3
    with open(tmp_path / "log", "a") as log:
        resumed = train(cfg, out, state_path=state, resume=True, stream=log)
    assert [h["epoch"] for h in resumed["history"]] == [1, 2, 3]


def test_greedy_insertion_is_feasible():
    rng = np.random.default_rng(2)
    for _ in range(5):
        inst = random_instance(rng, 20)
        route = greedy_insertion(inst.dist, inst.prizes, inst.budget, inst.start, inst.end)
        assert is_feasible(inst, route)


@pytest.mark.skipif(not DEFAULT_WEIGHTS.exists(), reason="committed weights not present")
def test_committed_weights_load_and_sample_feasible_routes():
    policy = load_policy()
    assert load_policy() is policy  # cached, loaded once
    assert not policy.training
    rng = np.random.default_rng(21)
    for closed in (True, False):
        batch = kool_instances(1, 30, rng, closed=closed)
        inst = OPInstance.from_coords(
            batch.coords[0], batch.prizes[0], float(batch.budget[0]), 0, int(batch.end[0])
        )
        routes = sample_routes(
            inst.coords, inst.prizes, inst.budget, inst.start, inst.end, n_samples=128
        )
        assert routes and all(is_feasible(inst, r) for r in routes)
        ins = greedy_insertion(inst.dist, inst.prizes, inst.budget, inst.start, inst.end)
        best = inst.prizes[list(set(routes[0]))].sum()
        assert best >= 0.8 * inst.prizes[list(set(ins))].sum()
