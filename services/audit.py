"""The audit trail: who read or changed sensitive records.

Rows are written in the same transaction as the read or change they record,
so a read whose audit row cannot be written fails. A trigger (migration 0002)
refuses UPDATE, DELETE and TRUNCATE: the application can only append.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields.db_defaults import Now
from tortoise.models import Model

from services import paging
from services.enums import AuditAction
from services.ids import new_id

if TYPE_CHECKING:
    from services.identity.models import User


class AuditEvent(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    at = fields.DatetimeField(db_default=Now())
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, null=True, on_delete=fields.RESTRICT)
    actor_id: uuid.UUID | None
    action = fields.CharEnumField(AuditAction, max_length=24)
    subject_type = fields.CharField(max_length=32)
    subject_id = fields.UUIDField(null=True)
    client_address = fields.CharField(max_length=64, null=True)
    request_id = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "audit_event"
        indexes = (("at",), ("actor_id", "at"), ("subject_id", "at"))


@dataclass(frozen=True)
class RequestOrigin:
    client_address: str | None
    request_id: str | None


#: Set by the API for each request or WebSocket operation.
request_origin: contextvars.ContextVar[RequestOrigin] = contextvars.ContextVar(
    "request_origin", default=RequestOrigin(None, None)  # noqa: B039 - frozen, never mutated
)


async def record(
    action: AuditAction,
    *,
    actor_id: uuid.UUID | None,
    subject_type: str,
    subject_id: uuid.UUID | None,
    using: BaseDBAsyncClient,
) -> None:
    await record_many(action, actor_id=actor_id, subject_type=subject_type, subject_ids=[subject_id], using=using)


async def record_many(
    action: AuditAction,
    *,
    actor_id: uuid.UUID | None,
    subject_type: str,
    subject_ids: list[uuid.UUID | None],
    using: BaseDBAsyncClient,
) -> None:
    """One row per subject, in one statement (a list's worth of reads costs one INSERT)."""
    origin = request_origin.get()
    await AuditEvent.bulk_create([
        AuditEvent(actor_id=actor_id, action=action, subject_type=subject_type, subject_id=subject_id,
                   client_address=origin.client_address, request_id=origin.request_id)
        for subject_id in subject_ids
    ], using_db=using)


@dataclass(frozen=True)
class AuditFilter:
    actor_id: uuid.UUID | None = None
    subject_id: uuid.UUID | None = None
    action: AuditAction | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    #: An id in the filter did not decode: nothing matches.
    impossible: bool = False


async def events(filter: AuditFilter, *, first: int, after: paging.Position | None) -> paging.Page[AuditEvent]:
    """The trail, newest first (city administrators; the operation rule decides that)."""
    query = AuditEvent.all()
    if filter.impossible:
        query = query.filter(id__isnull=True)
    if filter.actor_id:
        query = query.filter(actor_id=filter.actor_id)
    if filter.subject_id:
        query = query.filter(subject_id=filter.subject_id)
    if filter.action:
        query = query.filter(action=filter.action)
    if filter.since:
        query = query.filter(at__gte=filter.since)
    if filter.until:
        query = query.filter(at__lt=filter.until)
    return await paging.fetch(query, order=("-at", "-id"), first=first, after=after)
