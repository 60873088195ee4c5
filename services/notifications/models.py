"""The in-app inbox, push devices and push deliveries."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.models import Model

from services.enums import DevicePlatform, NotificationKind
from services.ids import new_id

if TYPE_CHECKING:
    from services.identity.models import User


class Notification(Model):
    """One message in a person's inbox. Title and body are message keys rendered in the reader's
    language; their parameters never hold a child's name or anything sensitive (they reach push
    gateways too)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    user_id: uuid.UUID
    kind = fields.CharEnumField(NotificationKind, max_length=16)
    title_key = fields.CharField(max_length=64)
    body_key = fields.CharField(max_length=64)
    params: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    subject_type = fields.CharField(max_length=32, null=True)
    subject_id = fields.UUIDField(null=True)
    #: Alerts: never held by quiet hours.
    is_urgent = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(db_default=Now())
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
        indexes = (("user_id", "created_at"),)


class PushDevice(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    user_id: uuid.UUID
    platform = fields.CharEnumField(DevicePlatform, max_length=16)
    #: HMAC of the push token (a token moves to whoever registers it last); the token itself sealed.
    token_digest = fields.CharField(max_length=64, unique=True)
    token_sealed = fields.BinaryField()
    #: The language pushes to this device are written in: the app's, as it registered.
    language = fields.CharField(max_length=8, default="zh")
    registered_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "push_device"
        indexes = (("user_id",),)


class PushDelivery(Model):
    """A notification to send to one device, through the outbox of scheduled jobs."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    notification: fields.ForeignKeyRelation[Notification] = fields.ForeignKeyField(
        "coedu.Notification", related_name=False, on_delete=fields.CASCADE)
    notification_id: uuid.UUID
    device: fields.ForeignKeyRelation[PushDevice] = fields.ForeignKeyField(
        "coedu.PushDevice", related_name=False, on_delete=fields.CASCADE)
    device_id: uuid.UUID
    attempts = fields.IntField(default=0)
    #: pending, delivered, failed
    status = fields.CharField(max_length=16, default="pending")
    delivered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "push_delivery"
