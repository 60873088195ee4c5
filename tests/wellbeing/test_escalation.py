"""The escalation engine: deadlines in PostgreSQL, processed exactly once, on time, by any process."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
from tortoise import connections

from services.scheduler import Scheduler
from tests.helpers import Api, contract_operation
from tests.wellbeing.helpers import (
    ACKNOWLEDGE,
    DETAIL,
    escalations,
    event_kinds,
    eventually,
    make_due_in,
    make_overdue,
    raise_alert,
    row_id,
)

ESCALATE = contract_operation("wellbeing.graphql", "EscalateAlert")
INBOX = contract_operation("notifications.graphql", "Inbox")


async def _unread(api, person) -> int:
    return (await api.data(INBOX, {"first": 1}, token=person.token))["viewer"]["unreadNotificationCount"]


async def _level(api, world, alert_id, who="counsellor_a") -> str | None:
    node = (await api.data(DETAIL, {"id": alert_id}, token=world[who].token))["node"]
    return node and node["level"]


async def test_a_missed_deadline_moves_the_alert_up_and_pages_the_district(api, world):
    alert = await raise_alert(api, world)
    assert await _unread(api, world["district_counsellor_a"]) == 0
    await make_overdue(alert["id"])
    found = await eventually(lambda: escalations(alert["id"]), within=3)
    assert [(e["level"], e["reason"]) for e in found] == [("DISTRICT", "deadline_missed")]
    assert await _unread(api, world["district_counsellor_a"]) == 1
    node = (await api.data(DETAIL, {"id": alert["id"]}, token=world["district_counsellor_a"].token))["node"]
    assert node["level"] == "DISTRICT" and node["status"] == "OPEN"
    assert dt.datetime.fromisoformat(node["acknowledgeBy"]) > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=119)


async def test_an_acknowledged_alert_does_not_move(api, world):
    alert = await raise_alert(api, world)
    await api.data(ACKNOWLEDGE, {"alertId": alert["id"]}, token=world["counsellor_a"].token)
    await make_overdue(alert["id"])
    await asyncio.sleep(1.0)
    assert await escalations(alert["id"]) == []
    assert await _level(api, world, alert["id"]) == "SCHOOL"


async def test_at_city_level_the_city_is_paged_again_at_every_deadline(api, world):
    alert = await raise_alert(api, world)
    for who in ("counsellor_a", "district_counsellor_a"):
        await api.data(ESCALATE, {"alertId": alert["id"], "reason": "上报"}, token=world[who].token)
    assert await _unread(api, world["city_counsellor"]) == 1
    for expected in (2, 3):
        await make_overdue(alert["id"])
        await eventually(lambda e=expected: _has_unread(api, world["city_counsellor"], e), within=3)
    kinds = await event_kinds(alert["id"])
    assert kinds.count("ESCALATED") == 2 and kinds[-2:] == ["NOTIFIED", "NOTIFIED"]
    assert await _level(api, world, alert["id"], "city_counsellor") == "CITY"


async def _has_unread(api, person, count) -> bool:
    return await _unread(api, person) == count


async def test_after_an_outage_the_backlog_collapses_to_one_page(api, world):
    alert = await raise_alert(api, world)  # HIGH: two hours per level
    await make_overdue(alert["id"], by=dt.timedelta(hours=6, seconds=1))  # three deadlines ago
    found = await eventually(lambda: escalations(alert["id"]), within=3)
    assert [(e["level"], e["reason"]) for e in found] == [("CITY", "deadline_missed_collapsed")]
    assert await _unread(api, world["city_counsellor"]) == 1
    assert await _unread(api, world["district_counsellor_a"]) == 0  # no outdated page for a level long passed
    await asyncio.sleep(0.5)
    assert len(await escalations(alert["id"])) == 1


async def test_an_acknowledged_alert_without_follow_up_is_escalated_again(api, world):
    alert = await raise_alert(api, world)
    await api.data(ACKNOWLEDGE, {"alertId": alert["id"]}, token=world["counsellor_a"].token)
    db = connections.get("default")
    await db.execute_query("UPDATE wellbeing_alert SET last_activity_at = now() - interval '25 hours' WHERE id = $1",
                           [row_id(alert["id"])])
    await db.execute_query("UPDATE scheduled_job SET due_at = now() WHERE subject_id = $1 AND kind = 'alert_follow_up'",
                           [row_id(alert["id"])])
    found = await eventually(lambda: escalations(alert["id"]), within=3)
    assert [(e["level"], e["reason"]) for e in found] == [("DISTRICT", "follow_up_overdue")]
    node = (await api.data(DETAIL, {"id": alert["id"]}, token=world["district_counsellor_a"].token))["node"]
    assert node["status"] == "OPEN" and node["level"] == "DISTRICT"


async def test_recent_activity_postpones_the_follow_up(api, world):
    alert = await raise_alert(api, world)
    await api.data(ACKNOWLEDGE, {"alertId": alert["id"]}, token=world["counsellor_a"].token)
    await connections.get("default").execute_query(
        "UPDATE scheduled_job SET due_at = now() WHERE subject_id = $1 AND kind = 'alert_follow_up'",
        [row_id(alert["id"])])
    await asyncio.sleep(1.0)
    assert await escalations(alert["id"]) == []
    pending = await connections.get("default").execute_query_dict(
        "SELECT due_at FROM scheduled_job WHERE subject_id = $1 AND kind = 'alert_follow_up' AND done_at IS NULL",
        [row_id(alert["id"])])
    assert len(pending) == 1 and pending[0]["due_at"] > dt.datetime.now(dt.UTC) + dt.timedelta(hours=23)


async def test_schedulers_racing_for_one_deadline_escalate_once(api, world):
    alert = await raise_alert(api, world)
    racers = [Scheduler(f"racer-{i}", except_kinds=("push",)) for i in range(6)]
    await make_overdue(alert["id"])
    await asyncio.gather(*(racer.run_one() for racer in racers))  # and the server's own loop races too
    await asyncio.sleep(0.5)
    assert len(await escalations(alert["id"])) == 1
    done_by = await connections.get("default").execute_query_dict(
        "SELECT done_by FROM scheduled_job WHERE subject_id = $1 AND kind = 'alert_deadline' AND outcome = 'done'",
        [row_id(alert["id"])])
    assert len(done_by) == 1


async def test_the_raising_process_is_killed_and_another_escalates_on_time_exactly_once(
        api, world, server_processes):
    # given: two more server processes; the first raises a CRITICAL alert
    first, second = await server_processes("first", "second")
    async with httpx.AsyncClient(base_url=f"http://{first.address}") as client:
        alert = await raise_alert(Api(client, first.address), world, severity="CRITICAL")
    due = await make_due_in(alert["id"], 3)
    # when: the process that raised it is killed outright
    first.kill()
    # then: when the deadline comes, another process escalates it, once, seconds late at most
    found = await eventually(lambda: escalations(alert["id"]), within=10)
    await asyncio.sleep(1.0)
    found = await escalations(alert["id"])
    assert len(found) == 1
    lateness = (found[0]["at"] - due).total_seconds()
    assert 0 <= lateness < 2, lateness
    done = await connections.get("default").execute_query_dict(
        "SELECT done_by FROM scheduled_job WHERE subject_id = $1 AND kind = 'alert_deadline' AND outcome = 'done'",
        [row_id(alert["id"])])
    assert [d["done_by"] for d in done] != [first.owner]
    assert second.process.poll() is None
