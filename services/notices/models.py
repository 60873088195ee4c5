"""School notices (家校通知): what was sent to whom, and each guardian's receipt."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.models import Model

from services.enums import NoticeAudienceKind, NoticeConfirmationMode, NoticeStatus
from services.ids import new_id

if TYPE_CHECKING:
    from services.identity.models import User
    from services.organisation.models import District, School, SchoolClass, Student


class Notice(Model):
    """A notice from a teacher or an administrator to the guardians of an audience of students."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    sender: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.RESTRICT)
    sender_id: uuid.UUID
    title = fields.CharField(max_length=60)
    body = fields.TextField()
    confirmation_mode = fields.CharEnumField(NoticeConfirmationMode, max_length=12)
    #: [{"id": "1", "label": "参加"}, ...] (2 to 6), or empty.
    reply_options: fields.JSONField[list[dict[str, str]]] = fields.JSONField(default=list)
    audience_kind = fields.CharEnumField(NoticeAudienceKind, max_length=24)
    #: The classes of a SCHOOL_CLASSES notice (a JSON list of ids).
    class_ids: fields.JSONField[list[str]] = fields.JSONField(default=list)
    #: The school (class, grade and school notices) and the district (every notice) of the audience.
    school: fields.ForeignKeyNullableRelation[School] = fields.ForeignKeyField(
        "coedu.School", related_name=False, null=True, on_delete=fields.RESTRICT)
    school_id: uuid.UUID | None
    grade = fields.SmallIntField(null=True)
    district: fields.ForeignKeyRelation[District] = fields.ForeignKeyField(
        "coedu.District", related_name=False, on_delete=fields.RESTRICT)
    district_id: uuid.UUID
    pilot_schools_only = fields.BooleanField(default=False)
    status = fields.CharEnumField(NoticeStatus, max_length=12)
    scheduled_for = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    deadline = fields.DatetimeField(null=True)
    recalled_at = fields.DatetimeField(null=True)
    last_reminded_at = fields.DatetimeField(null=True)
    #: The fan-out's checkpoint: receipts exist for the guardians up to this id; done when delivered_at is set.
    fanned_out_to = fields.UUIDField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "notice"
        indexes = (("sender_id", "created_at"), ("district_id", "sent_at"))


class NoticeReceipt(Model):
    """One guardian's copy of a notice: one per guardian however many of their children it reached."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "coedu.Notice", related_name=False, on_delete=fields.CASCADE)
    notice_id: uuid.UUID
    guardian: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    guardian_id: uuid.UUID
    read_at = fields.DatetimeField(null=True)
    confirmed_at = fields.DatetimeField(null=True)
    signature_name = fields.CharField(max_length=30, null=True)
    reply_option = fields.CharField(max_length=8, null=True)
    #: The reminder round this guardian was last reminded in (the notice's last_reminded_at then).
    reminded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notice_receipt"
        unique_together = (("notice_id", "guardian_id"),)
        indexes = (("guardian_id", "notice_id"),)


class NoticeChild(Model):
    """A child through whom a notice reached a guardian, with the child's class then."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "coedu.Notice", related_name=False, on_delete=fields.CASCADE)
    notice_id: uuid.UUID
    guardian: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    guardian_id: uuid.UUID
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "coedu.Student", related_name=False, on_delete=fields.CASCADE)
    student_id: uuid.UUID
    school_class: fields.ForeignKeyRelation[SchoolClass] = fields.ForeignKeyField(
        "coedu.SchoolClass", related_name=False, on_delete=fields.CASCADE)
    school_class_id: uuid.UUID

    class Meta:
        table = "notice_child"
        indexes = (("notice_id", "guardian_id"), ("notice_id", "student_id"))
