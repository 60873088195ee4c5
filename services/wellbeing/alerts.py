"""Raising, acknowledging, escalating and resolving wellbeing alerts.

Designed like an on-call pager. An alert starts at the student's school; if
nobody there acknowledges it before its deadline it moves up (SCHOOL →
DISTRICT → CITY) and the new level is paged; at CITY it is re-paged at every
further deadline until someone acknowledges. CRITICAL alerts page the
district at once. A raise that returned success is never lost: the alert,
its first deadline, its notifications, its events and its audit row commit in
one transaction, and the deadline lives in PostgreSQL (services.scheduler).

Every change locks the alert row first, so concurrent acknowledgements,
escalations and deadline runs apply one after the other.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from services import access, audit, outbox, runtime, scheduler
from services.access import AlertFacts, AlertTier, Principal
from services.enums import (
    AlertCategory,
    AlertEventKind,
    AlertOutcome,
    AlertSeverity,
    AlertSource,
    AlertStatus,
    AuditAction,
    EscalationLevel,
    NotificationKind,
    Role,
)
from services.errors import Checks, ErrorCode, UserErrors
from services.family_education import consultations
from services.ids import new_id
from services.messages import ref
from services.notifications.service import notify
from services.organisation.models import Guardianship, RoleAssignment, School, Student
from services.wellbeing import events
from services.wellbeing.events import NewEvent
from services.wellbeing.models import AlertShare, EscalationPolicy, WellbeingAlert

DEADLINE_JOB = "alert_deadline"
FOLLOW_UP_JOB = "alert_follow_up"
TABLE = "wellbeing_alert"
MIN_POLICY_MINUTES, MAX_POLICY_MINUTES = 1, 7 * 24 * 60
#: Severities whose acknowledged alerts are re-escalated when nobody follows them up.
FOLLOWED_UP = (AlertSeverity.HIGH, AlertSeverity.CRITICAL)


def seal(text: str, column: str, alert_id: uuid.UUID) -> bytes:
    return runtime.current().crypto.sealer.seal(text, table=TABLE, column=column, row=alert_id)


def unseal(blob: bytes | None, column: str, alert_id: uuid.UUID) -> str | None:
    if blob is None:
        return None
    return runtime.current().crypto.sealer.open(blob, table=TABLE, column=column, row=alert_id)


@dataclass(frozen=True)
class Placement:
    """Where the student is now: decides who is responsible for the alert."""

    school_id: uuid.UUID
    district_id: uuid.UUID
    school_name: str


async def placement(student_id: uuid.UUID, using: BaseDBAsyncClient | None = None) -> Placement:
    query = Student.filter(id=student_id).select_related("school")
    student = await (query.using_db(using) if using else query).get()
    school: School = student.school
    return Placement(school.id, school.district_id, school.name)


def facts(alert: WellbeingAlert, where: Placement) -> AlertFacts:
    return AlertFacts(where.school_id, where.district_id, alert.level, alert.severity,
                      alert.raised_by_id)


async def responders(level: EscalationLevel, where: Placement, using: BaseDBAsyncClient) -> list[uuid.UUID]:
    """The counsellors paged at a level."""
    query = RoleAssignment.filter(role=Role.COUNSELLOR).using_db(using)
    if level == EscalationLevel.SCHOOL:
        query = query.filter(school_id=where.school_id)
    elif level == EscalationLevel.DISTRICT:
        query = query.filter(district_id=where.district_id)
    else:
        query = query.filter(school_id__isnull=True, district_id__isnull=True, station_id__isnull=True)
    # values_list(flat=True) gives the values themselves; tortoise types them as tuples
    return list(dict.fromkeys(await query.values_list("user_id", flat=True)))  # type: ignore[arg-type]


async def _city_admins(using: BaseDBAsyncClient) -> list[uuid.UUID]:
    # values_list(flat=True) gives the values themselves; tortoise types them as tuples
    return list(await RoleAssignment.filter(role=Role.CITY_ADMIN).using_db(using).values_list("user_id", flat=True))  # type: ignore[arg-type]


class _Change:
    """Events, pages and audit of one change to one alert, written together at the end."""

    def __init__(self, alert: WellbeingAlert, where: Placement, actor_id: uuid.UUID | None, tx: BaseDBAsyncClient):
        self.alert, self.where, self.actor_id, self.tx = alert, where, actor_id, tx
        self.events: list[NewEvent] = []
        self.wakeups: list[outbox.RedisOutbox] = []

    def event(self, kind: AlertEventKind, *, note: str | None = None, reason: str | None = None) -> None:
        note_sealed = None
        if note is not None:
            # Each event's words are bound to the alert row too; a per-event column tag keeps them distinct.
            note_sealed = seal(note, "event_note", self.alert.id)
        self.events.append(NewEvent(self.alert.id, kind, self.alert.level, self.actor_id, note_sealed, reason))

    async def page(self, level: EscalationLevel, *, title: str, body: str) -> bool:
        """Notify the responders of ``level``; False when there is nobody there."""
        users = await responders(level, self.where, self.tx)
        if not users and level == EscalationLevel.CITY:
            users = await _city_admins(self.tx)  # the last resort is never nobody
        if not users:
            return False
        self.wakeups += await notify(
            users, kind=NotificationKind.ALERT, title_key=title, body_key=body,
            params={"school": self.where.school_name, "severity": ref(f"severity_{self.alert.severity}"),
                    "level": ref(f"level_{self.alert.level}")},
            subject=("WellbeingAlert", self.alert.id), urgent=True, using=self.tx,
        )
        return True

    async def finish(self) -> list[outbox.RedisOutbox]:
        await audit.record(AuditAction.UPDATE_ALERT, actor_id=self.actor_id, subject_type="WellbeingAlert",
                           subject_id=self.alert.id, using=self.tx)
        return self.wakeups + await events.record(self.events, using=self.tx)


async def _now(tx: BaseDBAsyncClient) -> dt.datetime:
    return (await tx.execute_query_dict("SELECT now() AS now"))[0]["now"]


async def _page_current_level(change: _Change) -> None:
    """Page the alert's level; where nobody can answer, move up at once (never page an empty room).

    The event that caused the page (RAISED, ESCALATED) records it; NOTIFIED marks the pages that
    have no such event (the district on a crisis, the city again at each deadline).
    """
    alert = change.alert
    while not await change.page(alert.level, title="alert_title", body="alert_body"):
        if alert.level == EscalationLevel.CITY:
            break  # nobody at all is configured (not even a city administrator)
        alert.level = alert.level.above()
        change.event(AlertEventKind.ESCALATED, reason="no_responder")


async def _set_deadline(change: _Change, now: dt.datetime) -> None:
    """The alert's one pending deadline: an earlier one it replaces is cancelled."""
    alert = change.alert
    alert.acknowledge_by = now + dt.timedelta(minutes=alert.acknowledge_within_minutes)
    await scheduler.cancel(DEADLINE_JOB, alert.id, using=change.tx)
    await scheduler.schedule(DEADLINE_JOB, alert.id, at=alert.acknowledge_by, using=change.tx)


# --------------------------------------------------------------------------
# Raising.


async def _instructor_consults(actor: Principal, student_id: uuid.UUID, tx: BaseDBAsyncClient) -> bool:
    """Whether the actor, as an instructor, counsels this child's family (a consultation about the child)."""
    if not access.is_instructor(actor):
        return False
    return await consultations.instructor_consults(actor.user_id, student_id, tx)


def _source_fits(source: AlertSource, *, is_staff: bool, is_guardian: bool, consults: bool) -> bool:
    if is_staff:
        return source not in (AlertSource.GUARDIAN_REPORT, AlertSource.INSTRUCTOR)
    if is_guardian:
        return source == AlertSource.GUARDIAN_REPORT
    return consults and source == AlertSource.INSTRUCTOR


async def raise_alert(actor: Principal, *, student_id: uuid.UUID | None, severity: AlertSeverity,
                      category: AlertCategory, source: AlertSource, summary: str, details: str | None
                      ) -> WellbeingAlert:
    async with in_transaction() as tx:
        alert, wakeups = await raise_within(actor, tx, student_id=student_id, severity=severity, category=category,
                                            source=source, summary=summary, details=details)
    await outbox.flush(wakeups)
    return alert


async def raise_within(actor: Principal, tx: BaseDBAsyncClient, *, student_id: uuid.UUID | None,
                       severity: AlertSeverity, category: AlertCategory, source: AlertSource, summary: str,
                       details: str | None, home_visit_id: uuid.UUID | None = None
                       ) -> tuple[WellbeingAlert, list[outbox.RedisOutbox]]:
    """Raise an alert inside the caller's transaction (a home-visit record raises one with itself);
    the caller flushes the returned wake-ups after its commit."""
    student = await Student.get_or_none(id=student_id, using_db=tx) if student_id else None
    not_found = UserErrors.one(ErrorCode.NOT_FOUND, "not_found", "studentId")
    if student is None:
        raise not_found
    where = await placement(student.id, tx)
    is_guardian = await Guardianship.filter(student_id=student.id, guardian_id=actor.user_id).using_db(tx).exists()
    consults = await _instructor_consults(actor, student.id, tx)
    if not access.may_raise_alert(actor, school_id=where.school_id, district_id=where.district_id,
                                  is_guardian=is_guardian, consults_instructor=consults):
        raise not_found
    is_staff = access.is_school_staff(actor, school_id=where.school_id, district_id=where.district_id)
    checks = Checks()
    clean_summary = checks.text("summary", summary, max_length=500)
    clean_details = checks.text("details", details, max_length=5000, required=False)
    if not _source_fits(source, is_staff=is_staff, is_guardian=is_guardian, consults=consults):
        checks.invalid("source", "alert_source_not_yours")
    checks.raise_if_any()
    assert clean_summary is not None
    policy = await EscalationPolicy.get(severity=severity, using_db=tx)
    now = await _now(tx)
    alert_id = new_id()
    alert = await WellbeingAlert.create(
        id=alert_id, student_id=student.id, severity=severity, category=category, source=source,
        summary_sealed=seal(clean_summary, "summary", alert_id),
        details_sealed=seal(clean_details, "details", alert_id) if clean_details else None,
        raised_by_id=actor.user_id, raised_at=now, acknowledge_within_minutes=policy.acknowledge_within_minutes,
        follow_up_minutes=policy.follow_up_minutes, acknowledge_by=now, last_activity_at=now,
        home_visit_id=home_visit_id, using_db=tx,
    )
    change = _Change(alert, where, actor.user_id, tx)
    change.event(AlertEventKind.RAISED)
    await _page_current_level(change)
    if severity == AlertSeverity.CRITICAL and alert.level == EscalationLevel.SCHOOL:
        # A crisis pages the district centre at once, while the school has its deadline.
        if await change.page(EscalationLevel.DISTRICT, title="alert_title", body="alert_critical_body"):
            change.event(AlertEventKind.NOTIFIED, reason="critical_district")
    await _set_deadline(change, now)
    await WellbeingAlert.filter(id=alert.id).using_db(tx).update(level=alert.level,
                                                                 acknowledge_by=alert.acknowledge_by)
    return alert, await change.finish()


# --------------------------------------------------------------------------
# Changes by counsellors.


async def _locked(actor: Principal, alert_id: uuid.UUID | None, tx: BaseDBAsyncClient,
                  field: str = "alertId") -> tuple[WellbeingAlert, Placement]:
    """The alert, locked, if the actor is responsible for it (FULL tier); NOT_FOUND otherwise."""
    alert = await WellbeingAlert.select_for_update().using_db(tx).get_or_none(id=alert_id) if alert_id else None
    if alert is not None:
        where = await placement(alert.student_id, tx)
        if access.alert_tier(actor, facts(alert, where)) is AlertTier.FULL:
            return alert, where
    raise UserErrors.one(ErrorCode.NOT_FOUND, "not_found", field)


async def _save(alert: WellbeingAlert, tx: BaseDBAsyncClient, *names: str) -> None:
    await WellbeingAlert.filter(id=alert.id).using_db(tx).update(**{n: getattr(alert, n) for n in names})


async def acknowledge(actor: Principal, alert_id: uuid.UUID | None) -> WellbeingAlert:
    """Stop the escalation clock. Acknowledging again (by anyone) changes nothing."""
    async with in_transaction() as tx:
        alert, where = await _locked(actor, alert_id, tx)
        if alert.status != AlertStatus.OPEN:
            return alert
        now = await _now(tx)
        alert.status, alert.acknowledged_at, alert.last_activity_at = AlertStatus.ACKNOWLEDGED, now, now
        alert.acknowledged_by_id = actor.user_id
        await _save(alert, tx, "status", "acknowledged_at", "acknowledged_by_id", "last_activity_at")
        await scheduler.cancel(DEADLINE_JOB, alert.id, using=tx)
        if alert.severity in FOLLOWED_UP:
            await scheduler.schedule(FOLLOW_UP_JOB, alert.id, at=now + dt.timedelta(minutes=alert.follow_up_minutes),
                                     using=tx)
        change = _Change(alert, where, actor.user_id, tx)
        change.event(AlertEventKind.ACKNOWLEDGED)
        wakeups = await change.finish()
    await outbox.flush(wakeups)
    return alert


async def _move_up(change: _Change, now: dt.datetime, *, reason: str | None = None, note: str | None = None) -> None:
    """One level up (re-paging at CITY), open again with a fresh deadline."""
    alert = change.alert
    alert.level = alert.level.above()
    alert.status = AlertStatus.OPEN
    change.event(AlertEventKind.ESCALATED, reason=reason, note=note)
    await _page_current_level(change)
    await _set_deadline(change, now)
    await _save(alert, change.tx, "level", "status", "acknowledge_by")


async def escalate(actor: Principal, alert_id: uuid.UUID | None, reason: str) -> WellbeingAlert:
    checks = Checks()
    clean_reason = checks.text("reason", reason, max_length=1000)
    checks.raise_if_any()
    async with in_transaction() as tx:
        alert, where = await _locked(actor, alert_id, tx)
        if alert.status == AlertStatus.RESOLVED:
            raise UserErrors.one(ErrorCode.INVALID_STATE, "alert_resolved", "alertId")
        if alert.level == EscalationLevel.CITY:
            raise UserErrors.one(ErrorCode.INVALID_STATE, "alert_at_top_level", "alertId")
        now = await _now(tx)
        change = _Change(alert, where, actor.user_id, tx)
        await _move_up(change, now, note=clean_reason)
        wakeups = await change.finish()
    await outbox.flush(wakeups)
    return alert


async def assign(actor: Principal, alert_id: uuid.UUID | None, assignee_id: uuid.UUID | None) -> WellbeingAlert:
    """Give the alert to a counsellor who is responsible for it too."""
    from services.identity import principals

    async with in_transaction() as tx:
        alert, where = await _locked(actor, alert_id, tx)
        assignee = await principals.of_user(assignee_id, using=tx) if assignee_id else None
        if assignee is None or access.alert_tier(assignee, facts(alert, where)) is not AlertTier.FULL:
            raise UserErrors.one(ErrorCode.INVALID_INPUT, "assignee_not_responsible", "assigneeId")
        now = await _now(tx)
        alert.assignee_id, alert.last_activity_at = assignee.user_id, now
        await _save(alert, tx, "assignee_id", "last_activity_at")
        change = _Change(alert, where, actor.user_id, tx)
        change.event(AlertEventKind.ASSIGNED)
        change.wakeups += await notify(
            [assignee.user_id], kind=NotificationKind.ALERT, title_key="alert_assigned_title",
            body_key="alert_assigned_body", params={"school": where.school_name},
            subject=("WellbeingAlert", alert.id), urgent=True, using=tx,
        )
        wakeups = await change.finish()
    await outbox.flush(wakeups)
    return alert


async def add_note(actor: Principal, alert_id: uuid.UUID | None, body: str) -> WellbeingAlert:
    checks = Checks()
    clean = checks.text("body", body, max_length=5000)
    checks.raise_if_any()
    async with in_transaction() as tx:
        alert, where = await _locked(actor, alert_id, tx)
        alert.last_activity_at = await _now(tx)
        await _save(alert, tx, "last_activity_at")
        change = _Change(alert, where, actor.user_id, tx)
        change.event(AlertEventKind.NOTE_ADDED, note=clean)
        wakeups = await change.finish()
    await outbox.flush(wakeups)
    return alert


async def resolve(actor: Principal, alert_id: uuid.UUID | None, resolution: str, outcome: AlertOutcome
                  ) -> WellbeingAlert:
    checks = Checks()
    clean = checks.text("resolution", resolution, max_length=5000)
    checks.raise_if_any()
    assert clean is not None
    async with in_transaction() as tx:
        alert, where = await _locked(actor, alert_id, tx)
        if alert.status == AlertStatus.RESOLVED:
            raise UserErrors.one(ErrorCode.INVALID_STATE, "alert_resolved", "alertId")
        now = await _now(tx)
        alert.status, alert.resolved_at, alert.outcome, alert.last_activity_at = AlertStatus.RESOLVED, now, outcome, now
        alert.resolved_by_id = actor.user_id
        alert.resolution_sealed = seal(clean, "resolution", alert.id)
        await _save(alert, tx, "status", "resolved_at", "resolved_by_id", "outcome", "resolution_sealed",
                    "last_activity_at")
        # Nothing is due for a resolved alert: its deadline and follow-up end here, not as no-ops later.
        await scheduler.cancel(DEADLINE_JOB, alert.id, using=tx)
        await scheduler.cancel(FOLLOW_UP_JOB, alert.id, using=tx)
        change = _Change(alert, where, actor.user_id, tx)
        change.event(AlertEventKind.RESOLVED, note=clean)
        wakeups = await change.finish()
    await outbox.flush(wakeups)
    return alert


async def share_with_guardians(actor: Principal, alert_id: uuid.UUID | None, message: str) -> WellbeingAlert:
    """Tell the child's guardians something; nothing else of the record reaches them."""
    checks = Checks()
    clean = checks.text("message", message, max_length=2000)
    checks.raise_if_any()
    assert clean is not None
    async with in_transaction() as tx:
        alert, where = await _locked(actor, alert_id, tx)
        share_id = new_id()
        await AlertShare.create(
            id=share_id, alert_id=alert.id, student_id=alert.student_id, counsellor_id=actor.user_id,
            message_sealed=runtime.current().crypto.sealer.seal(clean, table="wellbeing_share", column="message",
                                                                row=share_id),
            using_db=tx,
        )
        alert.last_activity_at = await _now(tx)
        await _save(alert, tx, "last_activity_at")
        change = _Change(alert, where, actor.user_id, tx)
        change.event(AlertEventKind.SHARED_WITH_GUARDIANS)
        guardians = await Guardianship.filter(student_id=alert.student_id).using_db(tx).values_list(
            "guardian_id", flat=True)
        change.wakeups += await notify(
            # values_list(flat=True) gives the values themselves; tortoise types them as tuples
            guardians,  # type: ignore[arg-type]
            kind=NotificationKind.ALERT, title_key="share_title", body_key="share_body",
            params={"school": where.school_name}, subject=("Student", alert.student_id),
            using=tx,
        )
        wakeups = await change.finish()
    await outbox.flush(wakeups)
    return alert


# --------------------------------------------------------------------------
# The escalation engine (run by services.scheduler in any process).


@scheduler.handler(DEADLINE_JOB)
async def on_deadline(job: scheduler.Job, tx: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    alert = await WellbeingAlert.select_for_update().using_db(tx).get(id=job.subject_id)
    if alert.status != AlertStatus.OPEN or job.due_at < alert.acknowledge_by:
        return []  # acknowledged, resolved, or given a later deadline since (a newer job owns it)
    now = await _now(tx)
    where = await placement(alert.student_id, tx)
    change = _Change(alert, where, None, tx)
    if alert.level == EscalationLevel.CITY:
        # The last responders are paged again at every deadline until someone acknowledges.
        change.event(AlertEventKind.NOTIFIED, reason="deadline_repage")
        await change.page(EscalationLevel.CITY, title="alert_title", body="alert_overdue_body")
        await _set_deadline(change, now)
        await _save(alert, tx, "acknowledge_by")
        return await change.finish()
    # After an outage several deadlines may have passed: go straight to the level the alert
    # should be at by now and page it once, not a burst of outdated pages.
    window = dt.timedelta(minutes=alert.acknowledge_within_minutes)
    missed_before = math.floor((now - alert.acknowledge_by) / window)
    if missed_before and alert.level.above() != EscalationLevel.CITY:
        alert.level = alert.level.above()
    await _move_up(change, now, reason="deadline_missed_collapsed" if missed_before else "deadline_missed")
    return await change.finish()


@scheduler.handler(FOLLOW_UP_JOB)
async def on_follow_up(job: scheduler.Job, tx: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    """An acknowledged HIGH or CRITICAL alert that nobody has touched for its follow-up period."""
    alert = await WellbeingAlert.select_for_update().using_db(tx).get(id=job.subject_id)
    if alert.status != AlertStatus.ACKNOWLEDGED:
        return []
    now = await _now(tx)
    quiet_until = alert.last_activity_at + dt.timedelta(minutes=alert.follow_up_minutes)
    if quiet_until > now:
        await scheduler.schedule(FOLLOW_UP_JOB, alert.id, at=quiet_until, using=tx)
        return []
    where = await placement(alert.student_id, tx)
    change = _Change(alert, where, None, tx)
    if alert.level == EscalationLevel.CITY:
        alert.status = AlertStatus.OPEN
        change.event(AlertEventKind.NOTIFIED, reason="follow_up_overdue")
        await _page_current_level(change)
        await _set_deadline(change, now)
        await _save(alert, tx, "status", "acknowledge_by")
    else:
        await _move_up(change, now, reason="follow_up_overdue")
    return await change.finish()


# --------------------------------------------------------------------------
# Escalation policies.


async def policies() -> list[EscalationPolicy]:
    order = list(AlertSeverity)
    return sorted(await EscalationPolicy.all(), key=lambda p: order.index(p.severity))


async def set_policy(actor: Principal, severity: AlertSeverity, minutes: int) -> EscalationPolicy:
    """Change the acknowledgement deadline of a severity; alerts already raised keep theirs."""
    checks = Checks()
    if not MIN_POLICY_MINUTES <= minutes <= MAX_POLICY_MINUTES:
        checks.invalid("acknowledgeWithinMinutes", "out_of_range", min=MIN_POLICY_MINUTES, max=MAX_POLICY_MINUTES)
    checks.raise_if_any()
    await EscalationPolicy.filter(severity=severity).update(acknowledge_within_minutes=minutes,
                                                            updated_by_id=actor.user_id)
    return await EscalationPolicy.get(severity=severity)


# --------------------------------------------------------------------------
# The record follows the student (called by organisation.transfer_student).


async def hand_off(student_id: uuid.UUID, *, actor_id: uuid.UUID | None, using: BaseDBAsyncClient
                   ) -> list[outbox.RedisOutbox]:
    """After a transfer: every alert of the student gets a HANDOFF event (its responsible
    counsellors are now the new school's, district's) and the new school's counsellors are told.

    Nobody-responsible is never left standing, even for a moment: an alert still open or
    acknowledged whose level has no counsellor in the new place moves up at once to the first
    level that has one (paged, with a fresh deadline); one at district level pages the new
    district; an open CRITICAL alert at school level pages the new district too, as a raise would.
    """
    alerts = await WellbeingAlert.select_for_update().using_db(using).filter(student_id=student_id).order_by(
        "raised_at")
    if not alerts:
        return []
    where = await placement(student_id, using)
    counsellors = await responders(EscalationLevel.SCHOOL, where, using)
    wakeups = await notify(counsellors, kind=NotificationKind.HANDOFF, title_key="handoff_title",
                           body_key="handoff_body", params={"school": where.school_name},
                           subject=("Student", student_id), using=using)
    now = await _now(using)
    for alert in alerts:
        change = _Change(alert, where, actor_id, using)
        change.event(AlertEventKind.HANDOFF)
        if alert.status != AlertStatus.RESOLVED:
            await _make_responsible(change, now)
        wakeups += await change.finish()
    return wakeups


async def _make_responsible(change: _Change, now: dt.datetime) -> None:
    """Someone in the alert's new place answers for it now (see hand_off)."""
    alert = change.alert
    if not await responders(alert.level, change.where, change.tx):
        if alert.level == EscalationLevel.CITY:
            return  # the city's counsellors did not change; the last resort pages city administrators
        alert.status = AlertStatus.OPEN
        alert.level = alert.level.above()
        change.event(AlertEventKind.ESCALATED, reason="no_responder")
        await _page_current_level(change)
        await _set_deadline(change, now)
        await _save(alert, change.tx, "level", "status", "acknowledge_by")
    elif alert.level == EscalationLevel.DISTRICT:
        if await change.page(EscalationLevel.DISTRICT, title="alert_title", body="alert_body"):
            change.event(AlertEventKind.NOTIFIED, reason="handoff")
    if (alert.severity == AlertSeverity.CRITICAL and alert.status == AlertStatus.OPEN
            and alert.level == EscalationLevel.SCHOOL
            and await change.page(EscalationLevel.DISTRICT, title="alert_title", body="alert_critical_body")):
        change.event(AlertEventKind.NOTIFIED, reason="critical_district")
