"""In-person course sessions: scheduling, seats, check-in, absentees and reminders.

A seat is taken by one conditional UPDATE (``registered < capacity``) in the
transaction that writes the registration, and a CHECK constraint backs it:
however many parents press at once, a session never has more registrations
than seats. Seats and the waitlist change under the session's row lock
(services.family_education.waitlists): a seat given back goes to the first in
line in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import secrets
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from services import access, db, outbox, paging, scheduler
from services.access import Principal
from services.clock import PROGRAMME_ZONE, local_label
from services.enums import NotificationKind, RegistrationStatus
from services.errors import Checks, ErrorCode, UserErrors
from services.family_education import waitlists
from services.family_education.instructors import book_instructor, instructor_status
from services.family_education.models import Course, CourseOffering, CourseSession, Instructor, SessionRegistration
from services.notifications.service import notify
from services.organisation.models import School, ServiceStation
from services.ratelimit import Throttle

CHECK_IN_OPENS = dt.timedelta(minutes=30)
MAX_SESSION = dt.timedelta(hours=8)
CLOSE_JOB = "session_close"
REMINDER_JOB = "session_reminder"
#: Guessing check-in codes: a few tries per parent and session.
CHECK_IN_GUESSES = Throttle("check-in", limit=5, window_seconds=10 * 60)


@dataclass(frozen=True)
class SessionPlan:
    course_id: uuid.UUID | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    school_id: uuid.UUID | None
    station_id: uuid.UUID | None
    instructor_id: uuid.UUID | None
    capacity: int
    given: dict[str, bool]


async def schedule(actor: Principal, plan: SessionPlan) -> CourseSession:
    checks = Checks()
    course = await Course.get_or_none(id=plan.course_id) if plan.course_id else None
    if course is None:
        checks.add(ErrorCode.NOT_FOUND, "not_found", "courseId")
    now = await db.now()
    if plan.ends_at <= plan.starts_at or plan.ends_at - plan.starts_at > MAX_SESSION:
        checks.invalid("endsAt", "session_length")
    if plan.starts_at <= now:
        checks.invalid("startsAt", "slot_in_past")
    if not 1 <= plan.capacity <= 500:
        checks.invalid("capacity", "out_of_range", min=1, max=500)
    school = station = instructor = None
    if plan.given["school"] == plan.given["station"]:
        checks.invalid("schoolId", "session_one_venue")
    elif plan.given["school"]:
        school = await School.get_or_none(id=plan.school_id) if plan.school_id else None
        if school is None:
            checks.add(ErrorCode.NOT_FOUND, "not_found", "schoolId")
    else:
        station = await ServiceStation.get_or_none(id=plan.station_id) if plan.station_id else None
        if station is None:
            checks.add(ErrorCode.NOT_FOUND, "not_found", "stationId")
    if not plan.given["instructor"]:
        checks.invalid("instructorId", "required")
    else:
        instructor = await Instructor.get_or_none(id=plan.instructor_id) if plan.instructor_id else None
        if instructor is None:
            checks.add(ErrorCode.NOT_FOUND, "not_found", "instructorId")
    checks.raise_if_any()
    assert course is not None
    assert instructor is not None
    if school is not None:
        access.require(access.may_administer_school(actor, school.id, school.district_id))
        if not school.is_family_education_pilot:
            raise UserErrors.one(ErrorCode.INVALID_STATE, "not_a_pilot_school", "schoolId")
        if not await CourseOffering.filter(course_id=course.id, school_id=school.id).exists():
            raise UserErrors.one(ErrorCode.INVALID_STATE, "course_not_offered", "schoolId")
    if station is not None:
        access.require(access.may_manage_station(actor, station_id=station.id,
                                                 district_id=station.district_id))
    if instructor_status(instructor, now.astimezone(PROGRAMME_ZONE).date()).value != "ACTIVE":
        raise UserErrors.one(ErrorCode.INVALID_STATE, "instructor_not_active", "instructorId")
    async with in_transaction() as tx:
        session = await CourseSession.create(
            course_id=course.id, starts_at=plan.starts_at, ends_at=plan.ends_at,
            school_id=school.id if school else None, station_id=station.id if station else None,
            instructor_id=instructor.id, capacity=plan.capacity, check_in_code=f"{secrets.randbelow(10**6):06d}",
            using_db=tx)
        await book_instructor(instructor.id, plan.starts_at, plan.ends_at, tx, session_id=session.id,
                              field="instructorId")
        await scheduler.schedule(CLOSE_JOB, session.id, at=plan.ends_at, using=tx)
        await scheduler.schedule(waitlists.CLOSE_JOB, session.id, at=plan.starts_at, using=tx)
        reminder = plan.starts_at - dt.timedelta(hours=24)
        if reminder > now:
            await scheduler.schedule(REMINDER_JOB, session.id, at=reminder, using=tx)
    return session


# --------------------------------------------------------------------------
# Seats.


async def register(actor: Principal, session_id: uuid.UUID | None) -> SessionRegistration:
    """A seat for the parent; registering again returns the registration there is. Under the
    session's lock, so a double tap finds the first tap's seat."""
    async with in_transaction() as tx:
        session = await waitlists.locked_session(session_id, tx)
        if session is None:
            raise UserErrors.not_found("sessionId")
        await waitlists.require_session_taker(actor, session, tx)
        existing = await SessionRegistration.filter(session_id=session.id, guardian_id=actor.user_id).exclude(
            status=RegistrationStatus.CANCELLED).using_db(tx).first()
        if existing is not None:
            return existing
        await waitlists.refuse_if_waiting(session, actor.user_id, tx)
        if session.starts_at <= await db.now(tx) or session.closed_at is not None:
            raise UserErrors.one(ErrorCode.INVALID_STATE, "session_started", "sessionId")
        taken = await tx.execute_query_dict(
            "UPDATE course_session SET registered = registered + 1 "
            "WHERE id = $1 AND registered < capacity RETURNING registered", [session.id])
        if not taken:
            raise UserErrors.one(ErrorCode.LIMIT_EXCEEDED, "session_full", "sessionId")
        return await SessionRegistration.create(session_id=session.id, guardian_id=actor.user_id, using_db=tx)


async def cancel_registration(actor: Principal, registration_id: uuid.UUID | None) -> SessionRegistration:
    """Give the seat back (before the session starts); the first in line takes it at once."""
    found = await SessionRegistration.get_or_none(id=registration_id, guardian_id=actor.user_id) \
        if registration_id else None
    if found is None:
        raise UserErrors.not_found("registrationId")
    async with in_transaction() as tx:
        session = await waitlists.locked_session(found.session_id, tx)
        assert session is not None
        registration = await SessionRegistration.get(id=found.id, using_db=tx)
        now = await db.now(tx)
        if registration.status != RegistrationStatus.REGISTERED or session.starts_at <= now:
            raise UserErrors.one(ErrorCode.INVALID_STATE, "registration_not_cancellable", "registrationId")
        await SessionRegistration.filter(id=registration.id).using_db(tx).update(
            status=RegistrationStatus.CANCELLED, cancelled_at=now)
        await tx.execute_query("UPDATE course_session SET registered = registered - 1 WHERE id = $1", [session.id])
        wakeups = await waitlists.give_freed_seat(session, tx)
        await registration.refresh_from_db(using_db=tx)
    await outbox.flush(wakeups)
    return registration


async def check_in(actor: Principal, session_id: uuid.UUID | None, code: str) -> SessionRegistration:
    """Attendance with the code shown at the venue, from 30 minutes before the start to the end."""
    session = await CourseSession.get_or_none(id=session_id) if session_id else None
    if session is None:
        raise UserErrors.not_found("sessionId")
    registration = await SessionRegistration.filter(session_id=session.id, guardian_id=actor.user_id).exclude(
        status=RegistrationStatus.CANCELLED).first()
    if registration is None:
        raise UserErrors.one(ErrorCode.INVALID_STATE, "not_registered", "sessionId")
    if registration.status == RegistrationStatus.ATTENDED:
        return registration
    now = await db.now()
    if not session.starts_at - CHECK_IN_OPENS <= now <= session.ends_at or session.closed_at is not None:
        raise UserErrors.one(ErrorCode.INVALID_STATE, "check_in_closed", "sessionId")
    guesser = f"{session.id}:{actor.user_id}"
    if not await CHECK_IN_GUESSES.allow(guesser):
        raise UserErrors.one(ErrorCode.RATE_LIMITED, "rate_limited", "code")
    if not hmac.compare_digest((code or "").strip().encode(), session.check_in_code.encode()):
        raise UserErrors.one(ErrorCode.INVALID_INPUT, "check_in_code_wrong", "code")
    await SessionRegistration.filter(id=registration.id, status=RegistrationStatus.REGISTERED).update(
        status=RegistrationStatus.ATTENDED, checked_in_at=now)
    await registration.refresh_from_db()
    return registration


@scheduler.handler(CLOSE_JOB)
async def close_session(job: scheduler.Job, tx: BaseDBAsyncClient) -> None:
    """At the end: whoever did not check in is marked absent; check-in closes."""
    now = (await tx.execute_query_dict("SELECT now() AS now"))[0]["now"]
    await SessionRegistration.filter(session_id=job.subject_id, status=RegistrationStatus.REGISTERED).using_db(
        tx).update(status=RegistrationStatus.ABSENT)
    await CourseSession.filter(id=job.subject_id, closed_at__isnull=True).using_db(tx).update(closed_at=now)


@scheduler.handler(REMINDER_JOB)
async def remind(job: scheduler.Job, tx: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    session = await CourseSession.get_or_none(id=job.subject_id, using_db=tx)
    if session is None or session.closed_at is not None:
        return []
    course = await Course.get(id=session.course_id, using_db=tx)
    # values_list(flat=True) gives the values themselves; tortoise types them as tuples
    people: list[uuid.UUID] = list(await SessionRegistration.filter(  # type: ignore[arg-type]
        session_id=session.id, status=RegistrationStatus.REGISTERED).using_db(tx).values_list("guardian_id", flat=True))
    if session.instructor_id is not None:
        instructor = await Instructor.get(id=session.instructor_id, using_db=tx)
        people.append(instructor.user_id)
    return await notify(people, kind=NotificationKind.COURSE, title_key="session_reminder_title",
                        body_key="session_reminder_body", params={"course": course.title,
                                                                  "when": local_label(session.starts_at)},
                        subject=("CourseSession", session.id), using=tx)


# --------------------------------------------------------------------------
# Reads.


async def sessions_by_id(ids: Sequence[uuid.UUID]) -> list[CourseSession | None]:
    return await db.rows_by_id(CourseSession, ids)


async def upcoming_of_courses(course_ids: Sequence[uuid.UUID]) -> list[list[CourseSession]]:
    now = await db.now()
    grouped: dict[uuid.UUID, list[CourseSession]] = defaultdict(list)
    for row in await CourseSession.filter(course_id__in=list(course_ids), starts_at__gt=now).order_by(
            "starts_at", "id"):
        grouped[row.course_id].append(row)
    return [grouped.get(i, []) for i in course_ids]


async def taught_by(instructor: Instructor, *, upcoming: bool, first: int, after: paging.Position | None
                    ) -> paging.Page[CourseSession]:
    query = CourseSession.filter(instructor_id=instructor.id)
    if upcoming:
        query = query.filter(ends_at__gt=await db.now())
    return await paging.fetch(query, order=("starts_at", "id"), first=first, after=after)


async def registrations_of(session_ids: Sequence[uuid.UUID]) -> list[list[SessionRegistration]]:
    grouped: dict[uuid.UUID, list[SessionRegistration]] = defaultdict(list)
    for row in await SessionRegistration.filter(session_id__in=list(session_ids)).exclude(
            status=RegistrationStatus.CANCELLED).order_by("registered_at", "id"):
        grouped[row.session_id].append(row)
    return [grouped.get(i, []) for i in session_ids]


@dataclass(frozen=True)
class Seat:
    """A parent's registration with its session, the session's course and its venue, as the home
    screen shows them."""

    registration: SessionRegistration
    session: CourseSession
    course: Course
    venue: School | ServiceStation


_SEAT_PARTS = (("r", SessionRegistration), ("se", CourseSession), ("c", Course), ("sc", School),
               ("st", ServiceStation))
_SEAT_ORDER = ("se.starts_at", "r.id")


@functools.cache
def _seats_sql() -> str:
    # Written out, session, course and venue joined in: the parent's home screen reads it on every request.
    return f"""SELECT {db.joined_columns(_SEAT_PARTS)}
                 FROM session_registration r JOIN course_session se ON se.id = r.session_id
                 JOIN course c ON c.id = se.course_id
                 LEFT JOIN school sc ON sc.id = se.school_id LEFT JOIN service_station st ON st.id = se.station_id
                WHERE {access.own_family_sql("r", "$1")}
                  AND ($2::timestamptz IS NULL OR (se.ends_at > $2 AND r.status = $3)) AND {{after}}
                ORDER BY {paging.order_sql(_SEAT_ORDER)} LIMIT $4"""


async def my_registrations(viewer: Principal, *, upcoming: bool, first: int, after: paging.Position | None
                           ) -> paging.Page[Seat]:
    """The viewer's seats, soonest session first, with what the home screen shows of each, in one statement."""
    now = dt.datetime.now(dt.UTC) if upcoming else None

    async def count() -> int:
        query = SessionRegistration.filter(access.own_family_rows(viewer))
        if now is not None:
            query = query.filter(session__ends_at__gt=now, status=RegistrationStatus.REGISTERED)
        return await query.count()

    values: list[Any] = [viewer.user_id, now, RegistrationStatus.REGISTERED.value, first + 1]
    sql = _seats_sql().format(after=paging.after_sql(_SEAT_ORDER, after, values))
    rows = [Seat(made["r"], made["se"], made["c"], made.get("sc") or made["st"])
            for made in await db.joined_rows(_SEAT_PARTS, sql, values)] if first > 0 else []
    return paging.page_of(rows, first=first, key=lambda seat: (seat.session.starts_at, seat.registration.id),
                          count=count)


async def manageable(viewer: Principal, sessions: Sequence[CourseSession]) -> list[bool]:
    """Whether the viewer sees each session's check-in code and registrations."""
    if not sessions:
        return []
    schools: dict[uuid.UUID | None, School] = {
        s.id: s for s in await School.filter(id__in={x.school_id for x in sessions if x.school_id})}
    stations: dict[uuid.UUID | None, ServiceStation] = {
        s.id: s for s in await ServiceStation.filter(id__in={x.station_id for x in sessions if x.station_id})}
    instructors = dict(await Instructor.filter(id__in={x.instructor_id for x in sessions if x.instructor_id})
                       .values_list("id", "user_id"))
    answers = []
    for session in sessions:
        school = schools.get(session.school_id)
        station = stations.get(session.station_id)
        answers.append(access.may_manage_session(
            viewer,
            school=(school.id, school.district_id) if school else None,
            station=(station.id, station.district_id) if station else None,
            instructor_user_id=instructors.get(session.instructor_id),
        ))
    return answers


async def visible_registrations_by_id(viewer: Principal, ids: Sequence[uuid.UUID]) -> list[SessionRegistration | None]:
    return await db.rows_by_id(SessionRegistration, ids, access.own_family_rows(viewer))
