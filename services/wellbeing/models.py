"""Mental-health early-warning alerts, their events, guardian shares and escalation policies."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.models import Model

from services.enums import (
    AlertCategory,
    AlertEventKind,
    AlertOutcome,
    AlertSeverity,
    AlertSource,
    AlertStatus,
    EscalationLevel,
)
from services.ids import new_id

if TYPE_CHECKING:
    from services.identity.models import User
    from services.organisation.models import Student


class EscalationPolicy(Model):
    """How long each level has to acknowledge an alert of a severity. An alert keeps the policy
    in force when it was raised (copied onto it); a change affects only new alerts."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    severity = fields.CharEnumField(AlertSeverity, max_length=16, unique=True)
    acknowledge_within_minutes = fields.IntField()
    #: An acknowledged alert with no activity for this long is escalated again.
    follow_up_minutes = fields.IntField()
    updated_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    updated_by_id: uuid.UUID | None
    updated_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "escalation_policy"


class WellbeingAlert(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "coedu.Student", related_name=False, on_delete=fields.RESTRICT)
    student_id: uuid.UUID
    severity = fields.CharEnumField(AlertSeverity, max_length=16)
    category = fields.CharEnumField(AlertCategory, max_length=24)
    source = fields.CharEnumField(AlertSource, max_length=24)
    status = fields.CharEnumField(AlertStatus, max_length=16, default=AlertStatus.OPEN)
    level = fields.CharEnumField(EscalationLevel, max_length=16, default=EscalationLevel.SCHOOL)
    #: Sealed (services.crypto): only ciphertext is stored.
    summary_sealed = fields.BinaryField()
    details_sealed = fields.BinaryField(null=True)
    raised_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.RESTRICT)
    raised_by_id: uuid.UUID
    raised_at = fields.DatetimeField()
    #: The policy in force when the alert was raised.
    acknowledge_within_minutes = fields.IntField()
    follow_up_minutes = fields.IntField()
    #: When the current level must have acknowledged (OPEN alerts).
    acknowledge_by = fields.DatetimeField()
    acknowledged_at = fields.DatetimeField(null=True)
    acknowledged_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, null=True, on_delete=fields.RESTRICT)
    acknowledged_by_id: uuid.UUID | None
    assignee: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, null=True, on_delete=fields.RESTRICT)
    assignee_id: uuid.UUID | None
    resolved_at = fields.DatetimeField(null=True)
    resolved_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, null=True, on_delete=fields.RESTRICT)
    resolved_by_id: uuid.UUID | None
    resolution_sealed = fields.BinaryField(null=True)
    outcome = fields.CharEnumField(AlertOutcome, max_length=24, null=True)
    #: Notes, assignments, shares and acknowledgements count as activity for the follow-up clock.
    last_activity_at = fields.DatetimeField()
    home_visit_id = fields.UUIDField(null=True)

    class Meta:
        table = "wellbeing_alert"
        indexes = (("student_id", "raised_at"), ("status", "level"), ("raised_by_id", "raised_at"))


class AlertEvent(Model):
    """An entry of an alert's timeline and of the live feed. The id is the feed's cursor: events
    are numbered in commit order (see services.wellbeing.events)."""

    id = fields.BigIntField(primary_key=True)
    alert: fields.ForeignKeyRelation[WellbeingAlert] = fields.ForeignKeyField(
        "coedu.WellbeingAlert", related_name=False, on_delete=fields.RESTRICT)
    alert_id: uuid.UUID
    kind = fields.CharEnumField(AlertEventKind, max_length=24)
    at = fields.DatetimeField(db_default=Now())
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, null=True, on_delete=fields.RESTRICT)
    actor_id: uuid.UUID | None
    #: The alert's level after the event.
    level = fields.CharEnumField(EscalationLevel, max_length=16)
    #: A person's words (note, reason, resolution), sealed; or a system reason (a message key).
    note_sealed = fields.BinaryField(null=True)
    reason = fields.CharField(max_length=48, null=True)

    class Meta:
        table = "wellbeing_alert_event"
        indexes = (("alert_id", "id"),)


class AlertShare(Model):
    """What a counsellor chose to tell a child's guardians."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    alert: fields.ForeignKeyRelation[WellbeingAlert] = fields.ForeignKeyField(
        "coedu.WellbeingAlert", related_name=False, on_delete=fields.RESTRICT)
    alert_id: uuid.UUID
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "coedu.Student", related_name=False, on_delete=fields.RESTRICT)
    student_id: uuid.UUID
    counsellor: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.RESTRICT)
    counsellor_id: uuid.UUID
    message_sealed = fields.BinaryField()
    shared_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "wellbeing_share"
        indexes = (("student_id", "shared_at"),)
