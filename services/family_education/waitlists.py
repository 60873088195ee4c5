"""Waitlists of full in-person sessions: a freed seat goes to the first in line, in the same transaction.

Every change to a session's seats or line (registering, cancelling, joining,
leaving) first locks the session's row, so they take turns per session. Under
that lock the invariants are plain to check and cannot be raced: a person
holds a seat or a place in line, never both and never two; registrations
never exceed capacity; and a seat that frees while anyone waits is taken at
once by the first of them, so the line only exists while the session is full.
The line closes at the session's start (a scheduled job).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from services import access, db, outbox, paging, scheduler
from services.access import Principal
from services.clock import local_label
from services.enums import NotificationKind, RegistrationStatus, WaitlistStatus
from services.errors import ErrorCode, UserErrors
from services.family_education import courses
from services.family_education.models import Course, CourseSession, SessionRegistration, SessionWaitlistEntry
from services.notifications.service import notify

CLOSE_JOB = "session_waitlist_close"
#: Seats already held and seats owed: statuses of a registration that count as holding a seat.
SEATED = (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED)


async def locked_session(session_id: uuid.UUID | None, tx: BaseDBAsyncClient) -> CourseSession | None:
    """The session, its row locked until the transaction ends: seats and line change one at a time."""
    if session_id is None:
        return None
    return await CourseSession.select_for_update().using_db(tx).get_or_none(id=session_id)


async def _waiting(session_id: uuid.UUID, guardian_id: uuid.UUID, tx: BaseDBAsyncClient) -> SessionWaitlistEntry | None:
    return await SessionWaitlistEntry.filter(session_id=session_id, guardian_id=guardian_id,
                                             status=WaitlistStatus.WAITING).using_db(tx).first()


async def require_session_taker(actor: Principal, session: CourseSession, tx: BaseDBAsyncClient) -> None:
    """A session is its course's: who may not see the course finds no session, and only the course's
    audience takes a seat or a place in line."""
    course = await Course.get(id=session.course_id, using_db=tx)
    if not courses.may_see(actor, course):
        raise UserErrors.not_found("sessionId")
    courses.require_taker(actor, course, "sessionId")


async def refuse_if_waiting(session: CourseSession, guardian_id: uuid.UUID, tx: BaseDBAsyncClient) -> None:
    """Registering while in line: CONFLICT (the seat will come to them in turn)."""
    if await _waiting(session.id, guardian_id, tx) is not None:
        raise UserErrors.one(ErrorCode.CONFLICT, "waitlist_already_waiting", "sessionId")


async def join(actor: Principal, session_id: uuid.UUID | None) -> SessionWaitlistEntry:
    async with in_transaction() as tx:
        session = await locked_session(session_id, tx)
        if session is None:
            raise UserErrors.not_found("sessionId")
        await require_session_taker(actor, session, tx)
        if session.starts_at <= await db.now(tx) or session.closed_at is not None:
            raise UserErrors.one(ErrorCode.INVALID_STATE, "session_started", "sessionId")
        if await SessionRegistration.filter(session_id=session.id, guardian_id=actor.user_id,
                                            status__in=list(SEATED)).using_db(tx).exists():
            raise UserErrors.one(ErrorCode.CONFLICT, "waitlist_has_seat", "sessionId")
        held = await _waiting(session.id, actor.user_id, tx)
        if held is not None:
            return held
        if session.registered < session.capacity:
            raise UserErrors.one(ErrorCode.INVALID_STATE, "waitlist_seats_free", "sessionId")
        if await SessionWaitlistEntry.filter(session_id=session.id, status=WaitlistStatus.WAITING).using_db(
                tx).count() >= session.capacity:
            raise UserErrors.one(ErrorCode.LIMIT_EXCEEDED, "waitlist_full", "sessionId", max=session.capacity)
        entry = await SessionWaitlistEntry.create(session_id=session.id, guardian_id=actor.user_id, using_db=tx)
        await entry.refresh_from_db(using_db=tx)
        return entry


async def leave(actor: Principal, entry_id: uuid.UUID | None) -> SessionWaitlistEntry:
    """WAITING becomes LEFT and those behind move up; a PROMOTED entry's seat is given back by
    cancelling the registration instead."""
    found = await SessionWaitlistEntry.filter(access.own_family_rows(actor)).get_or_none(id=entry_id) \
        if entry_id else None
    if found is None:
        raise UserErrors.not_found("waitlistEntryId")
    async with in_transaction() as tx:
        await locked_session(found.session_id, tx)
        entry = await SessionWaitlistEntry.get(id=found.id, using_db=tx)
        if entry.status == WaitlistStatus.PROMOTED:
            raise UserErrors.one(ErrorCode.INVALID_STATE, "waitlist_promoted", "waitlistEntryId")
        if entry.status == WaitlistStatus.WAITING:
            await SessionWaitlistEntry.filter(id=entry.id).using_db(tx).update(
                status=WaitlistStatus.LEFT, left_at=await db.now(tx))
            await entry.refresh_from_db(using_db=tx)
        return entry


async def give_freed_seat(session: CourseSession, tx: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    """A seat of the locked session was just given back: the first WAITING entry takes it (a
    REGISTERED registration, the entry PROMOTED) and the person is told."""
    entry = await SessionWaitlistEntry.filter(session_id=session.id, status=WaitlistStatus.WAITING).using_db(
        tx).order_by("joined_at", "id").first()
    if entry is None:
        return []
    registration = await SessionRegistration.create(session_id=session.id, guardian_id=entry.guardian_id,
                                                    using_db=tx)
    await tx.execute_query("UPDATE course_session SET registered = registered + 1 WHERE id = $1", [session.id])
    await SessionWaitlistEntry.filter(id=entry.id).using_db(tx).update(
        status=WaitlistStatus.PROMOTED, promoted_at=await db.now(tx), registration_id=registration.id)
    course = await Course.get(id=session.course_id, using_db=tx)
    return await notify([entry.guardian_id], kind=NotificationKind.COURSE, title_key="waitlist_promoted_title",
                        body_key="waitlist_promoted_body",
                        params={"course": course.title, "when": local_label(session.starts_at)},
                        subject=("SessionRegistration", registration.id), using=tx)


@scheduler.handler(CLOSE_JOB)
async def close_at_start(job: scheduler.Job, tx: BaseDBAsyncClient) -> None:
    """At the session's start nobody more can be seated: those still waiting are CLOSED."""
    await SessionWaitlistEntry.filter(session_id=job.subject_id, status=WaitlistStatus.WAITING).using_db(tx).update(
        status=WaitlistStatus.CLOSED)


# --------------------------------------------------------------------------
# Reads.


async def lengths(session_ids: Sequence[uuid.UUID]) -> list[int]:
    """How many wait for each session: a count only, never who."""
    counts = dict(await SessionWaitlistEntry.filter(session_id__in=list(session_ids), status=WaitlistStatus.WAITING)
                  .annotate(n=Count("id")).group_by("session_id").values_list("session_id", "n"))
    return [counts.get(i, 0) for i in session_ids]


_POSITIONS = """
SELECT id, position FROM (
    SELECT id, row_number() OVER (PARTITION BY session_id ORDER BY joined_at, id) AS position
      FROM session_waitlist_entry WHERE session_id = ANY($1::uuid[]) AND status = 'WAITING') line
 WHERE id = ANY($2::uuid[])
"""


async def positions(entries: Sequence[SessionWaitlistEntry]) -> list[int | None]:
    """Each WAITING entry's place in its line (1 is next); None for the others."""
    waiting = [e for e in entries if e.status == WaitlistStatus.WAITING]
    if not waiting:
        return [None] * len(entries)
    rows = await connections.get("default").execute_query_dict(
        _POSITIONS, [list({e.session_id for e in waiting}), [e.id for e in waiting]])
    found = {r["id"]: r["position"] for r in rows}
    return [found.get(e.id) for e in entries]


async def viewer_entries(viewer: Principal, session_ids: Sequence[uuid.UUID]) -> list[SessionWaitlistEntry | None]:
    """The viewer's latest place in each session's line, left ones aside."""
    latest: dict[uuid.UUID, SessionWaitlistEntry] = {}
    for entry in await SessionWaitlistEntry.filter(access.own_family_rows(viewer), session_id__in=list(session_ids)
                                                   ).exclude(status=WaitlistStatus.LEFT).order_by("joined_at", "id"):
        latest[entry.session_id] = entry
    return [latest.get(i) for i in session_ids]


async def viewer_registrations(viewer: Principal, session_ids: Sequence[uuid.UUID]
                               ) -> list[SessionRegistration | None]:
    """The viewer's seat in each session, given back ones aside."""
    seats: dict[uuid.UUID, SessionRegistration] = {}
    for row in await SessionRegistration.filter(access.own_family_rows(viewer), session_id__in=list(session_ids)
                                                ).exclude(status=RegistrationStatus.CANCELLED):
        seats[row.session_id] = row
    return [seats.get(i) for i in session_ids]


async def my_places(viewer: Principal, *, upcoming: bool, first: int, after: paging.Position | None
                    ) -> paging.Page[SessionWaitlistEntry]:
    """The viewer's places in line (left ones aside), soonest session first."""
    query = SessionWaitlistEntry.filter(access.own_family_rows(viewer)).exclude(status=WaitlistStatus.LEFT)
    if upcoming:
        query = query.filter(session__ends_at__gt=await db.now())
    return await paging.fetch(query.select_related("session"), order=("session__starts_at", "id"), first=first,
                              after=after)


async def entries_by_id(viewer: Principal, ids: Sequence[uuid.UUID]) -> list[SessionWaitlistEntry | None]:
    return await db.rows_by_id(SessionWaitlistEntry, ids, access.own_family_rows(viewer))
