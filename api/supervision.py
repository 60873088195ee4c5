"""Background loops that cannot die silently.

Every long-running loop of a process (the deadline scheduler, the alert feed,
the outbox relay, the pub/sub hub) runs under a Supervisor. A loop body
turns forever and calls ``beat()`` on every turn; whatever it raises, the
supervisor logs once per run of failures (with the loop's name and the
error's type), counts it, waits a short backoff and starts the body again.
PostgreSQL restarting, Redis gone, a bug in one event: the loop comes back.

What a supervisor cannot repair makes the process exit non-zero, so that
its own supervisor (systemd, Kubernetes, compose) starts a fresh one: a loop
silent for longer than ``FATAL_SILENCE_SECONDS`` (hung on something no
timeout covers), or a supervising task that ended. A process that serves
HTTP with a dead loop is the one failure this house must never have.

``/readyz`` reports a loop as stale well before that (``STALE_SECONDS``),
so a load balancer stops sending it work while it is being replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from api.observability import Metrics
from services.db import is_unavailable
from services.loops import Beat

log = logging.getLogger("coedu.loops")

#: A loop that has not beaten for this long makes the process not ready.
STALE_SECONDS = 30.0
#: ... and for this long, makes it exit: nothing inside the process will bring it back.
FATAL_SILENCE_SECONDS = 120.0
#: Backoff between restarts after a failure: short, so that escalations resume within a second of
#: PostgreSQL answering again, and capped, so that an outage is not hammered.
FIRST_BACKOFF_SECONDS = 0.1
MAX_BACKOFF_SECONDS = 0.5
#: Exit status of a process that gave up on a loop (EX_SOFTWARE).
EXIT_LOOP_FAILED = 70


LoopBody = Callable[[Beat, asyncio.Event], Awaitable[None]]


class LoopEnded(Exception):
    """A loop body returned although nobody asked it to stop."""


@dataclass
class SupervisedLoop:
    name: str
    body: LoopBody
    last_beat: float = field(default_factory=time.monotonic)
    restarts: int = 0
    errors: int = 0
    #: Failures since the last good turn.
    failing: int = 0
    task: asyncio.Task[None] | None = None

    def beat(self) -> None:
        self.last_beat = time.monotonic()
        if self.failing:
            log.warning("loop recovered", extra={"worker": self.name, "count": self.failing})
            self.failing = 0

    @property
    def silent_for(self) -> float:
        return time.monotonic() - self.last_beat

    @property
    def backoff(self) -> float:
        return min(FIRST_BACKOFF_SECONDS * 2 ** min(max(self.failing - 1, 0), 10), MAX_BACKOFF_SECONDS)


class Supervisor:
    """Runs the process's loops, restarts them after failures and watches that they turn."""

    def __init__(self, metrics: Metrics | None = None, on_fatal: Callable[[str], None] | None = None, *,
                 stale_seconds: float = STALE_SECONDS, fatal_silence_seconds: float = FATAL_SILENCE_SECONDS) -> None:
        self.stale_seconds = stale_seconds
        self.fatal_silence_seconds = fatal_silence_seconds
        self.stopping = asyncio.Event()
        self.loops: dict[str, SupervisedLoop] = {}
        self._metrics = metrics
        self._on_fatal = on_fatal or (lambda reason: None)
        self._watchdog: asyncio.Task[None] | None = None
        #: Why the process gave up, once it has.
        self.fatal: str | None = None

    def start(self, name: str, body: LoopBody) -> SupervisedLoop:
        loop = SupervisedLoop(name, body)
        self.loops[name] = loop
        if self._metrics is not None:  # every loop in the metrics from the start, at zero
            self._metrics.loop_restarts.labels(name)
            self._metrics.loop_errors.labels(name)
        loop.task = asyncio.create_task(self._supervise(loop), name=f"loop:{name}")
        loop.task.add_done_callback(lambda task: self._ended(loop, task))
        if self._watchdog is None:
            self._watchdog = asyncio.create_task(self._watch(), name="loop-watchdog")
        return loop

    def observe(self, metrics: Metrics) -> None:
        """Set each loop's last-beat gauge (on a scrape)."""
        for name, loop in self.loops.items():
            metrics.loop_last_beat.labels(name).set(time.time() - loop.silent_for)

    def health(self) -> dict[str, str]:
        """Each loop: "ok", or "stale" when it has not turned for ``stale_seconds``."""
        return {name: "stale" if loop.silent_for > self.stale_seconds else "ok" for name, loop in self.loops.items()}

    async def stop(self, grace_seconds: float = 10) -> None:
        """Ask every loop to stop after the turn in hand; cancel those that take longer."""
        self.stopping.set()
        if self._watchdog is not None:
            self._watchdog.cancel()
        tasks = [loop.task for loop in self.loops.values() if loop.task is not None]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
            for task in pending:
                task.cancel()
        for task in [*tasks, *([self._watchdog] if self._watchdog else [])]:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _supervise(self, loop: SupervisedLoop) -> None:
        while not self.stopping.is_set():
            try:
                await loop.body(loop.beat, self.stopping)
                if self.stopping.is_set():
                    return
                raise LoopEnded(loop.name)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the one place every loop failure is caught
                self._failed(loop, error)
            # Waiting out the backoff is a sign of life too: a loop retrying against an outage is
            # not hung, and /readyz tells the outage apart by asking PostgreSQL itself.
            loop.last_beat = time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), loop.backoff)
            loop.restarts += 1
            if self._metrics is not None:
                self._metrics.loop_restarts.labels(loop.name).inc()

    def _failed(self, loop: SupervisedLoop, error: Exception) -> None:
        while isinstance(error, ExceptionGroup):  # a loop of several workers (the scheduler's lanes)
            error = error.exceptions[0]
        loop.errors += 1
        loop.failing += 1
        if self._metrics is not None:
            self._metrics.loop_errors.labels(loop.name).inc()
        if loop.failing > 1:
            return  # logged once per run of failures; the counters keep counting
        if is_unavailable(error):
            log.warning("loop lost its connection; retrying",
                        extra={"worker": loop.name, "component": type(error).__name__})
        else:
            log.error("loop failed; restarting it", exc_info=error, extra={"worker": loop.name})

    def _ended(self, loop: SupervisedLoop, task: asyncio.Task[None]) -> None:
        if self.stopping.is_set():
            return
        reason = f"loop {loop.name} is no longer supervised"
        error = None if task.cancelled() else task.exception()
        log.critical(reason, exc_info=error, extra={"worker": loop.name})
        self._give_up(reason)

    async def _watch(self) -> None:
        while not self.stopping.is_set():
            await asyncio.sleep(1)
            for loop in self.loops.values():
                if loop.silent_for > self.fatal_silence_seconds:
                    log.critical("loop hung; the process exits so that a fresh one takes over",
                                 extra={"worker": loop.name})
                    self._give_up(f"loop {loop.name} hung")
                    return

    def _give_up(self, reason: str) -> None:
        if self.fatal is None:
            self.fatal = reason
            self._on_fatal(reason)
