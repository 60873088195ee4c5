"""Raising alerts and moving their clocks, for the wellbeing tests."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from tortoise import connections

from schema.common.ids import from_global_id
from tests.helpers import contract_operation

RAISE = contract_operation("wellbeing.graphql", "RaiseWellbeingAlert")
ACKNOWLEDGE = contract_operation("wellbeing.graphql", "AcknowledgeAlert")
DETAIL = contract_operation("wellbeing.graphql", "AlertDetail")
QUEUE = contract_operation("wellbeing.graphql", "AlertQueue")


async def raise_alert(api, world, *, by: str = "teacher_a", student: str = "a", severity: str = "HIGH",
                      source: str = "TEACHER_OBSERVATION", summary: str = "上课时情绪低落，多次哭泣",
                      details: str | None = "近两周成绩下滑，与同学疏远。") -> dict[str, Any]:
    body = await api.data(RAISE, {"input": {
        "studentId": world.gid(world.students[student]), "severity": severity, "category": "ANXIETY_DEPRESSION",
        "source": source, "summary": summary, "details": details}}, token=world[by].token)
    payload = body["raiseWellbeingAlert"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["alert"]


def row_id(global_id: str) -> uuid.UUID:
    decoded = from_global_id(global_id)
    assert decoded is not None
    return decoded[1]


async def make_overdue(alert_gid: str, *, by: dt.timedelta = dt.timedelta(seconds=1)) -> None:
    """Time travel: the alert's deadline (and its job) passed ``by`` ago, by the database clock."""
    alert_id = row_id(alert_gid)
    db = connections.get("default")
    await db.execute_query(
        "UPDATE wellbeing_alert SET acknowledge_by = now() - $2::interval WHERE id = $1", [alert_id, by])
    await db.execute_query(
        "UPDATE scheduled_job SET due_at = now() - $2::interval "
        "WHERE subject_id = $1 AND kind = 'alert_deadline' AND done_at IS NULL", [alert_id, by])


async def event_kinds(alert_gid: str) -> list[str]:
    rows = await connections.get("default").execute_query_dict(
        "SELECT kind FROM wellbeing_alert_event WHERE alert_id = $1 ORDER BY id", [row_id(alert_gid)])
    return [r["kind"] for r in rows]


async def eventually(check, *, within: float = 5.0, step: float = 0.05):
    """Poll ``check`` (async, returning a truthy value when done) until it passes or time runs out."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {within}s: last result {result!r}")
        await asyncio.sleep(step)


async def make_due_in(alert_gid: str, seconds: float) -> dt.datetime:
    """Time travel: the alert's current deadline is ``seconds`` from now (database clock)."""
    alert_id = row_id(alert_gid)
    db = connections.get("default")
    rows = await db.execute_query_dict(
        "UPDATE wellbeing_alert SET acknowledge_by = now() + make_interval(secs => $2) WHERE id = $1 "
        "RETURNING acknowledge_by", [alert_id, seconds])
    await db.execute_query(
        "UPDATE scheduled_job SET due_at = $2 WHERE subject_id = $1 AND kind = 'alert_deadline' AND done_at IS NULL",
        [alert_id, rows[0]["acknowledge_by"]])
    return rows[0]["acknowledge_by"]


async def escalations(alert_gid: str) -> list[dict[str, Any]]:
    return await connections.get("default").execute_query_dict(
        "SELECT id, at, level, reason FROM wellbeing_alert_event WHERE alert_id = $1 AND kind = 'ESCALATED' "
        "ORDER BY id", [row_id(alert_gid)])
