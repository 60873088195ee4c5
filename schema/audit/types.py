"""Types of the audit trail: audited accesses, and the records they touched by id alone."""

from __future__ import annotations

import datetime as dt

import strawberry

from schema.audit.enums import AuditAction
from schema.common.dataloaders import referenced
from schema.common.ids import TYPE_CODES
from schema.common.node import Node, gid
from schema.context import Context
from schema.organisation.types import User
from services import audit

Info = strawberry.Info[Context, None]


@strawberry.type(description="One audited read or change of a sensitive record.")
class AuditEvent(Node):
    at: dt.datetime = strawberry.field(description="Timestamp of the access.")
    action: AuditAction = strawberry.field(description="What was done.")
    client_address: str | None = strawberry.field(description="Network address the request came from.")
    _row: strawberry.Private[audit.AuditEvent]

    @classmethod
    def of(cls, row: audit.AuditEvent) -> AuditEvent:
        return cls(id=gid("AuditEvent", row.id), at=row.at, action=row.action, client_address=row.client_address,
                   _row=row)

    @strawberry.field(description="Who did it (null for the command line).")
    async def actor(self, info: Info) -> User | None:
        actor_id = self._row.actor_id
        return User.of(await referenced(info.context.loaders.user.load(actor_id))) if actor_id else None

    @strawberry.field(description="The record read or changed, by id only: the trail shows who touched what, "
                                  "never the record itself.")
    def subject(self) -> Node | None:
        if self._row.subject_id is None or self._row.subject_type not in TYPE_CODES:
            return None
        return RecordReference(id=gid(self._row.subject_type, self._row.subject_id))


@strawberry.type(description="A record named by its id alone (in the audit trail).")
class RecordReference(Node):
    pass
