"""Root fields of home visits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import strawberry

from schema.common.connection import After, Connection, First, connection, page_window
from schema.common.errors import UserError
from schema.common.ids import decode_id
from schema.common.mutations import run, user_errors_field
from schema.context import Context
from schema.home_visits import inputs
from schema.home_visits.types import HomeVisit, HomeVisitCoverage
from schema.loaders import Loaders
from services.home_visits import calendar, queries, service
from services.home_visits.models import HomeVisit as VisitRow
from services.home_visits.rules import Window

Info = strawberry.Info[Context, None]
P = TypeVar("P")


def _windows(slots: list[inputs.TimeWindowInput] | None) -> list[Window]:
    return [Window(s.starts_at, s.ends_at) for s in slots or ()]


@strawberry.type(description="Result of `proposeHomeVisit`.")
class ProposeHomeVisitPayload:
    home_visit: HomeVisit | None = strawberry.field(default=None, description="The visit as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `respondToHomeVisit`.")
class RespondToHomeVisitPayload:
    home_visit: HomeVisit | None = strawberry.field(default=None, description="The visit as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `rescheduleHomeVisit`.")
class RescheduleHomeVisitPayload:
    home_visit: HomeVisit | None = strawberry.field(default=None, description="The visit as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `cancelHomeVisit`.")
class CancelHomeVisitPayload:
    home_visit: HomeVisit | None = strawberry.field(default=None, description="The visit as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `recordHomeVisit`.")
class RecordHomeVisitPayload:
    home_visit: HomeVisit | None = strawberry.field(default=None, description="The visit as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `giveHomeVisitFeedback`.")
class GiveHomeVisitFeedbackPayload:
    home_visit: HomeVisit | None = strawberry.field(default=None, description="The visit as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `resetHomeVisitCalendarUrl`.")
class ResetHomeVisitCalendarUrlPayload:
    url: str | None = strawberry.field(default=None, description="The new feed address; the old one stops working.")
    user_errors: list[UserError] = user_errors_field()


async def _changed(info: Info, payload: Callable[..., P], change: Callable[[], Awaitable[VisitRow]]) -> P:
    async def action() -> P:
        row = await change()
        visible = await Loaders(info.context.principal).visible_visit.load(row.id)
        return payload(home_visit=HomeVisit.of(visible) if visible else None)

    return await run(info, payload, action)


@strawberry.type
class HomeVisitQueries:
    @strawberry.field(description="Home visits the viewer may see, in the order they may happen; `mine` for a "
                                  "teacher's own schedule (as lead or companion).")
    async def home_visits(
        self, info: Info, first: First, after: After = None,
        filter: Annotated[inputs.HomeVisitFilter | None, strawberry.argument(description="Narrows the list.")] = None,
    ) -> Connection[HomeVisit]:
        size, position = page_window(first, after, info.context.language)
        page = await queries.visits(info.context.viewer, inputs.visit_filter(filter), first=size, after=position)
        return connection(page, HomeVisit.of)

    @strawberry.field(description="Home-visit figures of a year, for the city, a district or a school "
                                  "(administrators, within their scope).")
    async def home_visit_coverage(
        self, info: Info,
        year: Annotated[int, strawberry.argument(description="Calendar year, in the programme's zone.")],
        district_id: Annotated[strawberry.ID | None, strawberry.argument(description="One district.")] = None,
        school_id: Annotated[strawberry.ID | None, strawberry.argument(description="One school.")] = None,
    ) -> HomeVisitCoverage | None:
        district = decode_id(district_id, "District") if district_id else None
        school = decode_id(school_id, "School") if school_id else None
        if (district_id and district is None) or (school_id and school is None):
            return None
        figures = await queries.coverage_for(info.context.viewer, year, district_id=district, school_id=school)
        return HomeVisitCoverage(**vars(figures)) if figures else None


@strawberry.type
class HomeVisitMutations:
    @strawberry.mutation(description=(
        "Propose a visit with one to five candidate slots (each 30 to 180 minutes, in the future, within 60 days, "
        "between 08:00 and 21:00 local time); companions are other teachers of the school. A slot that clashes "
        "with a confirmed visit of a visiting teacher (travel buffer included) is refused with CONFLICT naming "
        "the slot. The guardians are notified."
    ))
    async def propose_home_visit(self, info: Info, input: inputs.ProposeHomeVisitInput
                                 ) -> ProposeHomeVisitPayload:
        return await _changed(info, ProposeHomeVisitPayload, lambda: service.propose(
            info.context.viewer, service.Proposal(
                student_id=decode_id(input.student_id, "Student"), slots=_windows(input.slots),
                purpose=input.purpose,
                companion_ids=[decode_id(i, "User") for i in input.companion_teacher_ids or ()],
                address=input.address, names_address_guardian=input.address_guardian_id is not None,
                address_guardian_id=decode_id(input.address_guardian_id, "User") if input.address_guardian_id else None,
            )))

    @strawberry.mutation(description=(
        "The family answers: accept one offered slot, propose others, or decline. Accepting a slot a visiting "
        "teacher has since booked elsewhere gives CONFLICT and changes nothing."
    ))
    async def respond_to_home_visit(self, info: Info, input: inputs.RespondToHomeVisitInput
                                    ) -> RespondToHomeVisitPayload:
        accepted = input.accepted_slot
        return await _changed(info, RespondToHomeVisitPayload, lambda: service.respond(
            info.context.viewer, decode_id(input.home_visit_id, "HomeVisit"), input.decision,
            Window(accepted.starts_at, accepted.ends_at) if accepted else None,
            _windows(input.alternative_slots) if input.alternative_slots is not None else None, input.reason))

    @strawberry.mutation(description="Offer new slots after the family asked for others, or move a confirmed visit "
                                     "(its time is released; the family answers again).")
    async def reschedule_home_visit(self, info: Info, input: inputs.RescheduleHomeVisitInput
                                    ) -> RescheduleHomeVisitPayload:
        return await _changed(info, RescheduleHomeVisitPayload, lambda: service.reschedule(
            info.context.viewer, decode_id(input.home_visit_id, "HomeVisit"), _windows(input.slots)))

    @strawberry.mutation(description="Call a visit off (the lead teacher or the family); the other side is told.")
    async def cancel_home_visit(self, info: Info, input: inputs.CancelHomeVisitInput
                                ) -> CancelHomeVisitPayload:
        return await _changed(info, CancelHomeVisitPayload, lambda: service.cancel(
            info.context.viewer, decode_id(input.home_visit_id, "HomeVisit"), input.reason))

    @strawberry.mutation(description=(
        "Record a confirmed visit whose start has passed (a visiting teacher). With `raiseAlert`, a wellbeing "
        "alert is raised for the student in the same transaction, linked to the visit."
    ))
    async def record_home_visit(self, info: Info, input: inputs.RecordHomeVisitInput
                                ) -> RecordHomeVisitPayload:
        alert = input.raise_alert
        entry = service.VisitRecord(
            duration_minutes=input.duration_minutes, topics=list(input.topics), summary=input.summary,
            follow_up_needed=input.follow_up_needed,
            alert=(alert.severity, alert.category, alert.summary, alert.details) if alert else None,
        )
        return await _changed(info, RecordHomeVisitPayload, lambda: service.record(
            info.context.viewer, decode_id(input.home_visit_id, "HomeVisit"), entry))

    @strawberry.mutation(description="The family's feedback on a completed visit, once.")
    async def give_home_visit_feedback(self, info: Info, input: inputs.GiveHomeVisitFeedbackInput
                                       ) -> GiveHomeVisitFeedbackPayload:
        return await _changed(info, GiveHomeVisitFeedbackPayload, lambda: service.give_feedback(
            info.context.viewer, decode_id(input.home_visit_id, "HomeVisit"), input.stars, input.comment))

    @strawberry.mutation(description="Revoke the teacher's calendar feed address (a lost phone) and make a new one.")
    async def reset_home_visit_calendar_url(self, info: Info) -> ResetHomeVisitCalendarUrlPayload:
        return ResetHomeVisitCalendarUrlPayload(url=await calendar.reset(info.context.viewer))
