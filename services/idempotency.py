"""Idempotency keys for mutations (Stripe-style).

A mobile client on a bad network retries a mutation with the same
``Idempotency-Key``; the first response is replayed and nothing changes
again. The same key with a different request is refused. A key is held by
one request at a time: a concurrent retry waits for nothing and is told the
first is still in flight.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.fields.db_defaults import Now
from tortoise.models import Model

from services.ids import new_id

KEY_LIFETIME = dt.timedelta(hours=24)
#: A pending claim older than this belonged to a request that died; it may be taken over.
_STALE_PENDING = dt.timedelta(minutes=2)


class IdempotencyRecord(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    user = fields.ForeignKeyField("coedu.User", related_name=False, on_delete=fields.CASCADE)
    key = fields.CharField(max_length=128)
    request_digest = fields.CharField(max_length=64)
    response = fields.TextField(null=True)
    status_code = fields.SmallIntField(null=True)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "idempotency_record"
        unique_together = (("user_id", "key"),)


class Claim(enum.Enum):
    FRESH = "fresh"          # go ahead, then call complete()
    REPLAY = "replay"        # return the stored response
    MISMATCH = "mismatch"    # same key, different request
    IN_FLIGHT = "in_flight"  # the first request has not finished


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    record_id: uuid.UUID | None = None
    response: str | None = None
    status_code: int | None = None


async def claim(user_id: uuid.UUID, key: str, request_digest: str) -> ClaimResult:
    from services import db

    now = await db.now()
    # Expired keys are forgotten, so the key may be used afresh.
    await IdempotencyRecord.filter(user_id=user_id, key=key, created_at__lt=now - KEY_LIFETIME).delete()
    try:
        record = await IdempotencyRecord.create(user_id=user_id, key=key, request_digest=request_digest)
        return ClaimResult(Claim.FRESH, record.id)
    except IntegrityError:
        pass
    existing = await IdempotencyRecord.get_or_none(user_id=user_id, key=key)
    if existing is None:
        return await claim(user_id, key, request_digest)
    if existing.request_digest != request_digest:
        return ClaimResult(Claim.MISMATCH)
    if existing.response is not None:
        return ClaimResult(Claim.REPLAY, existing.id, existing.response, existing.status_code)
    if existing.created_at < now - _STALE_PENDING:
        taken = await IdempotencyRecord.filter(
            id=existing.id, response__isnull=True, created_at=existing.created_at
        ).update(created_at=now)
        if taken:
            return ClaimResult(Claim.FRESH, existing.id)
    return ClaimResult(Claim.IN_FLIGHT)


async def complete(record_id: uuid.UUID, response: str, status_code: int) -> None:
    await IdempotencyRecord.filter(id=record_id).update(response=response, status_code=status_code)


async def release(record_id: uuid.UUID) -> None:
    """Forget a claim whose request failed unexpectedly, so a retry runs it afresh."""
    await IdempotencyRecord.filter(id=record_id, response__isnull=True).delete()
