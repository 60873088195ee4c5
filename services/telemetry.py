"""What the domain tells an on-call team: counts of what happened, and the work still waiting.

The domain only counts (no metrics library here); api.observability exports
these as Prometheus metrics. Counts are per process, as Prometheus expects;
the backlog is the database's, the same from every replica.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import orjson
from tortoise import connections


class Tally:
    """A counter by label values (one event loop per process: no lock needed)."""

    def __init__(self, name: str, help: str, labels: tuple[str, ...]) -> None:
        self.name, self.help, self.labels = name, help, labels
        self.counts: Counter[tuple[str, ...]] = Counter()

    def add(self, *values: str) -> None:
        assert len(values) == len(self.labels)
        self.counts[values] += 1


#: A job's run, when its transaction is about to commit: ``done`` or ``failed`` (to be retried).
jobs = Tally("coedu_scheduled_jobs", "Scheduled job runs by kind and result (done, failed: retried later)",
             ("kind", "result"))
#: What became of a push: delivered, rejected (the gateway refused it for good), gave_up (after
#: every retry), retried (the gateway did not answer; tried again later), skipped (no gateway).
pushes = Tally("coedu_push_deliveries", "Push deliveries by result", ("result",))

TALLIES = (jobs, pushes)


@dataclass(frozen=True)
class Backlog:
    #: due and not yet run, by kind
    due_jobs: dict[str, int]
    #: how long the longest-waiting due job has waited (0 with none due): the scheduler's lag
    oldest_due_seconds: float
    #: jobs waiting for a retry after a failed run
    failing_jobs: int
    #: Redis commands committed and not yet carried out (Redis away, or the relay behind)
    outbox_entries: int
    oldest_outbox_seconds: float


_BACKLOG = """
SELECT (SELECT coalesce(json_object_agg(kind, n), '{}')
          FROM (SELECT kind, count(*) AS n FROM scheduled_job
                 WHERE done_at IS NULL AND due_at <= now() GROUP BY kind) due) AS due_jobs,
       (SELECT coalesce(extract(epoch FROM now() - min(due_at)), 0)::float8 FROM scheduled_job
         WHERE done_at IS NULL AND due_at <= now()) AS oldest_due_seconds,
       (SELECT count(*) FROM scheduled_job WHERE done_at IS NULL AND attempts > 0) AS failing_jobs,
       (SELECT count(*) FROM redis_outbox) AS outbox_entries,
       (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 FROM redis_outbox)
         AS oldest_outbox_seconds
"""


async def backlog() -> Backlog:
    """One read of the pending rows only (the partial index on pending jobs; the outbox is drained)."""
    row = (await connections.get("default").execute_query_dict(_BACKLOG))[0]
    due = row["due_jobs"]
    return Backlog(
        due_jobs={kind: int(n) for kind, n in (orjson.loads(due) if isinstance(due, str) else due).items()},
        oldest_due_seconds=float(row["oldest_due_seconds"]), failing_jobs=int(row["failing_jobs"]),
        outbox_entries=int(row["outbox_entries"]), oldest_outbox_seconds=float(row["oldest_outbox_seconds"]),
    )
