"""The shape of the domain's background loops, as the process runs them (api.supervision).

A loop body turns until ``stopping`` is set and calls ``beat()`` after every
turn that went well (work done, or nothing to do). It does not catch its own
failures: whatever it raises reaches the supervisor, which logs it, backs off
and runs the body again. So a body keeps across restarts only what it must
(the feed's cursor) and re-creates everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

Beat = Callable[[], None]


async def pause(stopping: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less if the loop is asked to stop."""
    if seconds <= 0:
        await asyncio.sleep(0)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)


async def first_of(*waits: Awaitable[object], within: float | None = None) -> bool:
    """Wait for the first of ``waits`` (at most ``within`` seconds); False when none came."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    done, pending = await asyncio.wait(tasks, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return bool(done)
