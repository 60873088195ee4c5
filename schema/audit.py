"""The audit trail, for the city administrator."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import strawberry

from schema.common.connection import After, Connection, First, connection, page_window
from schema.common.dataloaders import referenced
from schema.common.enums import describe_enum
from schema.common.ids import TYPE_CODES, decode_id, from_global_id
from schema.common.node import Node, gid
from schema.context import Context
from schema.organisation.types import User
from services import audit
from services.enums import AuditAction as AuditActionEnum

Info = strawberry.Info[Context, None]

describe_enum(
    AuditActionEnum,
    name="AuditAction",
    description="What an audited access did.",
    values={
        "READ_ALERT": "Read a wellbeing alert's details or timeline.",
        "UPDATE_ALERT": "Changed a wellbeing alert.",
        "READ_HOME_ADDRESS": "Read a family's home address (on file, or a home visit's).",
        "UPDATE_HOME_ADDRESS": "Set, replaced or erased a guardian's household address.",
        "EXPORT": "Exported records.",
        "IMPORT": "Imported records (a roster sync from the student information system).",
        "SIGN_IN": "Signed in.",
        "ROLE_CHANGE": "Granted or revoked a role.",
    },
)
AuditAction = AuditActionEnum


@strawberry.input(description="Narrows the audit trail.")
class AuditEventFilter:
    actor_id: strawberry.ID | None = strawberry.field(default=None, description="Only what this person did.")
    subject_id: strawberry.ID | None = strawberry.field(default=None, description="Only accesses to this record.")
    action: AuditAction | None = strawberry.field(default=None, description="Only this kind of access.")
    from_: dt.datetime | None = strawberry.field(default=None, name="from", description="From this timestamp on.")
    to: dt.datetime | None = strawberry.field(default=None, description="Before this timestamp.")


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


@strawberry.type
class AuditQueries:
    @strawberry.field(description="Who read or changed sensitive records, newest first (city administrator).")
    async def audit_events(
        self, info: Info, first: First, after: After = None,
        filter: Annotated[AuditEventFilter | None, strawberry.argument(description="Narrows the trail.")] = None,
    ) -> Connection[AuditEvent]:
        size, position = page_window(first, after, info.context.language)
        wanted = audit.AuditFilter()
        if filter is not None:
            actor = decode_id(filter.actor_id, "User") if filter.actor_id else None
            subject = _any_row(filter.subject_id) if filter.subject_id else None
            wanted = audit.AuditFilter(
                actor_id=actor, subject_id=subject, action=filter.action, since=filter.from_, until=filter.to,
                impossible=(filter.actor_id is not None and actor is None)
                or (filter.subject_id is not None and subject is None),
            )
        return connection(await audit.events(wanted, first=size, after=position), AuditEvent.of)


def _any_row(global_id: str) -> uuid.UUID | None:
    decoded = from_global_id(global_id)
    return decoded[1] if decoded else None
