"""Proposing visits and moving their clocks, for the home-visit tests."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import connections

from tests.helpers import contract_operation
from tests.wellbeing.helpers import row_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROPOSE = contract_operation("home-visits.graphql", "ProposeHomeVisit")
RESPOND = contract_operation("home-visits.graphql", "RespondToHomeVisit")
RESCHEDULE = contract_operation("home-visits.graphql", "RescheduleHomeVisit")
CANCEL = contract_operation("home-visits.graphql", "CancelHomeVisit")
SCHEDULE = contract_operation("home-visits.graphql", "MyHomeVisitSchedule")
RECORD = contract_operation("home-visits.graphql", "RecordHomeVisit")
FEEDBACK = contract_operation("home-visits.graphql", "GiveHomeVisitFeedback")
COVERAGE = contract_operation("home-visits.graphql", "ClassVisitCoverage")
CALENDAR = contract_operation("home-visits.graphql", "MyCalendarFeed")
VISIT = """query Visit($id: ID!) { node(id: $id) { ... on HomeVisit {
  id status purpose address scheduledWindow { startsAt endsAt } proposedSlots { startsAt endsAt }
  teacher { id } companions { id } endedBy endReason guardianFeedback { stars comment }
  record { summary topics raisedAlert { id } } } } }"""


def slot(days: int, hour: int, minute: int = 0, minutes: int = 60) -> dict[str, str]:
    """A slot ``days`` from today at ``hour``:``minute`` Asia/Shanghai."""
    day = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=days)
    starts = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)
    return {"startsAt": starts.isoformat(), "endsAt": (starts + dt.timedelta(minutes=minutes)).isoformat()}


async def propose(api, world, *, by: str = "teacher_a", student: str = "a", slots: list[dict] | None = None,
                  address: str | None = "包头市昆都仑区阿尔丁大街 88 号", companions: list[str] = ()) -> dict[str, Any]:
    body = await api.data(PROPOSE, {"input": {
        "studentId": world.gid(world.students[student]), "slots": slots or [slot(2, 10), slot(3, 19)],
        "purpose": "了解孩子在家的学习情况", "companionTeacherIds": [world[c].id for c in companions],
        "address": address}}, token=world[by].token)
    payload = body["proposeHomeVisit"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["homeVisit"]


async def accept(api, world, visit: dict[str, Any], *, by: str = "parent_a", index: int = 0) -> dict[str, Any]:
    chosen = visit["proposedSlots"][index]
    body = await api.data(RESPOND, {"input": {"homeVisitId": visit["id"], "decision": "ACCEPT",
                                              "acceptedSlot": chosen}}, token=world[by].token)
    return body["respondToHomeVisit"]


async def move_into_past(visit_gid: str, *, hours_ago: float = 2) -> None:
    """Time travel: the confirmed visit started ``hours_ago`` and lasted an hour."""
    db = connections.get("default")
    await db.execute_query(
        "UPDATE home_visit SET scheduled_start = now() - make_interval(secs => $2), "
        "scheduled_end = now() - make_interval(secs => $2) + interval '1 hour', "
        "window_start = now() - make_interval(secs => $2), "
        "window_end = now() - make_interval(secs => $2) + interval '1 hour' WHERE id = $1",
        [row_id(visit_gid), hours_ago * 3600])
