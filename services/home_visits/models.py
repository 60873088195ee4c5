"""Teachers' home visits: proposals, slots, participants' bookings, records and feedback."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.models import Model

from services.enums import HomeVisitStatus, Side
from services.ids import new_id

if TYPE_CHECKING:
    from services.identity.models import User
    from services.organisation.models import School, Student
    from services.wellbeing.models import WellbeingAlert


class HomeVisit(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "coedu.Student", related_name=False, on_delete=fields.RESTRICT)
    student_id: uuid.UUID
    #: The student's school when the visit was proposed (coverage counts it there).
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "coedu.School", related_name=False, on_delete=fields.RESTRICT)
    school_id: uuid.UUID
    lead_teacher: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.RESTRICT)
    lead_teacher_id: uuid.UUID
    #: Sealed, as every word written about a child's family is (the purpose, reasons, topics, comments).
    purpose_sealed = fields.BinaryField()
    #: Where, as the teacher wrote it (a library, a park): sealed, for the visiting teachers and the family.
    address_sealed = fields.BinaryField(null=True)
    #: Or at a guardian's household address on file, read live (services.organisation.home_addresses):
    #: chosen at proposal, or the accepting guardian's. Neither until then when the teacher left it open.
    address_guardian: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    address_guardian_id: uuid.UUID | None
    status = fields.CharEnumField(HomeVisitStatus, max_length=24, default=HomeVisitStatus.PROPOSED)
    #: Each proposal or reschedule opens a new round of candidate slots.
    round = fields.SmallIntField(default=1)
    scheduled_start = fields.DatetimeField(null=True)
    scheduled_end = fields.DatetimeField(null=True)
    #: When the visit may happen: its scheduled window once confirmed, else the span of the current
    #: round's slots. Schedules ("my visits this week") filter and sort on it.
    window_start = fields.DatetimeField(null=True)
    window_end = fields.DatetimeField(null=True)
    ended_by = fields.CharEnumField(Side, max_length=8, null=True)
    end_reason_sealed = fields.BinaryField(null=True)
    completed_at = fields.DatetimeField(null=True)
    recorded_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, null=True, on_delete=fields.RESTRICT)
    recorded_by_id: uuid.UUID | None
    record_duration_minutes = fields.SmallIntField(null=True)
    #: The topics, a JSON list, sealed.
    record_topics_sealed = fields.BinaryField(null=True)
    record_summary_sealed = fields.BinaryField(null=True)
    record_follow_up_needed = fields.BooleanField(null=True)
    raised_alert: fields.ForeignKeyNullableRelation[WellbeingAlert] = fields.ForeignKeyField(
        "coedu.WellbeingAlert", related_name=False, null=True, on_delete=fields.RESTRICT)
    raised_alert_id: uuid.UUID | None
    feedback_stars = fields.SmallIntField(null=True)
    feedback_comment_sealed = fields.BinaryField(null=True)
    feedback_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(db_default=Now())
    updated_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "home_visit"
        indexes = (("lead_teacher_id", "window_start"), ("student_id", "created_at"), ("school_id", "status"))


class HomeVisitSlot(Model):
    """A candidate time of a round: offered by the school, or by the family as alternatives."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    visit: fields.ForeignKeyRelation[HomeVisit] = fields.ForeignKeyField(
        "coedu.HomeVisit", related_name=False, on_delete=fields.CASCADE)
    visit_id: uuid.UUID
    round = fields.SmallIntField()
    offered_by = fields.CharEnumField(Side, max_length=8)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()

    class Meta:
        table = "home_visit_slot"
        indexes = (("visit_id", "round"),)


class HomeVisitCompanion(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    visit: fields.ForeignKeyRelation[HomeVisit] = fields.ForeignKeyField(
        "coedu.HomeVisit", related_name=False, on_delete=fields.CASCADE)
    visit_id: uuid.UUID
    teacher: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.RESTRICT)
    teacher_id: uuid.UUID

    class Meta:
        table = "home_visit_companion"
        unique_together = (("visit_id", "teacher_id"),)
        indexes = (("teacher_id",),)


class HomeVisitBooking(Model):
    """A teacher's time held by a confirmed visit, travel buffer included. An exclusion constraint
    (migration) forbids two overlapping bookings of one teacher: double booking is impossible by
    construction, whatever runs concurrently."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    visit: fields.ForeignKeyRelation[HomeVisit] = fields.ForeignKeyField(
        "coedu.HomeVisit", related_name=False, on_delete=fields.CASCADE)
    visit_id: uuid.UUID
    teacher: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.RESTRICT)
    teacher_id: uuid.UUID
    blocked_from = fields.DatetimeField()
    blocked_until = fields.DatetimeField()

    class Meta:
        table = "home_visit_booking"


class CalendarFeed(Model):
    """A teacher's secret iCalendar feed; resetting it revokes the old address."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    user_id: uuid.UUID
    token_digest = fields.CharField(max_length=64, unique=True)
    #: The address itself, sealed: the owner can read it back, the database cannot.
    token_sealed = fields.BinaryField()
    created_at = fields.DatetimeField(db_default=Now())
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "calendar_feed"
        indexes = (("user_id", "revoked_at"),)


class HomeVisitTransition(Model):
    """Who moved a visit from one state to another, and when."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    visit: fields.ForeignKeyRelation[HomeVisit] = fields.ForeignKeyField(
        "coedu.HomeVisit", related_name=False, on_delete=fields.CASCADE)
    visit_id: uuid.UUID
    from_status = fields.CharEnumField(HomeVisitStatus, max_length=24, null=True)
    to_status = fields.CharEnumField(HomeVisitStatus, max_length=24)
    #: null for the scheduler (a visit that became MISSED)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, null=True, on_delete=fields.RESTRICT)
    actor_id: uuid.UUID | None
    side = fields.CharEnumField(Side, max_length=8, null=True)
    at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "home_visit_transition"
        indexes = (("visit_id", "at"),)
