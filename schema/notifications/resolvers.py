"""Root fields of notifications: registering devices, marking read, the live inbox."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from schema.common.errors import UserError
from schema.common.event_delivery import resumable
from schema.common.ids import decode_id
from schema.common.mutations import run, user_errors_field
from schema.context import Context
from schema.notifications import inputs
from schema.notifications.types import Notification, PushDevice
from services.notifications import service

Info = strawberry.Info[Context, None]


@strawberry.type(description="Result of `registerPushDevice`.")
class RegisterPushDevicePayload:
    device: PushDevice | None = strawberry.field(default=None, description="The registered device.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `markNotificationsRead`.")
class MarkNotificationsReadPayload:
    unread_count: int | None = strawberry.field(default=None, description="Unread notifications left.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(description="Register the phone's push token after sign-in; registering it again is "
                                     "harmless. Pushes to it are written in the request's Accept-Language.")
    async def register_push_device(self, info: Info, input: inputs.RegisterPushDeviceInput
                                   ) -> RegisterPushDevicePayload:
        async def action() -> RegisterPushDevicePayload:
            row = await service.register_device(info.context.viewer, input.platform, input.token,
                                                info.context.language)
            return RegisterPushDevicePayload(device=PushDevice.of(row))

        return await run(info, RegisterPushDevicePayload, action)

    @strawberry.mutation(description="Mark notifications read: the ones listed, or all of the viewer's.")
    async def mark_notifications_read(self, info: Info, input: inputs.MarkNotificationsReadInput
                                      ) -> MarkNotificationsReadPayload:
        async def action() -> MarkNotificationsReadPayload:
            ids = None if input.ids is None else [decode_id(i, "Notification") for i in input.ids]
            unread = await service.mark_read(info.context.viewer, ids=ids, everything=bool(input.all))
            return MarkNotificationsReadPayload(unread_count=unread)

        return await run(info, MarkNotificationsReadPayload, action)


@strawberry.type
class NotificationSubscriptions:
    @strawberry.subscription(description="The viewer's new notifications, live, while the app is open.")
    async def notification_received(self, info: Info) -> AsyncGenerator[Notification, None]:
        context = info.context
        async for row in resumable(context, service.live(context.live.hub, context.viewer.user_id)):
            yield Notification.of(row, context.language)
