"""Root fields of the wellbeing domain: the queue, the changes, the policies and the live feed."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Annotated, TypeVar

import strawberry

from schema.common.connection import After, Connection, First, connection, page_window
from schema.common.errors import ApiError, UserError
from schema.common.event_delivery import resumable
from schema.common.ids import decode_id
from schema.common.mutations import run, user_errors_field
from schema.context import Context
from schema.loaders import Loaders
from schema.wellbeing import inputs
from schema.wellbeing.types import (
    EscalationPolicy,
    WellbeingAlert,
    WellbeingAlertEvent,
    decode_event_cursor,
)
from services.wellbeing import alerts, feed, queries
from services.wellbeing.models import WellbeingAlert as AlertRow

Info = strawberry.Info[Context, None]
P = TypeVar("P")


@strawberry.type(description="Result of `raiseWellbeingAlert`.")
class RaiseWellbeingAlertPayload:
    alert: WellbeingAlert | None = strawberry.field(default=None, description="The alert as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `acknowledgeWellbeingAlert`.")
class AcknowledgeWellbeingAlertPayload:
    alert: WellbeingAlert | None = strawberry.field(default=None, description="The alert as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `escalateWellbeingAlert`.")
class EscalateWellbeingAlertPayload:
    alert: WellbeingAlert | None = strawberry.field(default=None, description="The alert as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `assignWellbeingAlert`.")
class AssignWellbeingAlertPayload:
    alert: WellbeingAlert | None = strawberry.field(default=None, description="The alert as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `addWellbeingAlertNote`.")
class AddWellbeingAlertNotePayload:
    alert: WellbeingAlert | None = strawberry.field(default=None, description="The alert as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `resolveWellbeingAlert`.")
class ResolveWellbeingAlertPayload:
    alert: WellbeingAlert | None = strawberry.field(default=None, description="The alert as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `shareWellbeingAlertWithGuardians`.")
class ShareWellbeingAlertWithGuardiansPayload:
    alert: WellbeingAlert | None = strawberry.field(default=None, description="The alert as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `setEscalationPolicy`.")
class SetEscalationPolicyPayload:
    policy: EscalationPolicy | None = strawberry.field(default=None, description="The policy as it is now.")
    user_errors: list[UserError] = user_errors_field()


async def _changed(info: Info, payload: Callable[..., P], change: Callable[[], Awaitable[AlertRow]]) -> P:
    """Run a change to an alert and return it as the viewer sees it now."""

    async def action() -> P:
        row = await change()
        visible = await Loaders(info.context.principal).visible_alert.load(row.id)
        return payload(alert=WellbeingAlert.of(visible) if visible else None)

    return await run(info, payload, action)


@strawberry.type
class WellbeingQueries:
    @strawberry.field(description="Alerts the viewer may see, newest first: counsellors their queue, "
                                  "anyone the alerts they raised (`raisedByMe`).")
    async def wellbeing_alerts(
        self, info: Info, first: First, after: After = None,
        filter: Annotated[inputs.WellbeingAlertFilter | None, strawberry.argument(description="Narrows the queue.")]
        = None,
    ) -> Connection[WellbeingAlert]:
        size, position = page_window(first, after, info.context.language)
        wanted = queries.AlertFilter()
        if filter is not None:
            school_id = decode_id(filter.school_id, "School") if filter.school_id else None
            student_id = decode_id(filter.student_id, "Student") if filter.student_id else None
            wanted = queries.AlertFilter(
                statuses=tuple(filter.status or ()), severities=tuple(filter.severity or ()), level=filter.level,
                school_id=school_id, student_id=student_id, raised_by_me=bool(filter.raised_by_me),
                impossible=(filter.school_id is not None and school_id is None)
                or (filter.student_id is not None and student_id is None),
            )
        page = await queries.alerts(info.context.viewer, wanted, first=size, after=position)
        return connection(page, WellbeingAlert.of)

    @strawberry.field(description="Acknowledgement deadlines per severity.")
    async def escalation_policies(self) -> list[EscalationPolicy]:
        return [EscalationPolicy.of(p) for p in await alerts.policies()]


@strawberry.type
class WellbeingMutations:
    @strawberry.mutation(description=(
        "Raise a wellbeing concern: a teacher of the student's school, a guardian about their own child, an "
        "instructor about a child in one of their consultations, or a counsellor. The school's counsellors are "
        "paged at once (CRITICAL: the district too); if nobody acknowledges in time it moves up."
    ))
    async def raise_wellbeing_alert(self, info: Info, input: inputs.RaiseWellbeingAlertInput
                                    ) -> RaiseWellbeingAlertPayload:
        return await _changed(info, RaiseWellbeingAlertPayload, lambda: alerts.raise_alert(
            info.context.viewer, student_id=decode_id(input.student_id, "Student"), severity=input.severity,
            category=input.category, source=input.source, summary=input.summary, details=input.details,
        ))

    @strawberry.mutation(description="Acknowledge: the escalation clock stops. Acknowledging again changes nothing.")
    async def acknowledge_wellbeing_alert(self, info: Info, input: inputs.AcknowledgeWellbeingAlertInput
                                          ) -> AcknowledgeWellbeingAlertPayload:
        return await _changed(info, AcknowledgeWellbeingAlertPayload, lambda: alerts.acknowledge(
            info.context.viewer, decode_id(input.alert_id, "WellbeingAlert")))

    @strawberry.mutation(description="Move an alert up a level now, with a reason; the new level is paged.")
    async def escalate_wellbeing_alert(self, info: Info, input: inputs.EscalateWellbeingAlertInput
                                       ) -> EscalateWellbeingAlertPayload:
        return await _changed(info, EscalateWellbeingAlertPayload, lambda: alerts.escalate(
            info.context.viewer, decode_id(input.alert_id, "WellbeingAlert"), input.reason))

    @strawberry.mutation(description="Give an alert to a counsellor responsible for it; they are notified.")
    async def assign_wellbeing_alert(self, info: Info, input: inputs.AssignWellbeingAlertInput
                                     ) -> AssignWellbeingAlertPayload:
        return await _changed(info, AssignWellbeingAlertPayload, lambda: alerts.assign(
            info.context.viewer, decode_id(input.alert_id, "WellbeingAlert"), decode_id(input.assignee_id, "User")))

    @strawberry.mutation(description="Add a note to an alert's timeline (counts as follow-up activity).")
    async def add_wellbeing_alert_note(self, info: Info, input: inputs.AddWellbeingAlertNoteInput
                                       ) -> AddWellbeingAlertNotePayload:
        return await _changed(info, AddWellbeingAlertNotePayload, lambda: alerts.add_note(
            info.context.viewer, decode_id(input.alert_id, "WellbeingAlert"), input.body))

    @strawberry.mutation(description="Resolve an alert with what was done and how it ended.")
    async def resolve_wellbeing_alert(self, info: Info, input: inputs.ResolveWellbeingAlertInput
                                      ) -> ResolveWellbeingAlertPayload:
        return await _changed(info, ResolveWellbeingAlertPayload, lambda: alerts.resolve(
            info.context.viewer, decode_id(input.alert_id, "WellbeingAlert"), input.resolution, input.outcome))

    @strawberry.mutation(description="Share a message with the child's guardians (they are notified); nothing "
                                     "else of the record reaches them.")
    async def share_wellbeing_alert_with_guardians(
        self, info: Info, input: inputs.ShareWellbeingAlertWithGuardiansInput
    ) -> ShareWellbeingAlertWithGuardiansPayload:
        return await _changed(info, ShareWellbeingAlertWithGuardiansPayload, lambda: alerts.share_with_guardians(
            info.context.viewer, decode_id(input.alert_id, "WellbeingAlert"), input.message))

    @strawberry.mutation(description="Set the acknowledgement deadline of a severity (city administrator); "
                                     "alerts already raised keep the deadline they were raised with.")
    async def set_escalation_policy(self, info: Info, input: inputs.SetEscalationPolicyInput
                                    ) -> SetEscalationPolicyPayload:
        async def action() -> SetEscalationPolicyPayload:
            row = await alerts.set_policy(info.context.viewer, input.severity, input.acknowledge_within_minutes)
            return SetEscalationPolicyPayload(policy=EscalationPolicy.of(row))

        return await run(info, SetEscalationPolicyPayload, action)


@strawberry.type
class WellbeingSubscriptions:
    @strawberry.subscription(description=(
        "Every event on an alert the counsellor may see, checked per event. `after` is the cursor of the last "
        "event the app saw: what happened since is replayed first, in order, then live events follow."
    ))
    async def wellbeing_alert_events(
        self, info: Info,
        after: Annotated[str | None, strawberry.argument(description="Cursor of the last event seen.")] = None,
    ) -> AsyncGenerator[WellbeingAlertEvent, None]:
        cursor = None
        if after is not None:
            cursor = decode_event_cursor(after)
            if cursor is None:
                raise ApiError("INVALID_INPUT", "invalid_cursor", info.context.language)
        context = info.context
        async for item in resumable(context, feed.replay_then_live(context.live.feed, cursor)):
            # The principal is refreshed by the connection's watchdog when access changes.
            tier = feed.tier_for(context.viewer, item)
            if tier is None:
                continue
            context.loaders = Loaders(context.principal, primed={
                "student": {item.student.id: item.student},
                "school": {item.school.id: item.school},
                "district": {item.district.id: item.district},
            })
            yield WellbeingAlertEvent.of(item, tier, context.language)
