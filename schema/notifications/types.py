"""The inbox, live notifications and push devices."""

from __future__ import annotations

import datetime as dt
import uuid

import strawberry

from schema.common.ids import TYPE_CODES, to_global_id
from schema.common.node import Node, gid, node_loader, resolve_node
from schema.context import Context
from schema.notifications.enums import DevicePlatform, NotificationKind
from services.messages import Language
from services.notifications import models, service
from services.notifications.service import render

Info = strawberry.Info[Context, None]


@strawberry.type(description="A message in a person's inbox.")
class Notification(Node):
    kind: NotificationKind = strawberry.field(description="What it is about.")
    title: str = strawberry.field(description="Title, in the request's language.")
    body: str = strawberry.field(description="Text, in the request's language.")
    created_at: dt.datetime = strawberry.field(description="Timestamp it was sent.")
    read_at: dt.datetime | None = strawberry.field(description="Timestamp it was marked read.")
    _subject: strawberry.Private[tuple[str, uuid.UUID] | None]

    @classmethod
    def of(cls, row: models.Notification, language: Language) -> Notification:
        title, body = render(row, language)
        subject = (row.subject_type, row.subject_id) if row.subject_type and row.subject_id else None
        return cls(id=gid("Notification", row.id), kind=row.kind, title=title, body=body, created_at=row.created_at,
                   read_at=row.read_at, _subject=subject)

    @strawberry.field(description="What it is about, if the viewer may (still) see it.")
    async def subject(self, info: Info) -> Node | None:
        if self._subject is None or self._subject[0] not in TYPE_CODES:
            return None
        return await resolve_node(info.context, to_global_id(*self._subject))


@strawberry.type(description="A phone registered for push notifications.")
class PushDevice(Node):
    platform: DevicePlatform = strawberry.field(description="Its push platform.")

    @classmethod
    def of(cls, row: models.PushDevice) -> PushDevice:
        return cls(id=gid("PushDevice", row.id), platform=row.platform)


@node_loader("Notification")
async def _notification(context: Context, row_id: uuid.UUID) -> Notification | None:
    row = await service.notification_of(context.viewer, row_id)
    return Notification.of(row, context.language) if row else None


@node_loader("PushDevice")
async def _device(context: Context, row_id: uuid.UUID) -> PushDevice | None:
    row = await service.device_of(context.viewer, row_id)
    return PushDevice.of(row) if row else None
