"""Live tour completion: which stops each follower was there for, in memory only.

The tour consumer reports a follower's arrival, every stop the tour shows (the guide's `goto`
reaches every process through the tour's hub) and the stops a roaming follower opens; when the
follower leaves, one count is added (followers, share of stops in quarters, reached the last
stop) and the follower's record is dropped. Followers who send GPC or DNT are never recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from museum.analytics import collect


@dataclass
class _Follower:
    stops_count: int
    seen: set[int] = field(default_factory=set)


_tours: dict[str, dict[str, _Follower]] = {}  # code -> member id -> what they saw


def _stop(state: Mapping[str, Any]) -> tuple[int, int] | None:
    count = state.get("stops_count")
    index = state.get("stop_index")
    if not isinstance(count, int) or not isinstance(index, int) or count <= 0:
        return None
    return index, count


def joined(code: str, member: str, state: Mapping[str, Any], scope: Mapping[str, Any]) -> None:
    """A follower joined the live session `code`, now at `state` (the `tour` frame's fields)."""
    if not collect.enabled() or collect.opted_out(collect.scope_headers(scope)):
        return
    where = _stop(state)
    if where is None:
        return
    follower = _Follower(stops_count=where[1])
    follower.seen.add(where[0])
    _tours.setdefault(code, {})[member] = follower


def shown(code: str, state: Mapping[str, Any]) -> None:
    """The session moved to a stop: every follower of it in this process was there."""
    where = _stop(state)
    followers = _tours.get(code)
    if where is None or not followers:
        return
    for follower in followers.values():
        follower.stops_count = where[1]
        follower.seen.add(where[0])


def roamed(code: str, member: str, stop: int) -> None:
    """A roaming follower opened stop `stop` on their own."""
    follower = _tours.get(code, {}).get(member)
    if follower is not None and 0 <= stop < follower.stops_count:
        follower.seen.add(stop)


def left(code: str, member: str) -> None:
    """The follower left: count them once and forget them."""
    followers = _tours.get(code)
    follower = followers.pop(member, None) if followers else None
    if followers is not None and not followers:
        _tours.pop(code, None)
    if follower is None:
        return
    seen = {s for s in follower.seen if s < follower.stops_count}
    collect.tour_follower(
        code=code,
        share=len(seen) / follower.stops_count,
        reached_last=follower.stops_count - 1 in seen,
    )
    collect.flush_soon()
