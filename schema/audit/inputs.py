"""Inputs of the audit trail's query."""

from __future__ import annotations

import datetime as dt

import strawberry

from schema.audit.enums import AuditAction


@strawberry.input(description="Narrows the audit trail.")
class AuditEventFilter:
    actor_id: strawberry.ID | None = strawberry.field(default=None, description="Only what this person did.")
    subject_id: strawberry.ID | None = strawberry.field(default=None, description="Only accesses to this record.")
    action: AuditAction | None = strawberry.field(default=None, description="Only this kind of access.")
    from_: dt.datetime | None = strawberry.field(default=None, name="from", description="From this timestamp on.")
    to: dt.datetime | None = strawberry.field(default=None, description="Before this timestamp.")
