"""Home visits as the teachers, the families and the schools see them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql.pyutils import AwaitableOrValue

from schema.common.dataloaders import referenced, referenced_all, then
from schema.common.node import Node, gid, node_loader
from schema.context import Context
from schema.home_visits.enums import HomeVisitStatus, VisitSide
from schema.organisation.types import Student, User
from services.access import VisitTier
from services.home_visits import queries
from services.home_visits.queries import VisibleVisit

if TYPE_CHECKING:
    from schema.wellbeing.types import WellbeingAlert

Info = strawberry.Info[Context, None]


@strawberry.type(description="A span of time.")
class TimeWindow:
    starts_at: dt.datetime = strawberry.field(description="Timestamp it starts at.")
    ends_at: dt.datetime = strawberry.field(description="Timestamp it ends at.")


@strawberry.type(description="A change of a visit's state: who made it and when.")
class HomeVisitTransition:
    status: HomeVisitStatus = strawberry.field(description="The state it moved to.")
    at: dt.datetime = strawberry.field(description="Timestamp of the change.")
    side: VisitSide | None = strawberry.field(description="Who made it: the school or the family (null: the "
                                                          "programme itself, a visit left unrecorded).")
    _actor_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The person who made it.")
    async def actor(self, info: Info) -> User | None:
        return User.of(await referenced(info.context.loaders.user.load(self._actor_id))) if self._actor_id else None


@strawberry.type(description="What the family thought of a visit.")
class HomeVisitFeedback:
    stars: int = strawberry.field(description="One to five stars.")
    comment: str | None = strawberry.field(description="Their words.")


@strawberry.type(description="The visiting teachers' record of a visit that took place.")
class HomeVisitRecord:
    completed_at: dt.datetime = strawberry.field(description="Timestamp it was recorded.")
    duration_minutes: int = strawberry.field(description="How long the visit lasted.")
    topics: list[str] = strawberry.field(description="What was talked about.")
    summary: str = strawberry.field(description="What happened.")
    follow_up_needed: bool = strawberry.field(description="Indicates the family needs a follow-up.")
    _alert_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The wellbeing alert raised with the record, as far as the viewer may see it.")
    async def raised_alert(
        self, info: Info
    ) -> Annotated[WellbeingAlert, strawberry.lazy("schema.wellbeing.types")] | None:
        from schema.wellbeing.types import WellbeingAlert as Alert

        if self._alert_id is None:
            return None
        found = await info.context.loaders.visible_alert.load(self._alert_id)
        return Alert.of(found) if found else None


@strawberry.type(description="A teacher's visit to a student's home. The address and purpose are for the visiting "
                             "teachers and the family; the school sees that a visit exists and when.")
class HomeVisit(Node):
    status: HomeVisitStatus = strawberry.field(description="Where it is in its life.")
    created_at: dt.datetime = strawberry.field(description="Timestamp it was proposed.")
    _visit: strawberry.Private[VisibleVisit]

    @classmethod
    def of(cls, visit: VisibleVisit) -> HomeVisit:
        return cls(id=gid("HomeVisit", visit.row.id), status=visit.row.status, created_at=visit.row.created_at,
                   _visit=visit)

    @property
    def _close(self) -> bool:
        return queries.is_close(self._visit)

    @strawberry.field(description="Why the teacher wants to visit; for the visiting teachers and the family.")
    def purpose(self) -> str | None:
        return queries.purpose(self._visit)

    @strawberry.field(description="Where the visit takes place: a place the teacher wrote, for the visiting teachers "
                                  "and the family; or a guardian's address on file, read live, for the visiting "
                                  "teachers from confirmation until the visit ends and for the family members who "
                                  "may read that address. Every read is audited.")
    async def address(self, info: Info) -> str | None:
        if not self._close:
            return None
        return await info.context.loaders.visit_address.load(self._visit)

    @strawberry.field(description="When it takes place, once confirmed.")
    def scheduled_window(self) -> TimeWindow | None:
        row = self._visit.row
        if row.scheduled_start is None or row.scheduled_end is None:
            return None
        return TimeWindow(starts_at=row.scheduled_start, ends_at=row.scheduled_end)

    @strawberry.field(description="The slots of the current round: the teacher's offer, or the family's "
                                  "alternatives while a reschedule is requested.", graphql_type=list[TimeWindow])
    def proposed_slots(self, info: Info) -> AwaitableOrValue[list[TimeWindow]]:
        return then(info.context.loaders.visit_slots.load(self._visit.row),
                    lambda slots: [TimeWindow(starts_at=s.starts_at, ends_at=s.ends_at) for s in slots])

    @strawberry.field(description="The student visited.")
    async def student(self, info: Info) -> Student:
        return Student.of(await referenced(info.context.loaders.student.load(self._visit.row.student_id)))

    @strawberry.field(description="The lead teacher.", graphql_type=User)
    def teacher(self, info: Info) -> AwaitableOrValue[User]:
        lead_id = self._visit.row.lead_teacher_id
        return then(info.context.loaders.named(lead_id), User.of)

    @strawberry.field(description="Other teachers of the school who come along.")
    async def companions(self, info: Info) -> list[User]:
        ids = await info.context.loaders.visit_companions.load(self._visit.row.id)
        return [User.of(u) for u in await referenced_all(info.context.loaders.user.load_many(ids))]

    @strawberry.field(description="The visiting teachers' record, once completed; for the visiting teachers.")
    def record(self) -> HomeVisitRecord | None:
        row = self._visit.row
        if self._visit.tier is not VisitTier.VISITING or row.completed_at is None:
            return None
        return HomeVisitRecord(
            completed_at=row.completed_at, duration_minutes=row.record_duration_minutes or 0,
            topics=queries.record_topics(self._visit), summary=queries.record_summary(self._visit) or "",
            follow_up_needed=bool(row.record_follow_up_needed), _alert_id=row.raised_alert_id,
        )

    @strawberry.field(description="The family's feedback, once given.")
    def guardian_feedback(self) -> HomeVisitFeedback | None:
        row = self._visit.row
        if row.feedback_stars is None or not self._close:
            return None
        return HomeVisitFeedback(stars=row.feedback_stars, comment=queries.feedback_comment(self._visit))

    @strawberry.field(description="Every change of state, oldest first; for the visiting teachers and the family.")
    async def history(self, info: Info) -> list[HomeVisitTransition] | None:
        if not self._close:
            return None
        rows = await info.context.loaders.visit_transitions.load(self._visit.row.id)
        return [HomeVisitTransition(status=r.to_status, at=r.at, side=r.side, _actor_id=r.actor_id)
                for r in rows]

    @strawberry.field(description="Who ended it (cancelled or declined visits).")
    def ended_by(self) -> VisitSide | None:
        return self._visit.row.ended_by

    @strawberry.field(description="Why it was cancelled or declined; for the visiting teachers and the family.")
    def end_reason(self) -> str | None:
        return queries.end_reason(self._visit)


@strawberry.type(description="Home-visit figures of a year: coverage, and what families declined, counted apart.")
class HomeVisitCoverage:
    teachers_visiting: int = strawberry.field(description="Teachers who completed at least one visit.")
    families_visited: int = strawberry.field(description="Students whose home was visited at least once.")
    visits_completed: int = strawberry.field(description="Visits completed.")
    declined_by_families: int = strawberry.field(description="Proposals the families declined.")
    cancelled_by_families: int = strawberry.field(description="Visits the families cancelled.")
    cancelled_by_schools: int = strawberry.field(description="Visits the schools cancelled.")
    missed: int = strawberry.field(description="Confirmed visits never recorded.")


@node_loader("HomeVisit")
async def _visit(context: Context, row_id: uuid.UUID) -> HomeVisit | None:
    found = await context.loaders.visible_visit.load(row_id)
    return HomeVisit.of(found) if found else None
