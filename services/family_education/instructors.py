"""Certified guidance instructors: certification and its status, stations, weekly availability,
the slots families can book, and the bookings that hold an instructor's time."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import RawSQL, Subquery
from tortoise.transactions import in_transaction

from services import access, audit, db, outbox, paging, scheduler
from services.access import Principal
from services.clock import PROGRAMME_ZONE, today
from services.enums import AuditAction, CertificationStatus, NotificationKind, Role
from services.errors import Checks, ErrorCode, UserErrors
from services.family_education.models import AvailabilitySlot, Instructor, InstructorBooking, InstructorStation
from services.family_education.weekly import check_window
from services.identity import principals
from services.identity.accounts import IssuedInvitation, find_or_create_user, invite_if_inactive, require_phone
from services.notifications.service import notify
from services.organisation.models import District, RoleAssignment, ServiceStation

EXPIRY_JOB = "certificate_expiry"
EXPIRY_REMINDERS = (90, 30, 7)
MAX_SLOTS_DAYS = 31


def instructor_status(instructor: Instructor, on: dt.date) -> CertificationStatus:
    """SUSPENDED by an administrator, EXPIRED after the certificate's last day, ACTIVE otherwise."""
    if instructor.suspended_at is not None:
        return CertificationStatus.SUSPENDED
    if on > instructor.expires_on:
        return CertificationStatus.EXPIRED
    return CertificationStatus.ACTIVE


async def book_instructor(instructor_id: uuid.UUID, starts_at: dt.datetime, ends_at: dt.datetime,
                          tx: BaseDBAsyncClient, *, field: str, consultation_id: uuid.UUID | None = None,
                          session_id: uuid.UUID | None = None) -> None:
    """Hold the instructor's time; an overlap anywhere in their calendar is a CONFLICT (the
    exclusion constraint decides, so concurrent bookings cannot both win)."""
    try:
        async with in_transaction() as savepoint:
            await InstructorBooking.create(instructor_id=instructor_id, consultation_id=consultation_id,
                                           session_id=session_id, starts_at=starts_at, ends_at=ends_at,
                                           using_db=savepoint)
    except IntegrityError as error:
        if getattr(error.__cause__, "sqlstate", None) != "23P01":
            raise
        raise UserErrors.one(ErrorCode.CONFLICT, "instructor_busy", field) from error


# --------------------------------------------------------------------------
# Certification.


@dataclass(frozen=True)
class Certification:
    phone: str
    display_name: str
    certificate_number: str
    certified_on: dt.date
    expires_on: dt.date
    specialties: list[str]
    district_id: uuid.UUID | None
    bio: str | None


async def certify(actor: Principal, entry: Certification) -> tuple[Instructor, IssuedInvitation | None]:
    checks = Checks()
    phone = require_phone(checks, "phone", entry.phone)
    name = checks.text("displayName", entry.display_name, max_length=64)
    number = checks.text("certificateNumber", entry.certificate_number, max_length=32)
    if entry.expires_on <= entry.certified_on:
        checks.invalid("expiresOn", "expiry_before_certification")
    if not 1 <= len(entry.specialties) <= 10:
        checks.invalid("specialties", "out_of_range", min=1, max=10)
    specialties = [t for i, s in enumerate(entry.specialties[:10])
                   if (t := checks.text(f"specialties[{i}]", s, max_length=20))]
    bio = checks.text("bio", entry.bio, max_length=2000, required=False)
    district = await District.get_or_none(id=entry.district_id) if entry.district_id else None
    if district is None:
        checks.add(ErrorCode.NOT_FOUND, "not_found", "districtId")
    checks.raise_if_any()
    assert phone is not None
    assert name is not None
    assert district is not None
    access.require(access.may_certify(actor, district.id))
    async with in_transaction() as tx:
        user, _ = await find_or_create_user(phone, name, using=tx)
        if await Instructor.filter(user_id=user.id).using_db(tx).exists():
            raise UserErrors.one(ErrorCode.CONFLICT, "already_instructor", "phone")
        try:
            async with in_transaction() as savepoint:
                instructor = await Instructor.create(
                    user_id=user.id, certificate_number=(number or "").upper(), certified_on=entry.certified_on,
                    expires_on=entry.expires_on, specialties=specialties, district_id=district.id, bio=bio,
                    using_db=savepoint)
        except IntegrityError as error:
            raise UserErrors.one(ErrorCode.CONFLICT, "certificate_number_taken", "certificateNumber") from error
        await RoleAssignment.create(user_id=user.id, role=Role.INSTRUCTOR, district_id=district.id,
                                    granted_by_id=actor.user_id, using_db=tx)
        await audit.record(AuditAction.ROLE_CHANGE, actor_id=actor.user_id, subject_type="User", subject_id=user.id,
                           using=tx)
        await _schedule_expiry_reminders(instructor, tx)
        invitation = await invite_if_inactive(user, invited_by=actor.user_id, using=tx)
        wakeups = await principals.access_changed(user.id, using=tx)
    await outbox.flush(wakeups)
    return instructor, invitation


async def _schedule_expiry_reminders(instructor: Instructor, tx: BaseDBAsyncClient) -> None:
    now = await db.now(tx)
    for days in EXPIRY_REMINDERS:
        at = dt.datetime.combine(instructor.expires_on - dt.timedelta(days=days), dt.time(9, 0), tzinfo=PROGRAMME_ZONE)
        if at > now:
            await scheduler.schedule(EXPIRY_JOB, instructor.id, at=at, using=tx)


@scheduler.handler(EXPIRY_JOB)
async def remind_expiry(job: scheduler.Job, tx: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    """Tell the instructor and their district's administrators that a certificate runs out."""
    instructor = await Instructor.get_or_none(id=job.subject_id, using_db=tx)
    if instructor is None or instructor.suspended_at is not None:
        return []
    days = (instructor.expires_on - job.due_at.astimezone(PROGRAMME_ZONE).date()).days
    if days not in EXPIRY_REMINDERS:
        return []  # the certificate was renewed since
    admins = await RoleAssignment.filter(role=Role.DISTRICT_ADMIN, district_id=instructor.district_id).using_db(
        tx).values_list("user_id", flat=True)
    # values_list(flat=True) gives the values themselves; tortoise types them as tuples
    return await notify([instructor.user_id, *admins], kind=NotificationKind.SYSTEM,  # type: ignore[list-item]
                        title_key="certificate_expiry_title", body_key="certificate_expiry_body",
                        params={"days": days, "number": instructor.certificate_number},
                        subject=("Instructor", instructor.id), using=tx)


async def suspend(actor: Principal, instructor_id: uuid.UUID | None, suspended: bool) -> Instructor:
    instructor = await Instructor.get_or_none(id=instructor_id) if instructor_id else None
    if instructor is None:
        raise UserErrors.not_found("instructorId")
    access.require(access.may_certify(actor, instructor.district_id))
    await Instructor.filter(id=instructor.id).update(suspended_at=await db.now() if suspended else None)
    await instructor.refresh_from_db()
    return instructor


# --------------------------------------------------------------------------
# Stations and availability.


async def assign_to_station(actor: Principal, instructor_id: uuid.UUID | None, station_id: uuid.UUID | None
                            ) -> ServiceStation:
    instructor = await Instructor.get_or_none(id=instructor_id) if instructor_id else None
    station = await ServiceStation.get_or_none(id=station_id) if station_id else None
    checks = Checks()
    if instructor is None:
        checks.add(ErrorCode.NOT_FOUND, "not_found", "instructorId")
    if station is None:
        checks.add(ErrorCode.NOT_FOUND, "not_found", "stationId")
    checks.raise_if_any()
    assert instructor is not None
    assert station is not None
    access.require(access.may_manage_station(actor, station_id=station.id, district_id=station.district_id))
    try:
        async with in_transaction() as savepoint:  # a failed insert must not spoil an enclosing transaction
            await InstructorStation.create(instructor_id=instructor.id, station_id=station.id, using_db=savepoint)
    except IntegrityError:
        pass  # on duty there already
    return station


@dataclass(frozen=True)
class WeeklySlot:
    weekday: int
    start_time: str
    end_time: str
    station_id: uuid.UUID | None
    station_given: bool


async def set_availability(actor: Principal, slots: list[WeeklySlot]) -> Instructor:
    """Replace the instructor's weekly availability; bookings already made stay."""
    instructor = await Instructor.get_or_none(user_id=actor.user_id)
    if instructor is None:
        raise UserErrors.one(ErrorCode.INVALID_STATE, "not_an_instructor")
    stations = set(await InstructorStation.filter(instructor_id=instructor.id).values_list("station_id", flat=True))
    checks = Checks()
    if len(slots) > 50:
        checks.invalid("slots", "too_many_items", max=50)
    parsed = []
    for index, slot in enumerate(slots[:50]):
        start, end = check_window(checks, f"slots[{index}]", slot.weekday, slot.start_time, slot.end_time,
                                  start_name="startTime", end_name="endTime")
        if slot.station_given and slot.station_id not in stations:
            checks.invalid(f"slots[{index}].stationId", "not_on_duty_at_station")
        parsed.append((slot, start, end))
    checks.raise_if_any()
    async with in_transaction() as tx:
        await AvailabilitySlot.filter(instructor_id=instructor.id).using_db(tx).delete()
        await AvailabilitySlot.bulk_create([
            AvailabilitySlot(instructor_id=instructor.id, weekday=slot.weekday, start_time=start, end_time=end,
                             station_id=slot.station_id)
            for slot, start, end in parsed], using_db=tx)
    return instructor


# --------------------------------------------------------------------------
# Reads.


@dataclass(frozen=True)
class InstructorFilter:
    district_id: uuid.UUID | None = None
    specialty: str | None = None
    station_id: uuid.UUID | None = None
    impossible: bool = False


async def directory(wanted: InstructorFilter, *, first: int, after: paging.Position | None
                    ) -> paging.Page[Instructor]:
    """Certified instructors, those who can be booked (active) first."""
    query = Instructor.all()
    if wanted.impossible:
        query = query.filter(access.NOTHING)
    if wanted.district_id:
        query = query.filter(district_id=wanted.district_id)
    if wanted.specialty and wanted.specialty.strip():
        query = query.filter(specialties__contains=[wanted.specialty.strip()])
    if wanted.station_id:
        query = query.filter(id__in=Subquery(InstructorStation.filter(station_id=wanted.station_id).values(
            "instructor_id")))
    # Those who can be booked (active) first: the order is computed in SQL, by the programme's date.
    ordered = query.annotate(inactive=RawSQL(
        "(suspended_at IS NOT NULL OR expires_on < (now() AT TIME ZONE 'Asia/Shanghai')::date)"
    ))
    return await paging.fetch(ordered, order=("inactive", "certificate_number", "id"), first=first, after=after)


async def instructors_by_id(ids: Sequence[uuid.UUID]) -> list[Instructor | None]:
    return await db.rows_by_id(Instructor, ids)


async def instructors_of_users(user_ids: Sequence[uuid.UUID]) -> list[Instructor | None]:
    found = {i.user_id: i for i in await Instructor.filter(user_id__in=list(user_ids))}
    return [found.get(i) for i in user_ids]


async def stations_of(instructor_ids: Sequence[uuid.UUID]) -> list[list[uuid.UUID]]:
    grouped: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for row in await InstructorStation.filter(instructor_id__in=list(instructor_ids)).values(
            "instructor_id", "station_id"):
        grouped[row["instructor_id"]].append(row["station_id"])
    return [grouped.get(i, []) for i in instructor_ids]


async def instructors_at(station_ids: Sequence[uuid.UUID]) -> list[list[Instructor]]:
    rows = await InstructorStation.filter(station_id__in=list(station_ids)).select_related("instructor")
    grouped: dict[uuid.UUID, list[Instructor]] = defaultdict(list)
    for row in rows:
        grouped[row.station_id].append(row.instructor)
    return [grouped.get(i, []) for i in station_ids]


async def availability_of(instructor_ids: Sequence[uuid.UUID]) -> list[list[AvailabilitySlot]]:
    grouped: dict[uuid.UUID, list[AvailabilitySlot]] = defaultdict(list)
    for row in await AvailabilitySlot.filter(instructor_id__in=list(instructor_ids)).order_by("weekday",
                                                                                                "start_time"):
        grouped[row.instructor_id].append(row)
    return [grouped.get(i, []) for i in instructor_ids]


@dataclass(frozen=True)
class OpenSlot:
    starts_at: dt.datetime
    ends_at: dt.datetime
    station_id: uuid.UUID | None


async def open_slots(instructor: Instructor, start: dt.date, end: dt.date, minutes: int) -> list[OpenSlot]:
    """Bookable slots between two dates (inclusive), in the programme's zone: the weekly availability,
    cut into slots of the asked length, minus what is booked (consultations and sessions) and the past."""
    checks = Checks()
    if not 15 <= minutes <= 240:
        checks.invalid("durationMinutes", "out_of_range", min=15, max=240)
    if end < start or (end - start).days >= MAX_SLOTS_DAYS:
        checks.invalid("to", "date_range", days=MAX_SLOTS_DAYS)
    checks.raise_if_any()
    if instructor_status(instructor, today()) != CertificationStatus.ACTIVE:
        return []
    windows = await AvailabilitySlot.filter(instructor_id=instructor.id)
    first_moment = dt.datetime.combine(start, dt.time(0), tzinfo=PROGRAMME_ZONE)
    last_moment = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=PROGRAMME_ZONE)
    booked = await InstructorBooking.filter(instructor_id=instructor.id, starts_at__lt=last_moment,
                                            ends_at__gt=first_moment).values_list("starts_at", "ends_at")
    now = await db.now()
    length = dt.timedelta(minutes=minutes)
    slots = []
    day = start
    while day <= end:
        for window in sorted((w for w in windows if w.weekday == day.isoweekday()), key=lambda w: w.opens):
            moment = dt.datetime.combine(day, window.opens, tzinfo=PROGRAMME_ZONE)
            close = dt.datetime.combine(day, window.closes, tzinfo=PROGRAMME_ZONE)
            while moment + length <= close:
                if moment > now and not any(b_start < moment + length and moment < b_end for b_start, b_end in booked):
                    slots.append(OpenSlot(moment, moment + length, window.station_id))
                moment += length
        day += dt.timedelta(days=1)
    return slots


async def within_availability(instructor: Instructor, starts_at: dt.datetime, ends_at: dt.datetime
                              ) -> AvailabilitySlot | None:
    """The weekly window a booking fits in, or None."""
    start, end = starts_at.astimezone(PROGRAMME_ZONE), ends_at.astimezone(PROGRAMME_ZONE)
    if start.date() != end.date():
        return None
    for window in await AvailabilitySlot.filter(instructor_id=instructor.id, weekday=start.isoweekday()):
        if window.opens <= start.time() and end.time() <= window.closes:
            return window
    return None
