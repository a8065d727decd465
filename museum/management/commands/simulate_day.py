"""`manage.py simulate_day`: one simulated museum day under a routing, as one JSON line."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from museum.planning import live_eval
from museum.planning.day import ROUTINGS
from museum.planning.live import SERVED_TEMPERATURE, WEIGHTS, load_weights


class Command(BaseCommand):
    help = (
        "Simulate a museum day (Poisson arrivals, parties of 1-4, log-normal looking times, rooms "
        "with capacities, crowding) on the benchmark museum and print {routing, visitors, seed, "
        "queue_minutes (total), queue_minutes_per_visitor, p95_wait_minutes, "
        "interest_per_visitor, overran_share, gave_up_share (parties whose time ran out at a "
        "full door), seconds}. The same seed gives the same arrivals, "
        "tastes, parties and looking times for every routing. `learned` is the live next-stop "
        "policy (museum/planning/live.py)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--visitors", type=int, default=600, help="parties over the day")
        parser.add_argument("--seed", type=int, default=0, help="arrivals and tastes")
        parser.add_argument("--routing", choices=ROUTINGS, default="aware")
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
        if options["routing"] == "learned" and not WEIGHTS.exists():
            raise CommandError(
                "no learned routing policy is trained yet: use selfish, aware or replan"
            )
        for name in ("visitors", "rooms", "objects"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1")
        if not 0 < options["hours"] <= 24:
            raise CommandError("--hours must be between 0 and 24")
        rooms = options["rooms"]
        museum = {"rooms": rooms, "passages": rooms * 2, "objects": options["objects"],
                  "seed": options["museum_seed"], "side": max(1, round(rooms**0.5))}  # fmt: skip
        payload = live_eval.run_day(
            options["routing"], options["visitors"], options["seed"], museum=museum,
            weights=load_weights() if options["routing"] == "learned" else None,
            solver=options["solver"], hours=options["hours"], temperature=SERVED_TEMPERATURE,
        )  # fmt: skip
        self.stdout.write(json.dumps(payload))
