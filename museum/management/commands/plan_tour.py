"""`manage.py plan_tour --op-file FILE`: solve one orienteering instance and print JSON."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from museum.planning.exact import ExactSolution, solve_exact
from museum.planning.heuristic import Solution, solve
from museum.planning.op import (
    OPFormatError,
    OPInstance,
    is_feasible,
    load_op,
    route_length,
    route_score,
)

SOLVERS = ("search", "policy", "policy+search")


def learned_solution(
    instance: OPInstance, solver: str, limit: float | None, seed: int
) -> tuple[Solution, dict[str, Any]]:
    """The policy alone (its best multi-start greedy route) or policy+search."""
    from museum.planning import fast_policy  # torch: imported only when asked for

    fast_policy.decoder()  # load the weights before the clock starts

    if solver == "policy":
        t0 = time.perf_counter()
        routes = fast_policy.policy_routes(instance, starts=16, top_k=1)
        route = routes[0] if routes else [instance.start, instance.end]
        seconds = time.perf_counter() - t0
        return Solution(route, route_score(instance, route), route_length(instance, route),
                        seconds), {"solver": solver}  # fmt: skip
    result = fast_policy.plan(instance, time_limit=limit if limit is not None else 0.9, seed=seed)
    return result.solution, {
        "solver": solver,
        "policy_seconds": round(result.policy_seconds, 4),
        "policy_score": result.policy_score,
    }


class Command(BaseCommand):
    help = (
        "Solve an orienteering instance in the classic text format ('Tmax P', then 'x y score' "
        "per point; point 1 = start, point 2 = end) and print "
        '{"score", "route", "length", "seconds"}; route indices count from 0 in file order.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--op-file", required=True, help="instance file")
        parser.add_argument("--time-limit", type=float, default=None, help="seconds")
        parser.add_argument("--seed", type=int, default=0, help="heuristic seed")
        parser.add_argument("--exact", action="store_true", help="integer program (small files)")
        parser.add_argument(
            "--solver",
            choices=SOLVERS,
            default="search",
            help="search: iterated local search; policy: the learned policy's best multi-start "
            "route (no search); policy+search: those routes seed the search for the rest of the "
            "time limit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            instance = load_op(options["op_file"])
        except OPFormatError as exc:
            raise CommandError(f"malformed OP file: {exc}") from None
        limit = options["time_limit"]
        if limit is not None and limit <= 0:
            raise CommandError("--time-limit must be positive")
        result: ExactSolution | Solution
        if options["exact"]:
            result = solve_exact(instance, time_limit=limit if limit is not None else 60.0)
            extra: dict[str, Any] = {"optimal": result.optimal}
        elif options["solver"] == "search":
            result = solve(instance, time_limit=limit if limit is not None else 0.9,
                           seed=options["seed"])  # fmt: skip
            extra = {"solver": "search"}
        else:
            result, extra = learned_solution(instance, options["solver"], limit, options["seed"])
        if not is_feasible(instance, result.route):
            raise CommandError("no feasible route: the start-to-end leg exceeds the budget")
        payload = {
            "score": result.score,
            "route": result.route,
            "length": result.length,
            "seconds": round(result.seconds, 4),
            **extra,
        }
        self.stdout.write(json.dumps(payload))
