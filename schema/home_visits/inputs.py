"""Inputs of the home-visit operations."""

from __future__ import annotations

import datetime as dt

import strawberry

from schema.common.ids import decode_id
from schema.home_visits.enums import HomeVisitDecision, HomeVisitStatus
from schema.wellbeing.enums import AlertCategory, AlertSeverity
from services.home_visits import queries


@strawberry.input(description="A span of time.")
class TimeWindowInput:
    starts_at: dt.datetime = strawberry.field(description="Timestamp it starts at (with an offset).")
    ends_at: dt.datetime = strawberry.field(description="Timestamp it ends at (with an offset).")


@strawberry.input(description="A proposed home visit.")
class ProposeHomeVisitInput:
    student_id: strawberry.ID = strawberry.field(description="The student, of a class the teacher teaches.")
    slots: list[TimeWindowInput] = strawberry.field(
        description="One to five candidate slots, each 30 to 180 minutes, in the next 60 days, 08:00–21:00 local.")
    purpose: str = strawberry.field(description="Why the teacher wants to visit.")
    companion_teacher_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Other teachers of the school who come along (at most four).")
    address: str | None = strawberry.field(
        default=None, description="Where, in the teacher's words (a library, a park); not with `addressGuardianId`.")
    address_guardian_id: strawberry.ID | None = strawberry.field(
        default=None, description="At this guardian's household address on file. With neither: at the address on "
                                  "file of the guardian who accepts.")


@strawberry.input(description="The family's answer to a proposal.")
class RespondToHomeVisitInput:
    home_visit_id: strawberry.ID = strawberry.field(description="The visit.")
    decision: HomeVisitDecision = strawberry.field(description="The answer.")
    accepted_slot: TimeWindowInput | None = strawberry.field(
        default=None, description="With ACCEPT: one of the offered slots, exactly.")
    alternative_slots: list[TimeWindowInput] | None = strawberry.field(
        default=None, description="With PROPOSE_ALTERNATIVES: one to five slots that suit the family.")
    reason: str | None = strawberry.field(default=None, description="With DECLINE: why.")


@strawberry.input(description="New slots for a visit.")
class RescheduleHomeVisitInput:
    home_visit_id: strawberry.ID = strawberry.field(description="The visit.")
    slots: list[TimeWindowInput] = strawberry.field(description="One to five new candidate slots.")


@strawberry.input(description="A visit to call off.")
class CancelHomeVisitInput:
    home_visit_id: strawberry.ID = strawberry.field(description="The visit.")
    reason: str = strawberry.field(description="Why.")


@strawberry.input(description="A wellbeing alert raised with a visit's record.")
class RaiseAlertFromVisitInput:
    severity: AlertSeverity = strawberry.field(description="How serious it is.")
    category: AlertCategory = strawberry.field(description="What it is about.")
    summary: str = strawberry.field(description="One line.")
    details: str | None = strawberry.field(default=None, description="More, for the counsellors.")


@strawberry.input(description="The record of a visit that took place.")
class RecordHomeVisitInput:
    home_visit_id: strawberry.ID = strawberry.field(description="The visit (confirmed, its start passed).")
    duration_minutes: int = strawberry.field(description="How long it lasted (1 to 600).")
    topics: list[str] = strawberry.field(description="What was talked about (one to ten).")
    summary: str = strawberry.field(description="What happened (sealed).")
    follow_up_needed: bool = strawberry.field(description="Indicates the family needs a follow-up.")
    raise_alert: RaiseAlertFromVisitInput | None = strawberry.field(
        default=None, description="A wellbeing alert to raise in the same transaction, linked to the visit.")


@strawberry.input(description="The family's feedback on a completed visit.")
class GiveHomeVisitFeedbackInput:
    home_visit_id: strawberry.ID = strawberry.field(description="The visit.")
    stars: int = strawberry.field(description="One to five.")
    comment: str | None = strawberry.field(default=None, description="Their words.")


@strawberry.input(description="Narrows a list of home visits.")
class HomeVisitFilter:
    from_: dt.datetime | None = strawberry.field(default=None, name="from",
                                                 description="Only visits that may happen after this.")
    to: dt.datetime | None = strawberry.field(default=None, description="Only visits that may happen before this.")
    mine: bool | None = strawberry.field(default=None, description="Only visits the viewer leads or joins.")
    upcoming: bool | None = strawberry.field(default=None, description="Only open visits still to come.")
    student_id: strawberry.ID | None = strawberry.field(default=None, description="Only this student's.")
    school_id: strawberry.ID | None = strawberry.field(default=None, description="Only this school's.")
    status: list[HomeVisitStatus] | None = strawberry.field(default=None, description="Only these statuses.")


def visit_filter(filter: HomeVisitFilter | None) -> queries.VisitFilter:
    """The services' filter for a list's `filter` argument; an id of another type matches nothing."""
    if filter is None:
        return queries.VisitFilter()
    student_id = decode_id(filter.student_id, "Student") if filter.student_id else None
    school_id = decode_id(filter.school_id, "School") if filter.school_id else None
    return queries.VisitFilter(
        starts=filter.from_, ends=filter.to, mine=bool(filter.mine), upcoming=bool(filter.upcoming),
        student_id=student_id, school_id=school_id, statuses=tuple(filter.status or ()),
        impossible=(filter.student_id is not None and student_id is None)
        or (filter.school_id is not None and school_id is None),
    )
