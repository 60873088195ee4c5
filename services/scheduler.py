"""The durable scheduler: deadlines and deliveries kept in PostgreSQL, processed exactly once.

Every process (API replicas and the optional ``coedu worker``) runs the same
loop. A due job is claimed with ``FOR UPDATE SKIP LOCKED`` inside the very
transaction that applies its effects and marks it done, so:

- two processes never run the same job (the second skips the locked row, and
  after the first commits the job is done);
- a process killed mid-job holds nothing: PostgreSQL drops its connection,
  rolls the transaction back and releases the lock, and another process takes
  the job on its next poll;
- a process that hangs is cut off by ``idle_in_transaction_session_timeout``
  (the lease), with the same effect.

Times are the database's (``now()``), never the host's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields.db_defaults import Now
from tortoise.models import Model
from tortoise.transactions import in_transaction

from services import telemetry
from services.db import is_unavailable
from services.loops import Beat, first_of, pause
from services.outbox import RedisOutbox, flush

log = logging.getLogger(__name__)

#: How long a claimed job may sit in an idle transaction before PostgreSQL ends it (the lease).
LEASE_SECONDS = 30
POLL_SECONDS = 0.2
#: A job whose handler fails is retried after this much, doubling, at most MAX_BACKOFF.
FIRST_BACKOFF = dt.timedelta(seconds=2)
MAX_BACKOFF = dt.timedelta(minutes=5)


class ScheduledJob(Model):
    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32)
    subject_id = fields.UUIDField()
    due_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    last_error = fields.CharField(max_length=200, null=True)
    done_at = fields.DatetimeField(null=True)
    #: done, cancelled
    outcome = fields.CharField(max_length=16, null=True)
    done_by = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "scheduled_job"
        indexes = (("kind", "subject_id"),)


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    subject_id: uuid.UUID
    due_at: dt.datetime
    #: how late the job was picked up, by the database clock
    lateness: dt.timedelta
    #: failed runs so far
    attempts: int


#: Runs in the job's transaction; returns outbox entries to carry out once that commits.
Handler = Callable[[Job, BaseDBAsyncClient], Awaitable["list[RedisOutbox] | None"]]
_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register what a job of ``kind`` does; it runs in the transaction that marks the job done."""

    def register(function: Handler) -> Handler:
        _HANDLERS[kind] = function
        return function

    return register


async def schedule(kind: str, subject_id: uuid.UUID, *, using: BaseDBAsyncClient,
                   at: dt.datetime | None = None, delay: dt.timedelta | None = None) -> None:
    """A job due at ``at``, or ``delay`` from now by the database clock."""
    if at is not None:
        await using.execute_query(
            "INSERT INTO scheduled_job (kind, subject_id, due_at, attempts) VALUES ($1, $2, $3, 0)",
            [kind, subject_id, at],
        )
    else:
        await using.execute_query(
            "INSERT INTO scheduled_job (kind, subject_id, due_at, attempts) "
            "VALUES ($1, $2, now() + $3::interval, 0)",
            [kind, subject_id, delay or dt.timedelta(0)],
        )


async def cancel(kind: str, subject_id: uuid.UUID, *, using: BaseDBAsyncClient) -> None:
    await using.execute_query(
        "UPDATE scheduled_job SET done_at = now(), outcome = 'cancelled' "
        "WHERE kind = $1 AND subject_id = $2 AND done_at IS NULL",
        [kind, subject_id],
    )


_CLAIM = """
SELECT id, kind, subject_id, due_at, now() - due_at AS lateness, attempts
  FROM scheduled_job
 WHERE done_at IS NULL AND due_at <= now() AND (kind = ANY($1::text[])) = $2
 ORDER BY due_at
 LIMIT 1
   FOR UPDATE SKIP LOCKED
"""


class Scheduler:
    """One lane of due jobs. A lane runs its jobs one after another, so work that waits on the
    outside world (a push gateway answering in seconds) has a lane of its own and never delays a
    deadline: ``kinds`` are this lane's, or, with ``except_kinds``, every kind but those."""

    def __init__(self, owner: str, *, kinds: tuple[str, ...] = (), except_kinds: tuple[str, ...] = (),
                 concurrency: int = 1) -> None:
        assert bool(kinds) != bool(except_kinds), "a lane names its kinds, or the kinds it leaves to others"
        self.owner = owner
        self._kinds = list(kinds or except_kinds)
        self._included = bool(kinds)
        #: Jobs run at once while several are due (after an outage, deadlines fall due together).
        self.concurrency = concurrency
        self.processed = 0

    async def run(self, beat: Beat, stopping: asyncio.Event) -> None:
        """Process due jobs until ``stopping`` is set; the jobs in hand are always finished first.
        One worker polls; while it finds work, the others help. Failures reach the supervisor
        (services.loops): a job's claim dies with its transaction."""
        busy = asyncio.Event()

        async def lead() -> None:
            while not stopping.is_set():
                if await self.run_one():
                    busy.set()
                else:
                    busy.clear()
                    await pause(stopping, POLL_SECONDS)
                beat()

        async def helper() -> None:
            while not stopping.is_set():
                await first_of(busy.wait(), stopping.wait())
                if not stopping.is_set() and not await self.run_one():
                    await pause(stopping, POLL_SECONDS)

        async with asyncio.TaskGroup() as workers:
            workers.create_task(lead())
            for _ in range(self.concurrency - 1):
                workers.create_task(helper())

    async def run_one(self) -> bool:
        """Claim and process one due job; False when none is due."""
        failure: tuple[int, str] | None = None
        wakeups: list[RedisOutbox] = []
        async with in_transaction() as tx:
            await tx.execute_query(f"SET LOCAL idle_in_transaction_session_timeout = '{LEASE_SECONDS}s'")
            rows = await tx.execute_query_dict(_CLAIM, [self._kinds, self._included])
            if not rows:
                return False
            row = rows[0]
            job = Job(row["id"], row["kind"], row["subject_id"], row["due_at"], row["lateness"], row["attempts"])
            run = _HANDLERS.get(job.kind)
            if run is None:
                log.error("no handler for scheduled job kind", extra={"component": job.kind})
                failure = (job.id, "no handler")
            else:
                try:
                    async with in_transaction() as effects:  # a savepoint: a failed handler undoes only itself
                        wakeups = await run(job, effects) or []
                except Exception as error:  # noqa: BLE001 - one failing job must not stop every deadline
                    if is_unavailable(error):
                        raise  # PostgreSQL went away: nothing can be recorded, the claim dies with the connection
                    log.exception("scheduled job failed; it will be retried", extra={"component": job.kind})
                    failure = (job.id, type(error).__name__)
            telemetry.jobs.add(job.kind, "done" if failure is None else "failed")
            if failure is None:
                await tx.execute_query(
                    "UPDATE scheduled_job SET done_at = now(), outcome = 'done', done_by = $2, "
                    "attempts = attempts + 1 WHERE id = $1",
                    [job.id, self.owner],
                )
                self.processed += 1
            else:
                await tx.execute_query(
                    "UPDATE scheduled_job SET attempts = attempts + 1, last_error = $2, "
                    "due_at = now() + least($3::interval * power(2, attempts), $4::interval) WHERE id = $1",
                    [failure[0], failure[1], FIRST_BACKOFF, MAX_BACKOFF],
                )
        await flush(wakeups)
        return True


async def pending(kind: str, subject_id: uuid.UUID) -> list[ScheduledJob]:
    return await ScheduledJob.filter(kind=kind, subject_id=subject_id, done_at__isnull=True).order_by("due_at")
