"""Alert events: the timeline of each alert and the live feed's history.

Event ids are the feed's cursors, so they must be handed out in commit order:
a reader that has seen event 41 must never later find a 40 that committed
late. Every transaction that records events takes one transaction-scoped
advisory lock just before inserting them (the last lock it takes) and holds
it to commit; ids drawn under the lock are therefore committed in id order.
Alert traffic is a few events a minute city-wide, so the serialisation costs
nothing noticeable.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from services import outbox, runtime
from services.enums import AlertEventKind, EscalationLevel

_EVENT_ORDER_LOCK = 0x77656C6C  # "well"


@dataclass(frozen=True)
class NewEvent:
    alert_id: uuid.UUID
    kind: AlertEventKind
    level: EscalationLevel
    actor_id: uuid.UUID | None = None
    note_sealed: bytes | None = None
    reason: str | None = None


def channel() -> str:
    return runtime.current().key("wellbeing-events")


async def record(events: list[NewEvent], *, using: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    """Insert the events in order at the end of the caller's transaction; flush the returned
    wake-up after the commit (the events themselves are already safe in PostgreSQL)."""
    if not events:
        return []
    await using.execute_query("SELECT pg_advisory_xact_lock($1)", [_EVENT_ORDER_LOCK])
    last = 0
    for event in events:
        rows = await using.execute_query_dict(
            "INSERT INTO wellbeing_alert_event (alert_id, kind, level, actor_id, note_sealed, reason, at) "
            "VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp()) RETURNING id",
            [event.alert_id, event.kind.value, event.level.value, event.actor_id, event.note_sealed, event.reason],
        )
        last = rows[0]["id"]
    return [await outbox.enqueue_publish(channel(), str(last), using=using)]
