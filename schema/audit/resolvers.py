"""Root fields of the audit trail, for the city administrator."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from schema.audit import inputs
from schema.audit.types import AuditEvent
from schema.common.connection import After, Connection, First, connection, page_window
from schema.common.ids import decode_id, from_global_id
from schema.context import Context
from services import audit

Info = strawberry.Info[Context, None]


@strawberry.type
class AuditQueries:
    @strawberry.field(description="Who read or changed sensitive records, newest first (city administrator).")
    async def audit_events(
        self, info: Info, first: First, after: After = None,
        filter: Annotated[inputs.AuditEventFilter | None, strawberry.argument(description="Narrows the trail.")] = None,
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
