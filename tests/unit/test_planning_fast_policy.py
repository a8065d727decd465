"""Fast policy inference, policy+search, the GPU trainer's pieces, plan_tour --solver."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from django.core.management import call_command  # noqa: E402

from museum.planning import fast_policy, gpu_train  # noqa: E402
from museum.planning.heuristic import solve  # noqa: E402
from museum.planning.op import OPInstance, is_feasible, route_score  # noqa: E402
from museum.planning.policy import build_policy  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TINY = {"embed_dim": 16, "n_layers": 2, "n_heads": 4, "ff_dim": 32}


@pytest.fixture(autouse=True)
def _threads():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_policy(seed: int = 0):
    torch.manual_seed(seed)
    return build_policy("op_attention", **TINY).eval()


def random_instance(rng: np.random.Generator, n: int, *, corridors: bool = False) -> OPInstance:
    xy = rng.random((n, 2)) * rng.uniform(1, 100)
    start, end = (int(v) for v in rng.integers(0, n, size=2))
    dist = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    if corridors:  # walking distances that are not Euclidean in the coordinates
        dist = np.abs(xy[:, None] - xy[None]).sum(-1) + rng.uniform(0, 5, n)[None, :]
        dist = (dist + dist.T) / 2
        np.fill_diagonal(dist, 0.0)
    budget = float(dist[start, end] + rng.uniform(0.0, 3.0) * np.ptp(xy))
    return OPInstance(dist, rng.random(n), budget, start, end)


def test_numpy_decoder_matches_the_torch_policy():
    policy = tiny_policy(1)
    dec = fast_policy.FastDecoder(policy)
    rng = np.random.default_rng(0)
    inst = random_instance(rng, 30)
    frame = fast_policy._frame(inst, rng.random((30, 2)))
    first = fast_policy.first_nodes(frame, inst.start, inst.end, 6)
    aug = np.stack([fast_policy.augment_coords(frame.coords, k) for k in (0, 5)])
    h = dec.encode(aug, frame.prizes, inst.start, inst.end)
    firsts = np.broadcast_to(first, (2, len(first)))
    acts = dec.decode(h, frame.dist, frame.budget, inst.start, inst.end, firsts)
    with torch.inference_mode():
        t = lambda a, **k: torch.as_tensor(np.ascontiguousarray(a), **k)  # noqa: E731
        ref = policy(
            t(aug, dtype=torch.float32),
            t(np.broadcast_to(frame.prizes, (2, 30)), dtype=torch.float32),
            torch.full((2,), frame.budget, dtype=torch.float64),
            torch.full((2,), inst.start),
            torch.full((2,), inst.end),
            t(np.broadcast_to(frame.dist, (2, 30, 30))),
            decode="greedy",
            first=t(firsts),
        )
        h_ref = policy.encode(
            t(aug, dtype=torch.float32),
            t(np.broadcast_to(frame.prizes, (2, 30)), dtype=torch.float32),
            torch.full((2,), inst.start),
            torch.full((2,), inst.end),
        )
    np.testing.assert_allclose(h, h_ref.numpy(), atol=1e-4)
    steps = min(acts.shape[-1], ref.actions.shape[-1])
    assert (acts[..., :steps] == ref.actions.numpy()[..., :steps]).all()


@pytest.mark.parametrize("corridors", [False, True])
def test_every_learned_route_is_feasible(corridors: bool):
    rng = np.random.default_rng(7 + corridors)
    policy = tiny_policy()
    for trial in range(10):
        inst = random_instance(rng, int(rng.integers(3, 40)), corridors=corridors)
        routes = fast_policy.policy_routes(inst, starts=6, augmentations=2, policy=policy)
        assert routes
        for route in routes:
            assert is_feasible(inst, route), (route, inst.start, inst.end)
        scores = [route_score(inst, r) for r in routes]
        assert scores == sorted(scores, reverse=True)
        result = fast_policy.plan(inst, time_limit=0.02, seed=trial, policy=policy)
        assert is_feasible(inst, result.solution.route)
        assert result.solution.score >= max(scores) - 1e-9


def test_no_route_when_the_direct_leg_exceeds_the_budget():
    inst = OPInstance.from_coords([[0, 0], [10, 0], [1, 1]], [0, 0, 5], 3.0, 0, 1)
    assert fast_policy.policy_routes(inst, policy=tiny_policy()) == []


def test_policy_search_starts_from_the_policy_routes():
    """from_empty=False: the search starts from the seeds only (its result is at least theirs)."""
    rng = np.random.default_rng(3)
    inst = random_instance(rng, 25)
    seed_route = fast_policy.policy_routes(inst, policy=tiny_policy(), top_k=1)[0]
    sol = solve(inst, time_limit=0.01, initial_routes=[seed_route], from_empty=False,
                max_iterations=0)  # fmt: skip
    assert is_feasible(inst, sol.route) and sol.score >= route_score(inst, seed_route) - 1e-9


def test_committed_policy_loads_lazily_and_plans():
    code = (
        "import museum.planning.fast_policy as f, museum.planning.learned as l;"
        "assert not l._CACHE and not len(f._DECODERS), 'weights loaded at import';"
        "print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr
    rng = np.random.default_rng(11)
    inst = random_instance(rng, 60)
    result = fast_policy.plan(inst, time_limit=0.05)
    assert is_feasible(inst, result.solution.route)


# -- the GPU trainer's pieces (run here on the CPU) ------------------------------------------
@pytest.mark.parametrize("family", ["kool", "open", "museum"])
def test_generated_instances_are_valid(family: str):
    gen = torch.Generator().manual_seed(0)
    inputs = gpu_train.generate(family, 4, 12, gen, torch.device("cpu"))
    dist, budget = inputs["dist"], inputs["budget"]
    rows = torch.arange(4)
    assert (dist[rows, inputs["start"], inputs["end"]] <= budget).all()
    assert (inputs["prizes"] <= 1).all() and (inputs["prizes"][rows, inputs["start"]] == 0).all()
    assert torch.allclose(dist, dist.transpose(1, 2)) and (dist >= 0).all()


def test_augmentations_are_the_eight_isometries_of_the_square():
    xy = torch.rand(1, 10, 2).expand(8, -1, -1)
    out = gpu_train.augment(xy, torch.arange(8))
    assert torch.allclose(torch.cdist(out, out), torch.cdist(xy, xy), atol=1e-6)
    assert len({tuple(round(v, 5) for v in out[k, 0].tolist()) for k in range(8)}) == 8
    np.testing.assert_allclose(
        out[5].numpy(), fast_policy.augment_coords(xy[5].numpy(), 5), atol=1e-6
    )


def test_trainer_writes_snapshots_and_resumes(tmp_path: Path):
    out = tmp_path / "pol"
    args = ["--out", str(out), "--device", "cpu", "--minutes", "10", "--max-steps", "2",
            "--rollouts", "2000", "--starts", "4", "--n-max", "24", "--n-max-museum", "30",
            "--val-size", "2", "--snapshot-s", "1", "--init", ""]  # fmt: skip
    gpu_train.main(args)
    snaps = torch.load(out / "snapshots.pt", weights_only=True)
    assert snaps["steps"] >= 1 and snaps["snapshots"][-1]["steps"] == snaps["steps"]
    assert {"steps", "samples", "wall_s", "val", "state_dict"} <= snaps["snapshots"][-1].keys()
    assert sorted(p.name for p in out.iterdir()) == ["log.txt", "snapshots.pt"]
    gpu_train.main([*args, "--resume", str(out / "snapshots.pt")])
    again = torch.load(out / "snapshots.pt", weights_only=True)
    assert again["steps"] > snaps["steps"] and "resumed" in (out / "log.txt").read_text()


# -- plan_tour --solver ----------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["search", "policy", "policy+search"])
def test_plan_tour_solver(tmp_path: Path, solver: str):
    rng = np.random.default_rng(2)
    pts = rng.random((20, 2)) * 10
    lines = ["15 1", *(f"{x:.3f} {y:.3f} {rng.integers(1, 10) if i > 1 else 0}"
                       for i, (x, y) in enumerate(pts))]  # fmt: skip
    path = tmp_path / "op.txt"
    path.write_text("\n".join(lines) + "\n")
    out = io.StringIO()
    call_command("plan_tour", "--op-file", str(path), "--time-limit", "0.05", "--solver", solver,
                 stdout=out)  # fmt: skip
    payload = json.loads(out.getvalue())
    from museum.planning.op import load_op

    inst = load_op(path)
    assert payload["solver"] == solver
    assert is_feasible(inst, payload["route"]) and payload["route"][-1] == 1
    assert payload["score"] == pytest.approx(route_score(inst, payload["route"]))


def test_museum_visit_with_the_policy_is_feasible():
    from museum.planning.day import random_museum
    from museum.planning.planner import plan_visit

    graph, objects = random_museum(30, 60, 300, seed=4, side=6)
    for minutes in (20, 45):
        plan = plan_visit(graph, objects, minutes=minutes, entrance="r0", exit="r29",
                          time_limit=0.02, use_policy=True)  # fmt: skip
        assert plan.solver in ("ils+policy", "greedy")
        assert plan.total_minutes <= minutes + 1e-6
        assert plan.entrance == "r0" and plan.exit == "r29" and plan.stops
