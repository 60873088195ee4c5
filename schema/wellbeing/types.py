"""Wellbeing alerts as the counsellors' app, the raisers and the guardians see them."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from schema.common.connection import After, Connection, First, connection, page_window
from schema.common.dataloaders import referenced
from schema.common.node import Node, gid, node_loader
from schema.common.shared_render import SharedRender
from schema.context import Context
from schema.organisation.types import School, Student, User
from schema.wellbeing.enums import (
    AlertCategory,
    AlertEventKind,
    AlertOutcome,
    AlertSeverity,
    AlertSource,
    AlertStatus,
    EscalationLevel,
    WatchLevel,
)
from services.access import AlertTier
from services.messages import CATALOG, translate
from services.wellbeing import queries
from services.wellbeing.feed import FeedEvent
from services.wellbeing.models import EscalationPolicy as PolicyRow

if TYPE_CHECKING:
    from schema.home_visits.types import HomeVisit

Info = strawberry.Info[Context, None]


@strawberry.type(description="An entry of an alert's timeline.")
class AlertTimelineEntry:
    kind: AlertEventKind = strawberry.field(description="What happened.")
    at: dt.datetime = strawberry.field(description="Timestamp it happened at.")
    level: EscalationLevel = strawberry.field(description="The alert's level after it.")
    note: str | None = strawberry.field(description="The words that came with it (a note, a reason, a resolution).")
    _actor_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Who did it; null for the escalation engine.")
    async def actor(self, info: Info) -> User | None:
        return User.of(await referenced(info.context.loaders.user.load(self._actor_id))) if self._actor_id else None


def _timeline_entry(entry: queries.TimelineEntry, info: Info) -> AlertTimelineEntry:
    note = entry.note
    if note is None and entry.reason in CATALOG:
        note = translate(entry.reason, info.context.language)
    return AlertTimelineEntry(kind=entry.kind, at=entry.at, level=entry.level, note=note, _actor_id=entry.actor_id)


@strawberry.type(description="A concern about a student's mental health, escalating until someone responsible "
                             "acknowledges it. Its details and timeline are for the counsellors responsible; "
                             "whoever raised it sees its card and status.")
class WellbeingAlert(Node):
    severity: AlertSeverity = strawberry.field(description="How serious it is.")
    category: AlertCategory = strawberry.field(description="What it is about.")
    source: AlertSource = strawberry.field(description="How it came to light.")
    status: AlertStatus = strawberry.field(description="Where it is in its life.")
    level: EscalationLevel = strawberry.field(description="Who is responsible now.")
    raised_at: dt.datetime = strawberry.field(description="Timestamp it was raised.")
    acknowledge_by: dt.datetime = strawberry.field(description="Timestamp the current level must acknowledge by.")
    acknowledged_at: dt.datetime | None = strawberry.field(description="Timestamp it was acknowledged.")
    resolved_at: dt.datetime | None = strawberry.field(description="Timestamp it was resolved.")
    _alert: strawberry.Private[queries.VisibleAlert]

    @classmethod
    def of(cls, alert: queries.VisibleAlert) -> WellbeingAlert:
        row = alert.row
        return cls(
            id=gid("WellbeingAlert", row.id), severity=row.severity, category=row.category, source=row.source,
            status=row.status, level=row.level, raised_at=row.raised_at, acknowledge_by=row.acknowledge_by,
            acknowledged_at=row.acknowledged_at, resolved_at=row.resolved_at, _alert=alert,
        )

    @property
    def _full(self) -> bool:
        return self._alert.tier is AlertTier.FULL

    @strawberry.field(description="One-line summary written by whoever raised it.")
    def summary(self) -> str:
        return queries.summary(self._alert)

    @strawberry.field(description="How it ended (resolved alerts).")
    def outcome(self) -> AlertOutcome | None:
        return self._alert.row.outcome if self._full else None

    @strawberry.field(description="The student it is about.")
    async def student(self, info: Info) -> Student:
        return Student.of(await referenced(info.context.loaders.student.load(self._alert.row.student_id)))

    @strawberry.field(description="Who acknowledged it.")
    async def acknowledged_by(self, info: Info) -> User | None:
        user_id = self._alert.row.acknowledged_by_id
        return User.of(await referenced(info.context.loaders.user.load(user_id))) if user_id else None

    @strawberry.field(description="The counsellor following it up.")
    async def assignee(self, info: Info) -> User | None:
        user_id = self._alert.row.assignee_id
        return User.of(await referenced(info.context.loaders.user.load(user_id))) if user_id else None

    @strawberry.field(description="Who raised it.")
    async def raised_by(self, info: Info) -> User | None:
        return User.of(await referenced(info.context.loaders.user.load(self._alert.row.raised_by_id)))

    @strawberry.field(description="What whoever raised it wrote beyond the summary. Every read is audited.")
    async def details(self, info: Info) -> str | None:
        return await info.context.loaders.alert_details.load(self._alert)

    @strawberry.field(description="Indicates a counsellor shared a message about it with the guardians.")
    async def shared_with_guardians(self, info: Info) -> bool | None:
        if not self._full:
            return None
        return await info.context.loaders.alert_shared.load(self._alert.row.id)

    @strawberry.field(description="Everything that happened to it, oldest first; for the counsellors responsible. "
                                  "Every read is audited.")
    async def timeline(self, info: Info) -> list[AlertTimelineEntry] | None:
        entries = await info.context.loaders.alert_timeline.load(self._alert)
        return None if entries is None else [_timeline_entry(e, info) for e in entries]

    @strawberry.field(description="The home visit it was raised from, if the viewer may see it.")
    async def home_visit(self, info: Info) -> Annotated[HomeVisit, strawberry.lazy("schema.home_visits.types")] | None:
        from schema.home_visits.types import HomeVisit as Visit

        visit_id = self._alert.row.home_visit_id
        if visit_id is None:
            return None
        found = await info.context.loaders.visible_visit.load(visit_id)
        return Visit.of(found) if found else None


@strawberry.type(description="An event on an alert, as the live feed delivers it.")
class WellbeingAlertEvent:
    cursor: str = strawberry.field(description="Position in the feed; pass it as `after` to resume from here.")
    kind: AlertEventKind = strawberry.field(description="What happened.")
    at: dt.datetime = strawberry.field(description="Timestamp it happened at.")
    alert: WellbeingAlert = strawberry.field(description="The alert as it is now.")
    #: (shared results, audience): subscribers of one audience share one rendering of the event.
    shared_audience: strawberry.Private[Any] = None

    @classmethod
    def of(cls, item: FeedEvent, tier: AlertTier, language: str) -> WellbeingAlertEvent:
        render = item.renders.setdefault("render", SharedRender())
        return cls(cursor=encode_event_cursor(item.cursor), kind=item.event.kind, at=item.event.at,
                   alert=WellbeingAlert.of(queries.VisibleAlert(item.alert, tier)),
                   shared_audience=(render, (tier, language)))


def encode_event_cursor(cursor: int) -> str:
    return base64.urlsafe_b64encode(f"e{cursor}".encode()).decode().rstrip("=")


def decode_event_cursor(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return int(text[1:]) if text[:1] == "e" and text[1:].isdigit() else None


@strawberry.type(description="What a counsellor chose to tell a child's guardians.")
class WellbeingShare(Node):
    shared_at: dt.datetime = strawberry.field(description="Timestamp it was shared.")
    message: str = strawberry.field(description="The message.")
    _counsellor_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, share: queries.Share) -> WellbeingShare:
        return cls(id=gid("WellbeingShare", share.id), shared_at=share.shared_at, message=share.message,
                   _counsellor_id=share.counsellor_id)

    @strawberry.field(description="The counsellor who wrote it.")
    async def counsellor(self, info: Info) -> User:
        return User.of(await referenced(info.context.loaders.user.load(self._counsellor_id)))


@strawberry.type(description="A move of the student to another school; the wellbeing record followed.")
class WellbeingHandoff:
    at: dt.datetime = strawberry.field(description="Timestamp of the move.")
    _from: strawberry.Private[uuid.UUID]
    _to: strawberry.Private[uuid.UUID]

    @strawberry.field(description="School the student left.")
    async def from_school(self, info: Info) -> School:
        return School.of(await referenced(info.context.loaders.school.load(self._from)))

    @strawberry.field(description="School the student joined.")
    async def to_school(self, info: Info) -> School:
        return School.of(await referenced(info.context.loaders.school.load(self._to)))


@strawberry.type(description="A student's wellbeing record, which follows them across school stages.")
class StudentWellbeing:
    _student_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="How closely the student is watched, derived from their alerts.")
    async def watch_level(self, info: Info) -> WatchLevel:
        return await info.context.loaders.watch_level_by_student.load(self._student_id)

    @strawberry.field(description="Moves between schools, oldest first.")
    async def handoffs(self, info: Info) -> list[WellbeingHandoff]:
        rows = await info.context.loaders.handoffs_by_student.load(self._student_id)
        return [WellbeingHandoff(at=r.at, _from=r.from_school_id, _to=r.to_school_id) for r in rows]

    @strawberry.field(description="The student's alerts the viewer may see, newest first.")
    async def alerts(self, info: Info, first: First = 20, after: After = None) -> Connection[WellbeingAlert]:
        size, position = page_window(first, after, info.context.language)
        page = await queries.alerts(info.context.viewer, queries.AlertFilter(student_id=self._student_id),
                                    first=size, after=position)
        return connection(page, WellbeingAlert.of)


@strawberry.type(description="The acknowledgement deadline of a severity, at each level.")
class EscalationPolicy:
    severity: AlertSeverity = strawberry.field(description="The severity.")
    acknowledge_within_minutes: int = strawberry.field(description="Minutes each level has to acknowledge.")
    follow_up_minutes: int = strawberry.field(
        description="Minutes an acknowledged HIGH or CRITICAL alert may go without activity before it moves up.")

    @classmethod
    def of(cls, row: PolicyRow) -> EscalationPolicy:
        return cls(severity=row.severity, acknowledge_within_minutes=row.acknowledge_within_minutes,
                   follow_up_minutes=row.follow_up_minutes)


@node_loader("WellbeingAlert")
async def _alert(context: Context, row_id: uuid.UUID) -> WellbeingAlert | None:
    found = await context.loaders.visible_alert.load(row_id)
    return WellbeingAlert.of(found) if found else None


@node_loader("WellbeingShare")
async def _share(context: Context, row_id: uuid.UUID) -> WellbeingShare | None:
    student_id = await queries.share_student(row_id)
    if student_id is None:
        return None
    shares = await queries.shares_for_guardians(context.viewer, student_id, share_id=row_id)
    return WellbeingShare.of(shares[0]) if shares else None
