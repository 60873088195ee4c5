"""Inputs of the push devices' and the inbox's operations."""

from __future__ import annotations

import strawberry

from schema.notifications.enums import DevicePlatform


@strawberry.input(description="A phone's push token.")
class RegisterPushDeviceInput:
    platform: DevicePlatform = strawberry.field(description="Its push platform.")
    token: str = strawberry.field(description="The token the platform gave the app.")


@strawberry.input(description="Which notifications to mark read.")
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(default=None, description="These (at most 100).")
    all: bool | None = strawberry.field(default=None, description="Every notification of the viewer.")
