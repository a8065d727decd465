"""Flow control for one connection: sends that never block (its token bucket: common.buckets).

A room's tick writes one snapshot to every connection in turn. An ASGI `send` awaits while the
client's transport is paused (it stopped reading), so a single slow or hostile client would stall
the whole room. `start_send` runs the send's coroutine up to its first suspension: a healthy client
completes there, synchronously, at no extra cost; a paused one is finished by a task, and the room
skips that client until it has drained (snapshots are full state: a skipped one loses nothing).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


def start_send(coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[None] | None:
    """Run `coroutine` until it would wait; return None if it finished, else a task finishing it.

    Errors raised before the first suspension (the client went away) are swallowed: the
    connection's own receive loop sees the disconnect and removes it from the room.
    """
    try:
        waited_on = coroutine.send(None)
    except StopIteration:
        return None
    except Exception:
        coroutine.close()
        return None
    return asyncio.get_running_loop().create_task(_resume(coroutine, waited_on))


async def _resume(
    coroutine: Coroutine[Any, Any, Any],
    waited_on: Any,
    on_error: Callable[[BaseException], None] | None = None,
) -> None:
    """Finish a coroutine that `start_send` or `run_now` left suspended on the asyncio future
    `waited_on`; an error goes to `on_error` when given."""
    try:
        while True:
            if isinstance(waited_on, asyncio.Future):
                # The asyncio protocol: a coroutine yields the future it blocks on with this flag
                # set, and whoever drives it clears the flag and resumes it once the future is done.
                waited_on._asyncio_future_blocking = False
                await asyncio.wait([waited_on])
            try:
                waited_on = coroutine.send(None)
            except StopIteration:
                return
    except Exception as error:
        if on_error is not None:
            on_error(error)
        return
    finally:
        coroutine.close()


def run_now(
    coroutine: Coroutine[Any, Any, Any], *, on_error: Callable[[BaseException], None]
) -> asyncio.Task[None] | None:
    """As `start_send`, but an error (before or after the first suspension) goes to `on_error`
    rather than being swallowed: for handling a received frame, where an error is a bug."""
    try:
        waited_on = coroutine.send(None)
    except StopIteration:
        return None
    except Exception as error:
        coroutine.close()
        on_error(error)
        return None
    return asyncio.get_running_loop().create_task(_resume(coroutine, waited_on, on_error))
