"""Home visits: propose, answer, reschedule, cancel, record, give feedback.

The life of a visit: PROPOSED → (family) CONFIRMED by accepting a slot, or
RESCHEDULE_REQUESTED with alternatives, or DECLINED → (teacher) new slots or
CANCELLED → COMPLETED when recorded; a confirmed visit left unrecorded 48 h
after its end becomes MISSED by itself. Every change locks the visit row and
checks the state it starts from.

Conflicts are impossible by construction: confirming a visit inserts one
booking per visiting teacher, and PostgreSQL refuses overlapping bookings of
a teacher (an exclusion constraint), however many families accept at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services import access, outbox, runtime, scheduler
from services.access import Principal, VisitFacts, VisitTier
from services.clock import local_label
from services.enums import (
    AlertCategory,
    AlertSeverity,
    AlertSource,
    HomeVisitDecision,
    HomeVisitStatus,
    NotificationKind,
    Role,
    Side,
)
from services.errors import Checks, ErrorCode, UserErrors
from services.home_visits.models import (
    HomeVisit,
    HomeVisitBooking,
    HomeVisitCompanion,
    HomeVisitSlot,
    HomeVisitTransition,
)
from services.home_visits.rules import (
    MAX_COMPANIONS,
    MISSED_AFTER,
    REMINDERS,
    Window,
    check_slots,
)
from services.ids import new_id
from services.notifications.service import notify
from services.organisation import home_addresses
from services.organisation.models import ClassTeacher, Guardianship, RoleAssignment, School, SchoolClass, Student
from services.wellbeing import alerts as wellbeing

TABLE = "home_visit"
OPEN = (HomeVisitStatus.PROPOSED, HomeVisitStatus.RESCHEDULE_REQUESTED, HomeVisitStatus.CONFIRMED)
MISSED_JOB = "visit_missed"
REMINDER_JOBS = {REMINDERS[0]: "visit_reminder_24h", REMINDERS[1]: "visit_reminder_2h"}


def _seal(text: str, column: str, visit_id: uuid.UUID) -> bytes:
    return runtime.current().crypto.sealer.seal(text, table=TABLE, column=column, row=visit_id)


def _seal_or_none(text: str | None, column: str, visit_id: uuid.UUID) -> bytes | None:
    return None if text is None else _seal(text, column, visit_id)


def unseal(blob: bytes | None, column: str, visit_id: uuid.UUID) -> str | None:
    if blob is None:
        return None
    return runtime.current().crypto.sealer.open(blob, table=TABLE, column=column, row=visit_id)


async def _now(tx: BaseDBAsyncClient) -> dt.datetime:
    return (await tx.execute_query_dict("SELECT now() AS now"))[0]["now"]


def _wrong_state(field: str = "homeVisitId") -> UserErrors:
    return UserErrors.one(ErrorCode.INVALID_STATE, "visit_wrong_state", field)


# --------------------------------------------------------------------------
# Who may see a visit, and how much.


# What decides a viewer's tier on a visit, beside its row (``v``, joined to its school ``s``), for any
# number of visits in one statement: its district, its companions, and whether the viewer (the
# statement's $2) is a guardian of the visited student.
VISIT_FACT_COLUMNS = """s.district_id,
       array(SELECT c.teacher_id FROM home_visit_companion c WHERE c.visit_id = v.id) AS companions,
       EXISTS (SELECT 1 FROM guardianship g WHERE g.guardian_id = $2 AND g.student_id = v.student_id) AS guarded"""
_VISIT_FACTS = f"""
SELECT v.id, {VISIT_FACT_COLUMNS}
  FROM home_visit v JOIN school s ON s.id = v.school_id
 WHERE v.id = ANY($1::uuid[])
"""


def visit_facts(visit: HomeVisit, known: dict[str, Any]) -> VisitFacts:
    """The facts of a visit from its row and the ``VISIT_FACT_COLUMNS`` read with it."""
    return VisitFacts(visit.school_id, known["district_id"], visit.lead_teacher_id,
                      frozenset(known["companions"]), known["guarded"])


async def facts_of_visits(visits: Sequence[HomeVisit], viewer: Principal,
                          using: BaseDBAsyncClient | None = None) -> dict[uuid.UUID, VisitFacts]:
    if not visits:
        return {}
    known = {r["id"]: r for r in await (using or connections.get("default")).execute_query_dict(
        _VISIT_FACTS, [[visit.id for visit in visits], viewer.user_id])}
    return {visit.id: visit_facts(visit, known[visit.id]) for visit in visits}


async def facts_of(visit: HomeVisit, viewer: Principal, using: BaseDBAsyncClient | None = None) -> VisitFacts:
    return (await facts_of_visits([visit], viewer, using))[visit.id]


async def _locked(actor: Principal, visit_id: uuid.UUID | None, tx: BaseDBAsyncClient
                  ) -> tuple[HomeVisit, VisitTier, VisitFacts]:
    visit = await HomeVisit.select_for_update().using_db(tx).get_or_none(id=visit_id) if visit_id else None
    if visit is not None:
        facts = await facts_of(visit, actor, tx)
        tier = access.visit_tier(actor, facts)
        if tier is not None:
            return visit, tier, facts
    raise UserErrors.not_found("homeVisitId")


async def _teaches(teacher_id: uuid.UUID, school_class: SchoolClass, using: BaseDBAsyncClient) -> bool:
    if school_class.homeroom_teacher_id == teacher_id:
        return True
    return await ClassTeacher.filter(school_class_id=school_class.id, teacher_id=teacher_id).using_db(using).exists()


async def _guardians(student_id: uuid.UUID, using: BaseDBAsyncClient) -> list[uuid.UUID]:
    # values_list(flat=True) gives the values themselves; tortoise types them as tuples
    return list(await Guardianship.filter(student_id=student_id).using_db(using).values_list("guardian_id", flat=True))  # type: ignore[arg-type]


async def _participants(visit: HomeVisit, using: BaseDBAsyncClient) -> list[uuid.UUID]:
    companions = await HomeVisitCompanion.filter(visit_id=visit.id).using_db(using).values_list(
        "teacher_id", flat=True)
    # values_list(flat=True) gives the values themselves; tortoise types them as tuples
    return [visit.lead_teacher_id, *companions]  # type: ignore[list-item]


async def _conflicting_slots(checks: Checks, field: str, slots: list[Window], teachers: list[uuid.UUID],
                             using: BaseDBAsyncClient, *, except_visit: uuid.UUID | None = None) -> None:
    """Slots that would clash with a confirmed visit of one of the teachers (CONFLICT, naming the slot).

    Advisory: the exclusion constraint decides when a slot is accepted.
    """
    for index, slot in enumerate(slots):
        blocked_from, blocked_until = slot.blocked
        clash = HomeVisitBooking.filter(teacher_id__in=teachers, blocked_from__lt=blocked_until,
                                        blocked_until__gt=blocked_from).using_db(using)
        if except_visit is not None:
            clash = clash.exclude(visit_id=except_visit)
        if await clash.exists():
            checks.add(ErrorCode.CONFLICT, "slot_conflict", f"{field}[{index}]", slot=local_label(slot.starts_at))


async def _open_round(visit: HomeVisit, slots: list[Window], side: Side, tx: BaseDBAsyncClient) -> None:
    await HomeVisitSlot.bulk_create([
        HomeVisitSlot(visit_id=visit.id, round=visit.round, offered_by=side, starts_at=s.starts_at, ends_at=s.ends_at)
        for s in slots], using_db=tx)
    visit.window_start, visit.window_end = min(s.starts_at for s in slots), max(s.ends_at for s in slots)
    await _save(visit, tx, "window_start", "window_end")


async def _release(visit: HomeVisit, tx: BaseDBAsyncClient) -> None:
    await HomeVisitBooking.filter(visit_id=visit.id).using_db(tx).delete()


async def _move(visit: HomeVisit, to: HomeVisitStatus, actor_id: uuid.UUID | None, side: Side | None,
                tx: BaseDBAsyncClient) -> None:
    """Change the visit's state, keeping who did it and when (the caller saves the visit)."""
    await HomeVisitTransition.create(visit_id=visit.id, from_status=visit.status if visit.status else None,
                                     to_status=to, actor_id=actor_id, side=side, using_db=tx)
    visit.status = to


async def _save(visit: HomeVisit, tx: BaseDBAsyncClient, *names: str) -> None:
    visit.updated_at = await _now(tx)
    await HomeVisit.filter(id=visit.id).using_db(tx).update(
        updated_at=visit.updated_at, **{n: getattr(visit, n) for n in names})


async def _tell(users: list[uuid.UUID], visit: HomeVisit, title: str, body: str, tx: BaseDBAsyncClient,
                **params: object) -> list[outbox.RedisOutbox]:
    return await notify(users, kind=NotificationKind.HOME_VISIT, title_key=title, body_key=body, params=params,
                        subject=("HomeVisit", visit.id), using=tx)


# --------------------------------------------------------------------------
# Proposing.


@dataclass(frozen=True)
class Proposal:
    student_id: uuid.UUID | None
    slots: list[Window]
    purpose: str
    companion_ids: list[uuid.UUID | None]
    #: A place in the teacher's words, or the home of one of the student's guardians
    #: (``names_address_guardian``, even when the id given was not a valid one); neither: the home
    #: of the guardian who accepts.
    address: str | None = None
    address_guardian_id: uuid.UUID | None = None
    names_address_guardian: bool = False


async def propose(actor: Principal, proposal: Proposal) -> HomeVisit:
    async with in_transaction() as tx:
        student = await Student.get_or_none(id=proposal.student_id, using_db=tx).select_related(
            "school_class", "school") if proposal.student_id else None
        if student is None:
            raise UserErrors.not_found("studentId")
        school: School = student.school
        teaches = await _teaches(actor.user_id, student.school_class, tx)
        if not access.may_propose_visit(actor, school_id=school.id, district_id=school.district_id,
                                        teaches_student=teaches):
            raise UserErrors.not_found("studentId")
        checks = Checks()
        if student.withdrawn_at is not None:
            checks.add(ErrorCode.INVALID_STATE, "student_withdrawn", "studentId")
        now = await _now(tx)
        slots = check_slots(checks, "slots", proposal.slots, now)
        purpose = checks.text("purpose", proposal.purpose, max_length=200)
        address = checks.text("address", proposal.address, max_length=200, required=False)
        at_home_of = await _check_address_guardian(checks, proposal, student.id, tx)
        companions = await _check_companions(checks, actor, school.id, proposal.companion_ids, tx)
        await _conflicting_slots(checks, "slots", slots, [actor.user_id, *companions], tx)
        if await HomeVisit.filter(student_id=student.id, status__in=list(OPEN)).using_db(tx).exists():
            checks.add(ErrorCode.CONFLICT, "visit_already_open", "studentId")
        checks.raise_if_any()
        assert purpose is not None
        visit_id = new_id()
        try:
            async with in_transaction() as savepoint:
                visit = await HomeVisit.create(
                    id=visit_id, student_id=student.id, school_id=school.id, lead_teacher_id=actor.user_id,
                    purpose_sealed=_seal(purpose, "purpose", visit_id),
                    address_sealed=_seal_or_none(address, "address", visit_id), address_guardian_id=at_home_of,
                    using_db=savepoint)
        except IntegrityError as error:  # another proposal for the student won the race
            raise UserErrors.one(ErrorCode.CONFLICT, "visit_already_open", "studentId") from error
        await HomeVisitCompanion.bulk_create(
            [HomeVisitCompanion(visit_id=visit.id, teacher_id=t) for t in companions], using_db=tx)
        await HomeVisitTransition.create(visit_id=visit.id, to_status=HomeVisitStatus.PROPOSED,
                                         actor_id=actor.user_id, side=Side.SCHOOL, using_db=tx)
        await _open_round(visit, slots, Side.SCHOOL, tx)
        wakeups = await _tell(await _guardians(student.id, tx), visit, "visit_proposed_title", "visit_proposed_body",
                              tx, teacher=actor.display_name)
    await outbox.flush(wakeups)
    return visit


async def _check_companions(checks: Checks, actor: Principal, school_id: uuid.UUID,
                            companion_ids: list[uuid.UUID | None], tx: BaseDBAsyncClient) -> list[uuid.UUID]:
    if len(companion_ids) > MAX_COMPANIONS:
        checks.invalid("companionTeacherIds", "too_many_items", max=MAX_COMPANIONS)
        return []
    colleagues = set(await RoleAssignment.filter(role=Role.TEACHER, school_id=school_id).using_db(tx).values_list(
        "user_id", flat=True))
    chosen: list[uuid.UUID] = []
    for index, teacher_id in enumerate(companion_ids):
        if teacher_id is None or teacher_id not in colleagues or teacher_id == actor.user_id:
            checks.invalid(f"companionTeacherIds[{index}]", "companion_not_colleague")
        elif teacher_id not in chosen:
            chosen.append(teacher_id)
    return chosen


async def _check_address_guardian(checks: Checks, proposal: Proposal, student_id: uuid.UUID,
                                  tx: BaseDBAsyncClient) -> uuid.UUID | None:
    """The guardian at whose home on file the visit is proposed, if one is named."""
    if not proposal.names_address_guardian:
        return None
    chosen = proposal.address_guardian_id
    if proposal.address is not None:
        checks.invalid("addressGuardianId", "visit_address_twice")
    elif chosen is None or chosen not in await _guardians(student_id, tx):
        checks.invalid("addressGuardianId", "visit_address_not_a_guardian")
    elif not await home_addresses.on_file([chosen], tx):
        checks.add(ErrorCode.INVALID_STATE, "visit_no_address_on_file", "addressGuardianId")
    else:
        return chosen
    return None


# --------------------------------------------------------------------------
# The family answers.


async def respond(actor: Principal, visit_id: uuid.UUID | None, decision: HomeVisitDecision,
                  accepted: Window | None, alternatives: list[Window] | None, reason: str | None) -> HomeVisit:
    async with in_transaction() as tx:
        visit, tier, facts = await _locked(actor, visit_id, tx)
        access.require(access.may_answer_visit(tier))
        if visit.status != HomeVisitStatus.PROPOSED:
            raise _wrong_state()
        checks = Checks()
        now = await _now(tx)
        teachers = [facts.lead_id, *facts.companion_ids]
        if decision == HomeVisitDecision.ACCEPT:
            wakeups = await _accept(actor, visit, accepted, teachers, now, checks, tx)
        elif decision == HomeVisitDecision.PROPOSE_ALTERNATIVES:
            slots = check_slots(checks, "alternativeSlots", alternatives or [], now)
            checks.raise_if_any()
            await _move(visit, HomeVisitStatus.RESCHEDULE_REQUESTED, actor.user_id, Side.FAMILY, tx)
            visit.round += 1
            await _save(visit, tx, "status", "round")
            await _open_round(visit, slots, Side.FAMILY, tx)
            wakeups = await _tell(teachers, visit, "visit_alternatives_title", "visit_alternatives_body", tx)
        else:
            clean = checks.text("reason", reason, max_length=500)
            checks.raise_if_any()
            await _move(visit, HomeVisitStatus.DECLINED, actor.user_id, Side.FAMILY, tx)
            visit.ended_by, visit.end_reason_sealed = Side.FAMILY, _seal_or_none(clean, "end_reason", visit.id)
            await _save(visit, tx, "status", "ended_by", "end_reason_sealed")
            wakeups = await _tell(teachers, visit, "visit_declined_title", "visit_declined_body", tx)
    await outbox.flush(wakeups)
    return visit


async def _accept(actor: Principal, visit: HomeVisit, accepted: Window | None, teachers: list[uuid.UUID],
                  now: dt.datetime, checks: Checks, tx: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    offered = await HomeVisitSlot.filter(visit_id=visit.id, round=visit.round, offered_by=Side.SCHOOL).using_db(tx)
    if accepted is None:
        checks.invalid("acceptedSlot", "required")
    elif not any(s.starts_at == accepted.starts_at and s.ends_at == accepted.ends_at for s in offered):
        checks.invalid("acceptedSlot", "visit_not_offered")
    elif accepted.starts_at <= now:
        checks.add(ErrorCode.INVALID_STATE, "slot_in_past", "acceptedSlot")
    await _check_visit_address(checks, actor, visit, tx)
    checks.raise_if_any()
    assert accepted is not None
    blocked_from, blocked_until = accepted.blocked
    try:
        async with in_transaction() as savepoint:
            await HomeVisitBooking.bulk_create([
                HomeVisitBooking(visit_id=visit.id, teacher_id=teacher, blocked_from=blocked_from,
                                 blocked_until=blocked_until)
                for teacher in teachers], using_db=savepoint)
    except IntegrityError as error:
        if getattr(error.__cause__, "sqlstate", None) != "23P01":
            raise
        # A visiting teacher has since booked this time elsewhere: nothing of the answer is kept.
        raise UserErrors.one(ErrorCode.CONFLICT, "slot_taken", "acceptedSlot",
                             slot=local_label(accepted.starts_at)) from error
    await _move(visit, HomeVisitStatus.CONFIRMED, actor.user_id, Side.FAMILY, tx)
    visit.scheduled_start, visit.scheduled_end = accepted.starts_at, accepted.ends_at
    visit.window_start, visit.window_end = accepted.starts_at, accepted.ends_at
    await _save(visit, tx, "status", "scheduled_start", "scheduled_end", "window_start", "window_end",
                "address_guardian_id")
    await _schedule_reminders(visit, now, tx)
    return await _tell(teachers, visit, "visit_confirmed_title", "visit_confirmed_body", tx,
                       when=local_label(accepted.starts_at))


async def _check_visit_address(checks: Checks, actor: Principal, visit: HomeVisit, tx: BaseDBAsyncClient) -> None:
    """Accepting a visit at a home on file discloses that address to the visiting teachers: it must
    exist, and be the accepting guardian's or shared with them. A visit left open takes the accepting
    guardian's own."""
    if visit.address_sealed is not None:
        return
    owner = visit.address_guardian_id or actor.user_id
    found = (await home_addresses.on_file([owner], tx)).get(owner)
    if found is None:
        checks.add(ErrorCode.INVALID_STATE, "visit_needs_own_address" if owner == actor.user_id
                   else "visit_address_gone", None)
    elif not access.may_accept_visit_at(actor, on_file_of=owner, shared=found.shared):
        checks.add(ErrorCode.INVALID_STATE, "visit_address_not_shared", None)
    else:
        visit.address_guardian_id = owner


async def _schedule_reminders(visit: HomeVisit, now: dt.datetime, tx: BaseDBAsyncClient) -> None:
    assert visit.scheduled_start is not None
    assert visit.scheduled_end is not None
    for ahead, kind in REMINDER_JOBS.items():
        at = visit.scheduled_start - ahead
        if at > now:
            await scheduler.schedule(kind, visit.id, at=at, using=tx)
    await scheduler.schedule(MISSED_JOB, visit.id, at=visit.scheduled_end + MISSED_AFTER, using=tx)


# --------------------------------------------------------------------------
# The school changes its plans.


async def reschedule(actor: Principal, visit_id: uuid.UUID | None, slots: list[Window]) -> HomeVisit:
    """New slots for a proposed visit, after the family asked for others, or to move a confirmed one."""
    async with in_transaction() as tx:
        visit, tier, facts = await _locked(actor, visit_id, tx)
        access.require(access.may_reschedule_visit(actor, facts))
        if visit.status not in OPEN:
            raise _wrong_state()
        checks = Checks()
        now = await _now(tx)
        good = check_slots(checks, "slots", slots, now)
        await _conflicting_slots(checks, "slots", good, [facts.lead_id, *facts.companion_ids], tx,
                                 except_visit=visit.id)
        checks.raise_if_any()
        await _release(visit, tx)
        await _move(visit, HomeVisitStatus.PROPOSED, actor.user_id, Side.SCHOOL, tx)
        visit.round += 1
        visit.scheduled_start = visit.scheduled_end = None
        await _save(visit, tx, "status", "round", "scheduled_start", "scheduled_end")
        await _open_round(visit, good, Side.SCHOOL, tx)
        wakeups = await _tell(await _guardians(visit.student_id, tx), visit, "visit_rescheduled_title",
                              "visit_rescheduled_body", tx, teacher=actor.display_name)
    await outbox.flush(wakeups)
    return visit


async def cancel(actor: Principal, visit_id: uuid.UUID | None, reason: str) -> HomeVisit:
    """The lead teacher or the family calls the visit off; who did is kept for the statistics."""
    async with in_transaction() as tx:
        visit, tier, facts = await _locked(actor, visit_id, tx)
        side = access.cancelling_side(actor, tier, facts)
        access.require(side is not None)
        assert side is not None  # refused just above otherwise
        tell = ([facts.lead_id, *facts.companion_ids] if side is Side.FAMILY
                else await _guardians(visit.student_id, tx))
        if visit.status not in OPEN:
            raise _wrong_state()
        checks = Checks()
        clean = checks.text("reason", reason, max_length=500)
        checks.raise_if_any()
        wakeups = await _call_off(visit, side, actor.user_id, clean, tell, tx)
    await outbox.flush(wakeups)
    return visit


async def _call_off(visit: HomeVisit, side: Side, actor_id: uuid.UUID | None, reason: str | None,
                    tell: list[uuid.UUID], tx: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    """An open visit cancelled: its slots freed, who ended it and why kept, ``tell`` told."""
    await _release(visit, tx)
    await _move(visit, HomeVisitStatus.CANCELLED, actor_id, side, tx)
    visit.ended_by, visit.end_reason_sealed = side, _seal_or_none(reason, "end_reason", visit.id)
    await _save(visit, tx, "status", "ended_by", "end_reason_sealed")
    return await _tell(tell, visit, "visit_cancelled_title", "visit_cancelled_body", tx)


#: The reason kept on a visit called off because its student left the school.
WITHDRAWAL_REASON = "学生已离校"


async def call_off_for_withdrawn(student_ids: Sequence[uuid.UUID], tx: BaseDBAsyncClient
                                 ) -> list[outbox.RedisOutbox]:
    """The open visits of students who have left their school, cancelled by the school: nobody is to
    knock on a family's door for a child no longer on the roll. Teachers and guardians are told."""
    wakeups: list[outbox.RedisOutbox] = []
    visits = await HomeVisit.filter(student_id__in=list(student_ids), status__in=list(OPEN)).using_db(
        tx).select_for_update()
    for visit in visits:
        tell = [*await _participants(visit, tx), *await _guardians(visit.student_id, tx)]
        wakeups += await _call_off(visit, Side.SCHOOL, None, WITHDRAWAL_REASON, tell, tx)
    return wakeups


# --------------------------------------------------------------------------
# After the visit.


@dataclass(frozen=True)
class VisitRecord:
    duration_minutes: int
    topics: list[str]
    summary: str
    follow_up_needed: bool
    #: severity, category, summary, details of a wellbeing alert to raise with the record
    alert: tuple[AlertSeverity, AlertCategory, str, str | None] | None = None


async def record(actor: Principal, visit_id: uuid.UUID | None, entry: VisitRecord) -> HomeVisit:
    """Record a visit that took place (its start has passed), by a visiting teacher; an alert
    raised with it commits with it."""
    async with in_transaction() as tx:
        visit, tier, _ = await _locked(actor, visit_id, tx)
        access.require(access.may_record_visit(tier))
        now = await _now(tx)
        if visit.status != HomeVisitStatus.CONFIRMED:
            raise _wrong_state()
        if visit.scheduled_start is None or visit.scheduled_start > now:
            raise UserErrors.one(ErrorCode.INVALID_STATE, "visit_not_started", "homeVisitId")
        checks = Checks()
        if not 1 <= entry.duration_minutes <= 600:
            checks.invalid("durationMinutes", "out_of_range", min=1, max=600)
        if not 1 <= len(entry.topics) <= 10:
            checks.invalid("topics", "out_of_range", min=1, max=10)
        topics = [t for i, t in enumerate(entry.topics[:10]) if checks.text(f"topics[{i}]", t, max_length=50)]
        summary = checks.text("summary", entry.summary, max_length=5000)
        checks.raise_if_any()
        assert summary is not None
        wakeups: list[outbox.RedisOutbox] = []
        if entry.alert is not None:
            severity, category, alert_summary, details = entry.alert
            try:
                alert, wakeups = await wellbeing.raise_within(
                    actor, tx, student_id=visit.student_id, severity=severity, category=category,
                    source=AlertSource.HOME_VISIT, summary=alert_summary, details=details, home_visit_id=visit.id)
            except UserErrors as failure:
                raise UserErrors([dataclasses.replace(e, field=f"raiseAlert.{e.field}" if e.field else "raiseAlert")
                                  for e in failure.errors]) from failure
            visit.raised_alert_id = alert.id
        await _move(visit, HomeVisitStatus.COMPLETED, actor.user_id, Side.SCHOOL, tx)
        visit.completed_at = now
        visit.recorded_by_id = actor.user_id
        visit.record_duration_minutes = entry.duration_minutes
        visit.record_topics_sealed = _seal(json.dumps(topics, ensure_ascii=False), "record_topics", visit.id)
        visit.record_summary_sealed = _seal(summary, "record_summary", visit.id)
        visit.record_follow_up_needed = entry.follow_up_needed
        await _save(visit, tx, "status", "completed_at", "recorded_by_id", "record_duration_minutes",
                    "record_topics_sealed", "record_summary_sealed", "record_follow_up_needed", "raised_alert_id")
        await _release(visit, tx)
    await outbox.flush(wakeups)
    return visit


async def give_feedback(actor: Principal, visit_id: uuid.UUID | None, stars: int, comment: str | None) -> HomeVisit:
    async with in_transaction() as tx:
        visit, tier, _ = await _locked(actor, visit_id, tx)
        access.require(access.may_answer_visit(tier))
        if visit.status != HomeVisitStatus.COMPLETED:
            raise _wrong_state()
        if visit.feedback_at is not None:
            raise UserErrors.one(ErrorCode.INVALID_STATE, "visit_feedback_given", "homeVisitId")
        checks = Checks()
        if not 1 <= stars <= 5:
            checks.invalid("stars", "out_of_range", min=1, max=5)
        clean = checks.text("comment", comment, max_length=500, required=False)
        checks.raise_if_any()
        visit.feedback_stars, visit.feedback_at = stars, await _now(tx)
        visit.feedback_comment_sealed = _seal_or_none(clean, "feedback_comment", visit.id)
        await _save(visit, tx, "feedback_stars", "feedback_comment_sealed", "feedback_at")
    return visit


# --------------------------------------------------------------------------
# The scheduler's part: reminders (sent once) and visits left unrecorded.


async def _remind(job: scheduler.Job, tx: BaseDBAsyncClient, ahead: dt.timedelta) -> list[outbox.RedisOutbox]:
    visit = await HomeVisit.get_or_none(id=job.subject_id, using_db=tx)
    if (visit is None or visit.status != HomeVisitStatus.CONFIRMED or visit.scheduled_start is None
            or visit.scheduled_start - ahead != job.due_at):
        return []  # cancelled or moved since: the moved visit has reminders of its own
    people = [*await _participants(visit, tx), *await _guardians(visit.student_id, tx)]
    return await _tell(people, visit, "visit_reminder_title", "visit_reminder_body", tx,
                       when=local_label(visit.scheduled_start))


@scheduler.handler(REMINDER_JOBS[REMINDERS[0]])
async def remind_a_day_before(job: scheduler.Job, tx: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    return await _remind(job, tx, REMINDERS[0])


@scheduler.handler(REMINDER_JOBS[REMINDERS[1]])
async def remind_two_hours_before(job: scheduler.Job, tx: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    return await _remind(job, tx, REMINDERS[1])


@scheduler.handler(MISSED_JOB)
async def mark_missed(job: scheduler.Job, tx: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    visit = await HomeVisit.select_for_update().using_db(tx).get_or_none(id=job.subject_id)
    if (visit is None or visit.status != HomeVisitStatus.CONFIRMED or visit.scheduled_end is None
            or visit.scheduled_end + MISSED_AFTER > job.due_at):
        return []
    await _move(visit, HomeVisitStatus.MISSED, None, None, tx)
    await _save(visit, tx, "status")
    await _release(visit, tx)
    return await _tell(await _participants(visit, tx), visit, "visit_missed_title", "visit_missed_body", tx)

