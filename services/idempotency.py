"""Idempotency keys for mutations (Stripe-style).

A mobile client on a bad network retries a mutation with the same
``Idempotency-Key``; the first outcome is replayed and nothing changes again.
The same key with a different request is refused, and a retry that arrives
while the first is still running is told so at once.

The record of a key is written in the very transaction that applies the
mutation (services.unit_of_work), together with the response the client is
sent. So a retry finds the record exactly when the effects committed: after a
timeout, a lost response, a process killed between commit and reply, the
retry replays; when nothing committed, it runs afresh. There is no pending
state to release or take over. Concurrent requests with one key are told
apart by a transaction-scoped advisory lock on the key, held to commit.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.models import Model

from services import unit_of_work
from services.ids import new_id

if TYPE_CHECKING:
    from services.identity.models import User

KEY_LIFETIME = dt.timedelta(hours=24)


class IdempotencyRecord(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    user_id: uuid.UUID
    key = fields.CharField(max_length=128)
    request_digest = fields.CharField(max_length=64)
    response = fields.TextField(null=True)
    status_code = fields.SmallIntField(null=True)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "idempotency_record"
        unique_together = (("user_id", "key"),)


class Outcome(enum.Enum):
    DONE = "done"            # ran now; its response is stored (or nothing committed, see ``stored``)
    REPLAY = "replay"        # ran before: the stored response
    MISMATCH = "mismatch"    # same key, different request
    IN_FLIGHT = "in_flight"  # the first request with this key has not finished


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    response: str | None = None
    status_code: int = 200


@dataclass(frozen=True)
class Response:
    """What the mutation answered; ``keep`` False when it failed unexpectedly and must leave nothing."""

    body: str
    status_code: int
    keep: bool


class _Discarded(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


_LOCK = "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked"
_EXISTING = """
SELECT request_digest, response, status_code, created_at > now() - $3::interval AS live
  FROM idempotency_record WHERE user_id = $1 AND key = $2
"""
_RECORD = """
INSERT INTO idempotency_record (id, user_id, key, request_digest, response, status_code)
VALUES ($1, $2, $3, $4, $5, $6)
"""


async def run_once(user_id: uuid.UUID, key: str, request_digest: str,
                   mutation: Callable[[], Awaitable[Response]]) -> Result:
    """Run ``mutation`` once per (user, key): its effects and its response commit together."""
    try:
        async with unit_of_work.request_transaction() as tx:
            rows = await tx.execute_query_dict(_LOCK, [f"{user_id}:{key}"])
            if not rows[0]["locked"]:
                return Result(Outcome.IN_FLIGHT)
            existing = await tx.execute_query_dict(_EXISTING, [user_id, key, KEY_LIFETIME])
            if existing and existing[0]["live"]:
                if existing[0]["request_digest"] != request_digest:
                    return Result(Outcome.MISMATCH)
                return Result(Outcome.REPLAY, existing[0]["response"], existing[0]["status_code"] or 200)
            if existing:  # expired: the key may be used afresh
                await tx.execute_query("DELETE FROM idempotency_record WHERE user_id = $1 AND key = $2",
                                       [user_id, key])
            response = await mutation()
            if not response.keep:
                raise _Discarded(response)
            await tx.execute_query(_RECORD, [new_id(), user_id, key, request_digest, response.body,
                                             response.status_code])
    except _Discarded as discarded:
        return Result(Outcome.DONE, discarded.response.body, discarded.response.status_code)
    return Result(Outcome.DONE, response.body, response.status_code)
