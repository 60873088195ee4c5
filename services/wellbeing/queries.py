"""Reads of the wellbeing record: lists filtered in SQL, tiers decided by services.access,
details and timelines decrypted only with an audit row in the same transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from services import access, audit, paging, runtime
from services.access import AlertFacts, AlertTier, Principal
from services.enums import (
    AlertEventKind,
    AlertSeverity,
    AlertStatus,
    AuditAction,
    EscalationLevel,
    WatchLevel,
)
from services.organisation.models import Guardianship, StudentTransfer
from services.wellbeing.alerts import facts, placement, unseal
from services.wellbeing.models import AlertEvent, AlertShare, WellbeingAlert

RECENT = dt.timedelta(days=90)


@dataclass(frozen=True)
class VisibleAlert:
    """An alert and how much of it the viewer may see."""

    row: WellbeingAlert
    tier: AlertTier


def facts_of(row: WellbeingAlert) -> AlertFacts:
    """The facts of an alert loaded with ``student__school``."""
    school = row.student.school
    return AlertFacts(school.id, school.district_id, row.level, row.severity, row.raised_by_id)


def _with_tier(viewer: Principal, row: WellbeingAlert) -> VisibleAlert | None:
    tier = access.alert_tier(viewer, facts_of(row))
    return VisibleAlert(row, tier) if tier else None


@dataclass(frozen=True)
class AlertFilter:
    statuses: tuple[AlertStatus, ...] = ()
    severities: tuple[AlertSeverity, ...] = ()
    level: EscalationLevel | None = None
    school_id: uuid.UUID | None = None
    student_id: uuid.UUID | None = None
    raised_by_me: bool = False
    impossible: bool = False


async def alerts(viewer: Principal, wanted: AlertFilter, *, first: int, after: paging.Position | None
                 ) -> paging.Page[VisibleAlert]:
    """The alerts the viewer may see, newest first, filtered before pagination."""
    query = WellbeingAlert.filter(access.visible_alerts(viewer))
    if wanted.impossible:
        query = query.filter(access.NOTHING)
    if wanted.statuses:
        query = query.filter(status__in=list(wanted.statuses))
    if wanted.severities:
        query = query.filter(severity__in=list(wanted.severities))
    if wanted.level:
        query = query.filter(level=wanted.level)
    if wanted.school_id:
        query = query.filter(student__school_id=wanted.school_id)
    if wanted.student_id:
        query = query.filter(student_id=wanted.student_id)
    if wanted.raised_by_me:
        query = query.filter(raised_by_id=viewer.user_id)
    page = await paging.fetch(query.select_related("student__school"), order=("-raised_at", "-id"), first=first,
                              after=after)
    return page.keep([_with_tier(viewer, row) for row in page.items])


async def visible_alerts_by_id(viewer: Principal, ids: Sequence[uuid.UUID]) -> list[VisibleAlert | None]:
    rows = await WellbeingAlert.filter(id__in=list(ids)).filter(access.visible_alerts(viewer)).select_related(
        "student__school")
    found = {row.id: _with_tier(viewer, row) for row in rows}
    return [found.get(i) for i in ids]


async def alerts_by_id(ids: Sequence[uuid.UUID]) -> list[WellbeingAlert | None]:
    """Alerts reached from something the viewer already sees (a home-visit record)."""
    found = {row.id: row for row in await WellbeingAlert.filter(id__in=list(ids)).select_related("student__school")}
    return [found.get(i) for i in ids]


def summary(alert: VisibleAlert) -> str:
    return unseal(alert.row.summary_sealed, "summary", alert.row.id) or ""


async def read_details(viewer: Principal, alerts: Sequence[VisibleAlert]) -> list[str | None]:
    """Details of alerts, decrypted only once the audit rows of the read are written (one per alert)."""
    async with in_transaction() as tx:
        await audit.record_many(AuditAction.READ_ALERT, actor_id=viewer.user_id, subject_type="WellbeingAlert",
                                subject_ids=[a.row.id for a in alerts], using=tx)
    return [unseal(a.row.details_sealed, "details", a.row.id) for a in alerts]


@dataclass(frozen=True)
class TimelineEntry:
    kind: AlertEventKind
    at: dt.datetime
    actor_id: uuid.UUID | None
    level: EscalationLevel
    note: str | None
    reason: str | None


async def read_timelines(viewer: Principal, alerts: Sequence[VisibleAlert]) -> list[list[TimelineEntry] | None]:
    """Timelines of the alerts the viewer is responsible for (FULL tier), audited like details."""
    full = [a for a in alerts if a.tier is AlertTier.FULL]
    grouped: dict[uuid.UUID, list[TimelineEntry]] = defaultdict(list)
    if full:
        async with in_transaction() as tx:
            await audit.record_many(AuditAction.READ_ALERT, actor_id=viewer.user_id, subject_type="WellbeingAlert",
                                    subject_ids=[a.row.id for a in full], using=tx)
            events = await AlertEvent.filter(alert_id__in=[a.row.id for a in full]).using_db(tx).order_by("id")
        for event in events:
            note = unseal(event.note_sealed, "event_note", event.alert_id)
            grouped[event.alert_id].append(TimelineEntry(
                event.kind, event.at, event.actor_id, event.level, note, event.reason))
    return [grouped.get(a.row.id, []) if a.tier is AlertTier.FULL else None for a in alerts]


async def shared_flags(alert_ids: Sequence[uuid.UUID]) -> list[bool]:
    shared = set(await AlertShare.filter(alert_id__in=list(alert_ids)).values_list("alert_id", flat=True))
    return [i in shared for i in alert_ids]


# --------------------------------------------------------------------------
# The student's record.


@dataclass(frozen=True)
class Share:
    id: uuid.UUID
    shared_at: dt.datetime
    message: str
    counsellor_id: uuid.UUID


async def shares_for_guardians(viewer: Principal, student_id: uuid.UUID, *, share_id: uuid.UUID | None = None
                               ) -> list[Share]:
    """What counsellors told this child's guardians (one message, with ``share_id``), as far as the
    viewer may read it (access.may_read_share). Each message read is audited before it is opened."""
    is_guardian = await Guardianship.filter(student_id=student_id, guardian_id=viewer.user_id).exists()
    query = AlertShare.filter(student_id=student_id).select_related("alert")
    if share_id is not None:
        query = query.filter(id=share_id)
    rows = await query.order_by("-shared_at", "-id")
    if not rows:
        return []
    where = await placement(student_id)
    readable = [r for r in rows if access.may_read_share(
        viewer, is_guardian=is_guardian, tier=access.alert_tier(viewer, facts(r.alert, where)))]
    if not readable:
        return []
    async with in_transaction() as tx:
        await audit.record_many(AuditAction.READ_ALERT, actor_id=viewer.user_id, subject_type="WellbeingShare",
                                subject_ids=[r.id for r in readable], using=tx)
    sealer = runtime.current().crypto.sealer
    return [Share(r.id, r.shared_at, sealer.open(r.message_sealed, table="wellbeing_share", column="message", row=r.id),
                  r.counsellor_id) for r in readable]


def may_see_record(viewer: Principal, school: Any) -> bool:
    """Whether the viewer sees the wellbeing record of a student of ``school`` (their counsellors)."""
    return access.may_see_wellbeing_record(viewer, school_id=school.id, district_id=school.district_id)


async def share_student(share_id: uuid.UUID) -> uuid.UUID | None:
    """The child a shared message is about (to find it by id)."""
    row = await AlertShare.get_or_none(id=share_id)
    return row.student_id if row else None


async def watch_levels(student_ids: Sequence[uuid.UUID]) -> list[WatchLevel]:
    """CRISIS: an open CRITICAL alert; KEY_CONCERN: an open HIGH one; ATTENTION: any other open
    alert or one resolved in the last 90 days; otherwise NONE."""
    rows = await WellbeingAlert.filter(student_id__in=list(student_ids)).filter(
        Q(status__not=AlertStatus.RESOLVED) | Q(resolved_at__gte=dt.datetime.now(dt.UTC) - RECENT)
    ).values("student_id", "severity", "status")
    levels: dict[uuid.UUID, WatchLevel] = {}
    rank = list(WatchLevel)
    for row in rows:
        open_ = row["status"] != AlertStatus.RESOLVED
        level = (WatchLevel.CRISIS if open_ and row["severity"] == AlertSeverity.CRITICAL
                 else WatchLevel.KEY_CONCERN if open_ and row["severity"] == AlertSeverity.HIGH
                 else WatchLevel.ATTENTION)
        current = levels.get(row["student_id"], WatchLevel.NONE)
        levels[row["student_id"]] = max(current, level, key=rank.index)
    return [levels.get(i, WatchLevel.NONE) for i in student_ids]


async def handoffs(student_ids: Sequence[uuid.UUID]) -> list[list[StudentTransfer]]:
    """Moves between schools (not between classes of one school)."""
    rows = await StudentTransfer.filter(student_id__in=list(student_ids)).order_by("at", "id")
    grouped: dict[uuid.UUID, list[StudentTransfer]] = defaultdict(list)
    for row in rows:
        if row.from_school_id != row.to_school_id:
            grouped[row.student_id].append(row)
    return [grouped.get(i, []) for i in student_ids]
