"""One-to-one guidance consultations between an instructor and a family.

A booking must fall inside the instructor's weekly availability and holds
their time from the request on (services.family_education.instructors:
an exclusion constraint makes double booking impossible). The instructor
accepts or declines; either side may cancel (who did is kept); completion
leaves the instructor's private notes and a summary for the family. Both
sides are notified of every change.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from services import access, db, outbox, paging, runtime
from services.access import Principal
from services.clock import local_label, today
from services.enums import (
    CertificationStatus,
    ConsultationMode,
    ConsultationParty,
    ConsultationStatus,
    NotificationKind,
)
from services.errors import Checks, ErrorCode, UserErrors
from services.family_education.instructors import (
    book_instructor,
    instructor_status,
    within_availability,
)
from services.family_education.models import Consultation, Instructor, InstructorBooking, InstructorStation
from services.ids import new_id
from services.notifications.service import notify
from services.organisation.models import Guardianship, ServiceStation

LIVE = (ConsultationStatus.REQUESTED, ConsultationStatus.CONFIRMED)
TABLE = "consultation"


def _seal(text: str | None, column: str, consultation_id: uuid.UUID) -> bytes | None:
    """Every word about a family is sealed, bound to its consultation and column."""
    if text is None:
        return None
    return runtime.current().crypto.sealer.seal(text, table=TABLE, column=column, row=consultation_id)


def unseal(consultation: Consultation, column: str) -> str | None:
    blob = getattr(consultation, f"{column}_sealed")
    if blob is None:
        return None
    return runtime.current().crypto.sealer.open(blob, table=TABLE, column=column, row=consultation.id)


@dataclass(frozen=True)
class Booking:
    instructor_id: uuid.UUID | None
    starts_at: dt.datetime
    duration_minutes: int
    mode: ConsultationMode
    topic: str
    student_id: uuid.UUID | None
    station_id: uuid.UUID | None
    student_given: bool
    station_given: bool


async def _tell(users: list[uuid.UUID], consultation: Consultation, title: str, body: str, tx: BaseDBAsyncClient
                ) -> list[outbox.RedisOutbox]:
    return await notify(users, kind=NotificationKind.CONSULTATION, title_key=title, body_key=body,
                        params={"when": local_label(consultation.starts_at)}, subject=("Consultation", consultation.id),
                        using=tx)


async def book(actor: Principal, booking: Booking) -> Consultation:
    instructor = await Instructor.get_or_none(id=booking.instructor_id) if booking.instructor_id else None
    if instructor is None:
        raise UserErrors.not_found("instructorId")
    checks = Checks()
    topic = checks.text("topic", booking.topic, max_length=200)
    if not 30 <= booking.duration_minutes <= 120:
        checks.invalid("durationMinutes", "out_of_range", min=30, max=120)
    now = await db.now()
    if booking.starts_at <= now:
        checks.invalid("startsAt", "slot_in_past")
    if booking.student_given and not await Guardianship.filter(student_id=booking.student_id,
                                                               guardian_id=actor.user_id).exists():
        checks.add(ErrorCode.NOT_FOUND, "not_found", "studentId")
    station = None
    if booking.station_given:
        on_duty = await InstructorStation.filter(instructor_id=instructor.id, station_id=booking.station_id).exists()
        station = await ServiceStation.get_or_none(id=booking.station_id) if on_duty else None
        if station is None:
            checks.add(ErrorCode.NOT_FOUND, "not_found", "stationId")
    checks.raise_if_any()
    assert topic is not None
    if instructor_status(instructor, today()) != CertificationStatus.ACTIVE:
        raise UserErrors.one(ErrorCode.INVALID_STATE, "instructor_not_active", "instructorId")
    ends_at = booking.starts_at + dt.timedelta(minutes=booking.duration_minutes)
    window = await within_availability(instructor, booking.starts_at, ends_at)
    if window is None:
        raise UserErrors.one(ErrorCode.CONFLICT, "outside_availability", "startsAt")
    station_id = station.id if station else (window.station_id if booking.mode == ConsultationMode.IN_PERSON
                                              else None)
    async with in_transaction() as tx:
        consultation_id = new_id()
        consultation = await Consultation.create(
            id=consultation_id, instructor_id=instructor.id, guardian_id=actor.user_id, student_id=booking.student_id,
            station_id=station_id, mode=booking.mode, topic_sealed=_seal(topic, "topic", consultation_id),
            starts_at=booking.starts_at, ends_at=ends_at, using_db=tx)
        await book_instructor(instructor.id, booking.starts_at, ends_at, tx, consultation_id=consultation.id,
                              field="startsAt")
        wakeups = await _tell([instructor.user_id], consultation, "consultation_requested_title",
                              "consultation_requested_body", tx)
    await outbox.flush(wakeups)
    return consultation


async def _locked(actor: Principal, consultation_id: uuid.UUID | None, tx: BaseDBAsyncClient
                  ) -> tuple[Consultation, Instructor]:
    consultation = await Consultation.select_for_update().using_db(tx).get_or_none(id=consultation_id) \
        if consultation_id else None
    if consultation is not None:
        instructor = await Instructor.get(id=consultation.instructor_id, using_db=tx)
        if actor.user_id in (consultation.guardian_id, instructor.user_id):
            return consultation, instructor
    raise UserErrors.not_found("consultationId")


async def _release(consultation: Consultation, tx: BaseDBAsyncClient) -> None:
    await InstructorBooking.filter(consultation_id=consultation.id).using_db(tx).delete()


async def respond(actor: Principal, consultation_id: uuid.UUID | None, accept: bool, reason: str | None
                  ) -> Consultation:
    async with in_transaction() as tx:
        consultation, instructor = await _locked(actor, consultation_id, tx)
        access.require(access.is_consultation_instructor(actor, instructor.user_id))
        if consultation.status != ConsultationStatus.REQUESTED:
            raise UserErrors.one(ErrorCode.INVALID_STATE, "consultation_wrong_state", "consultationId")
        checks = Checks()
        clean = checks.text("reason", reason, max_length=500, required=False)
        checks.raise_if_any()
        if accept:
            consultation.status = ConsultationStatus.CONFIRMED
            title, body = "consultation_confirmed_title", "consultation_confirmed_body"
        else:
            consultation.status = ConsultationStatus.DECLINED
            consultation.reason_sealed = _seal(clean, "reason", consultation.id)
            await _release(consultation, tx)
            title, body = "consultation_declined_title", "consultation_declined_body"
        await Consultation.filter(id=consultation.id).using_db(tx).update(status=consultation.status,
                                                                          reason_sealed=consultation.reason_sealed)
        wakeups = await _tell([consultation.guardian_id], consultation, title, body, tx)
    await outbox.flush(wakeups)
    return consultation


async def cancel(actor: Principal, consultation_id: uuid.UUID | None, reason: str | None) -> Consultation:
    async with in_transaction() as tx:
        consultation, instructor = await _locked(actor, consultation_id, tx)
        if consultation.status not in LIVE:
            raise UserErrors.one(ErrorCode.INVALID_STATE, "consultation_wrong_state", "consultationId")
        checks = Checks()
        clean = checks.text("reason", reason, max_length=500, required=False)
        checks.raise_if_any()
        by_family = actor.user_id == consultation.guardian_id
        consultation.status = ConsultationStatus.CANCELLED
        consultation.cancelled_by = ConsultationParty.FAMILY if by_family else ConsultationParty.INSTRUCTOR
        consultation.reason_sealed = _seal(clean, "reason", consultation.id)
        await Consultation.filter(id=consultation.id).using_db(tx).update(
            status=consultation.status, cancelled_by=consultation.cancelled_by,
            reason_sealed=consultation.reason_sealed)
        await _release(consultation, tx)
        other = instructor.user_id if by_family else consultation.guardian_id
        wakeups = await _tell([other], consultation, "consultation_cancelled_title", "consultation_cancelled_body", tx)
    await outbox.flush(wakeups)
    return consultation


async def complete(actor: Principal, consultation_id: uuid.UUID | None, notes: str | None, guardian_summary: str,
                   follow_up_recommended: bool) -> Consultation:
    async with in_transaction() as tx:
        consultation, instructor = await _locked(actor, consultation_id, tx)
        access.require(access.is_consultation_instructor(actor, instructor.user_id))
        if consultation.status != ConsultationStatus.CONFIRMED or consultation.starts_at > await db.now(tx):
            raise UserErrors.one(ErrorCode.INVALID_STATE, "consultation_wrong_state", "consultationId")
        checks = Checks()
        clean_notes = checks.text("notes", notes, max_length=5000, required=False)
        summary = checks.text("guardianSummary", guardian_summary, max_length=2000)
        checks.raise_if_any()
        consultation.status = ConsultationStatus.COMPLETED
        consultation.guardian_summary_sealed = _seal(summary, "guardian_summary", consultation.id)
        consultation.follow_up_recommended = follow_up_recommended
        consultation.completed_at = await db.now(tx)
        consultation.notes_sealed = _seal(clean_notes, "notes", consultation.id)
        await Consultation.filter(id=consultation.id).using_db(tx).update(
            status=consultation.status, guardian_summary_sealed=consultation.guardian_summary_sealed,
            follow_up_recommended=follow_up_recommended, completed_at=consultation.completed_at,
            notes_sealed=consultation.notes_sealed)
        wakeups = await _tell([consultation.guardian_id], consultation, "consultation_completed_title",
                              "consultation_completed_body", tx)
    await outbox.flush(wakeups)
    return consultation


async def rate(actor: Principal, consultation_id: uuid.UUID | None, stars: int, comment: str | None
               ) -> Consultation:
    """The family rates a completed consultation (again: the new rating replaces the old)."""
    consultation = await Consultation.get_or_none(id=consultation_id, guardian_id=actor.user_id) \
        if consultation_id else None
    if consultation is None:
        raise UserErrors.not_found("consultationId")
    checks = Checks()
    if not 1 <= stars <= 5:
        checks.invalid("stars", "out_of_range", min=1, max=5)
    clean = checks.text("comment", comment, max_length=500, required=False)
    checks.raise_if_any()
    if consultation.status != ConsultationStatus.COMPLETED:
        raise UserErrors.one(ErrorCode.INVALID_STATE, "consultation_wrong_state", "consultationId")
    consultation.rating_stars = stars
    consultation.rating_comment_sealed = _seal(clean, "rating_comment", consultation.id)
    await Consultation.filter(id=consultation.id).update(rating_stars=stars,
                                                         rating_comment_sealed=consultation.rating_comment_sealed)
    return consultation


@dataclass(frozen=True)
class RatingSummary:
    average: float | None
    count: int

    @classmethod
    def of(cls, total: int, count: int) -> RatingSummary:
        # Summed, then divided here: the ORM hands an average of a SMALLINT column back as an int.
        return cls(round(total / count, 2) if count else None, count)


async def instructor_ratings(instructor_ids: Sequence[uuid.UUID]) -> list[RatingSummary]:
    rows = await Consultation.filter(instructor_id__in=list(instructor_ids), rating_stars__isnull=False).group_by(
        "instructor_id").annotate(total=Sum("rating_stars"), n=Count("id")).values("instructor_id", "total", "n")
    found = {r["instructor_id"]: RatingSummary.of(r["total"], r["n"]) for r in rows}
    return [found.get(i, RatingSummary(None, 0)) for i in instructor_ids]


def notes_of(viewer: Principal | None, consultation: Consultation, instructor: Instructor) -> str | None:
    """The instructor's private notes, for the instructor alone (None for anyone else)."""
    if not access.may_read_consultation_notes(viewer, instructor.user_id):
        return None
    return unseal(consultation, "notes")


# --------------------------------------------------------------------------
# Reads: a consultation is its family's and its instructor's.


@dataclass(frozen=True)
class ConsultationWindow:
    starts: dt.datetime | None = None
    ends: dt.datetime | None = None


async def consultations(viewer: Principal, window: ConsultationWindow, *, first: int, after: paging.Position | None
                        ) -> paging.Page[Consultation]:
    query = Consultation.filter(access.visible_consultations(viewer))
    if window.starts:
        query = query.filter(ends_at__gt=window.starts)
    if window.ends:
        query = query.filter(starts_at__lt=window.ends)
    return await paging.fetch(query, order=("starts_at", "id"), first=first, after=after)


async def visible_consultations_by_id(viewer: Principal, ids: Sequence[uuid.UUID]) -> list[Consultation | None]:
    return await db.rows_by_id(Consultation, ids, access.visible_consultations(viewer))


async def instructor_consults(instructor_user_id: uuid.UUID, student_id: uuid.UUID,
                              using: BaseDBAsyncClient | None = None) -> bool:
    """Whether the instructor counsels the child's family (a consultation about the child, not declined
    or cancelled): the instructor may then raise a wellbeing alert about them."""
    query = Consultation.filter(
        student_id=student_id, instructor__user_id=instructor_user_id,
        status__in=[ConsultationStatus.REQUESTED, ConsultationStatus.CONFIRMED, ConsultationStatus.COMPLETED])
    return await (query.using_db(using) if using else query).exists()

