"""The planner keeps the best-scoring candidate and records all; the bandit learns a simulated
curator's preference."""

from __future__ import annotations

import json

import numpy as np
import pytest

from restoration.restore.method_bandit import MethodBandit, SimulatedCurator, simulate_curator
from restoration.restore.method_choice import plan_mesh
from tests.unit.mesh_shapes import cut_sherd, sphere_with_hole, vessel


def test_planner_keeps_the_best_scoring_candidate_and_records_every_one() -> None:
    holed, _ = sphere_with_hole(subdivisions=4, hole_radius=0.6)
    plan = plan_mesh(holed, methods=("fill", "flat", "symmetry"), device="cpu")
    region = plan.regions[0]
    scores = [c.score for c in region.candidates]
    assert scores == sorted(scores)
    assert {c.method for c in region.candidates} == {"fill", "flat", "symmetry"}
    assert region.best.score == min(scores)
    # A flat lid creases at the seam of a sphere; the faired fill does not.
    by_method = {c.method: c for c in region.candidates}
    assert by_method["fill"].terms["seam_crease"] < by_method["flat"].terms["seam_crease"]
    assert region.best.method != "flat"
    summary = plan.as_dict()["regions"][0]
    assert summary["chosen"] == region.best.method and len(summary["candidates"]) == 3
    assert plan.assemble().is_watertight


def test_planner_on_a_broken_vessel_scores_the_revolution_fit() -> None:
    mesh, truth = vessel(seed=2)
    broken, _ = cut_sherd(mesh, truth, start=0.0, width=1.0, low=0.3, high=0.7)
    plan = plan_mesh(broken, methods=("fill", "revolve"), device="cpu")
    assert plan.fits["revolve"]["residual_edges"] < 1.0
    revolve = next(c for c in plan.regions[0].candidates if c.method == "revolve")
    assert revolve.terms["coverage_loss"] == pytest.approx(0.0, abs=0.05)


def test_unknown_method_is_refused() -> None:
    holed, _ = sphere_with_hole()
    with pytest.raises(ValueError):
        plan_mesh(holed, methods=("fill", "magic"))


def _curator(seed: int) -> SimulatedCurator:
    # Curators prefer revolution on pottery, symmetry on sculpture, plain filling on bone.
    table = {
        ("loss", "ceramic"): {"fill": 0.3, "symmetry": 0.4, "revolve": 0.8},
        ("loss", "stone"): {"fill": 0.35, "symmetry": 0.75, "revolve": 0.2},
        ("crack", "bone"): {"fill": 0.7, "symmetry": 0.4, "revolve": 0.1},
        ("crack", "ceramic"): {"fill": 0.4, "symmetry": 0.3, "revolve": 0.75},
    }
    return SimulatedCurator(table, seed=seed)


def test_bandit_prefers_the_better_arm_on_a_simulated_curator() -> None:
    methods = ["fill", "symmetry", "revolve"]
    bandit = MethodBandit(methods, ["loss", "crack"], ["ceramic", "stone", "bone"])
    learned = simulate_curator(bandit, _curator(1), rounds=1500, seed=0)
    random = simulate_curator(None, _curator(1), rounds=1500, seed=0, methods=methods)
    assert learned["final_best_pick_rate"] > 0.8
    assert learned["acceptance_rate"] > random["acceptance_rate"] + 0.1
    for context in [("loss", "ceramic"), ("loss", "stone"), ("crack", "bone")]:
        expected = bandit.expected(*context)
        assert max(expected, key=expected.get) == _curator(1).best(*context)


def test_bandit_choice_is_bounded_by_the_measured_score() -> None:
    holed, _ = sphere_with_hole(subdivisions=4, hole_radius=0.6)
    region = plan_mesh(holed, methods=("fill", "flat"), device="cpu").regions[0]
    bandit = MethodBandit(["fill", "flat"], ["loss"], ["stone"])
    for _ in range(50):  # the curator always accepted flat lids
        bandit.update("loss", "stone", "flat", 1.0)
        bandit.update("loss", "stone", "fill", 0.0)
    flat = next(c for c in region.candidates if c.method == "flat")
    chosen = region.choose(bandit, context=("loss", "stone"), tolerance=1.0)
    assert chosen.method == region.best.method  # flat scores worse, so it stays out
    loose = region.choose(bandit, context=("loss", "stone"), tolerance=np.inf)
    assert loose.method == "flat" and flat.score > region.best.score


def test_bandit_refuses_unknown_contexts() -> None:
    bandit = MethodBandit(["fill"], ["loss"], ["stone"])
    with pytest.raises(ValueError):
        bandit.select("loss", "glass")


def test_bandit_state_round_trips_and_keeps_what_it_learnt() -> None:
    from restoration.restore.method_bandit import (
        MATERIALS,
        TEXTURE_CLASSES,
        TEXTURE_METHODS,
        MethodBandit,
    )

    bandit = MethodBandit(TEXTURE_METHODS, TEXTURE_CLASSES, MATERIALS)
    for _ in range(30):
        bandit.update("crack", "stone", "telea", 1.0)
        bandit.update("crack", "stone", "gated", 0.0)
    restored = MethodBandit.from_state(json.loads(json.dumps(bandit.to_state())))
    assert restored.expected("crack", "stone") == bandit.expected("crack", "stone")
    assert restored.select("crack", "stone", available=["telea", "gated"]) == "telea"
    broken = bandit.to_state()
    broken["a"]["telea"] = [[1.0]]
    with pytest.raises(ValueError, match="does not match"):
        MethodBandit.from_state(broken)


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("Marble with traces of paint", "stone"),
        ("Bronze, gilt", "metal"),
        ("", "other"),
        ("Oil on canvas", "painting"),
        ("Terracotta", "ceramic"),
        ("Feathers", "other"),
    ],
)
def test_material_family_reads_free_text(text: str, family: str) -> None:
    from restoration.restore.method_bandit import material_family

    assert material_family(text) == family
