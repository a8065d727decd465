"""`manage.py simulate_day`: one simulated museum day under a routing, as one JSON line."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from museum.planning.day import ROUTINGS, random_museum, simulate_day, summarise
from museum.planning.planner import greedy_route, solve_problem


def search_route(problem: Any) -> list[int]:
    route, _, _ = solve_problem(problem, time_limit=0.02, use_policy=False)
    return route


class Command(BaseCommand):
    help = (
        "Simulate a museum day (Poisson arrivals, rooms with capacities, crowding) on the "
        "benchmark museum and print {routing, visitors, seed, queue_minutes (total), "
        "queue_minutes_per_visitor, p95_wait_minutes, interest_per_visitor, overran_share, "
        "seconds}. The same seed gives the same arrivals and tastes for every routing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--visitors", type=int, default=600)
        parser.add_argument("--seed", type=int, default=0, help="arrivals and tastes")
        parser.add_argument("--routing", choices=[*ROUTINGS, "learned"], default="aware")
        parser.add_argument("--hours", type=float, default=8.0)
        parser.add_argument("--rooms", type=int, default=30, help="benchmark museum size")
        parser.add_argument("--objects", type=int, default=300)
        parser.add_argument("--museum-seed", type=int, default=2, help="the museum's layout")
        parser.add_argument(
            "--solver", choices=["greedy", "search"], default="greedy",
            help="plan on arrival (and at each stop when re-planning): greedy insertion, or "
            "the iterated local search with 20 ms per plan",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        if options["routing"] == "learned":
            raise CommandError(
                "no learned routing policy is trained yet: use selfish, aware or replan"
            )
        for name in ("visitors", "rooms", "objects"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1")
        if not 0 < options["hours"] <= 24:
            raise CommandError("--hours must be between 0 and 24")
        side = max(1, round(options["rooms"] ** 0.5))
        passages = options["rooms"] * 2
        graph, objects = random_museum(
            options["rooms"], passages, options["objects"], seed=options["museum_seed"],
            side=side,
        )  # fmt: skip
        solve = greedy_route if options["solver"] == "greedy" else search_route
        started = time.perf_counter()
        results = simulate_day(
            graph, objects, solve, routing=options["routing"], visitors=options["visitors"],
            hours=options["hours"], entrance="r0", exit="r0", seed=options["seed"],
        )  # fmt: skip
        day = summarise(options["routing"], results)
        payload = {
            "routing": options["routing"],
            "visitors": day.visitors,
            "seed": options["seed"],
            "queue_minutes": round(day.total_queue_minutes, 2),
            "queue_minutes_per_visitor": round(day.queue_minutes, 3),
            "p95_wait_minutes": round(day.p95_wait_minutes, 3),
            "interest_per_visitor": round(day.interest, 4),
            "overran_share": round(day.overran_share, 4),
            "seconds": round(time.perf_counter() - started, 2),
        }
        self.stdout.write(json.dumps(payload))
