"""PostgreSQL restarted or down: escalations go on, the live feed goes on, readiness tells the truth.

Each test runs the server on a PostgreSQL of its own, which it really restarts or stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import re

import httpx

from tests.conftest import RunningServer
from tests.helpers import Api, build_world, contract_operation
from tests.wellbeing.helpers import event_kinds, eventually, raise_alert, row_id
from tests.ws import WsClient

EVENTS = contract_operation("wellbeing.graphql", "AlertEvents")


async def _deadline_in(alert_gid: str, seconds: float) -> None:
    from tortoise import connections

    db = connections.get("default")
    alert_id = row_id(alert_gid)
    await db.execute_query("UPDATE wellbeing_alert SET acknowledge_by = now() + make_interval(secs => $2) "
                           "WHERE id = $1", [alert_id, seconds])
    await db.execute_query("UPDATE scheduled_job SET due_at = now() + make_interval(secs => $2) "
                           "WHERE subject_id = $1 AND kind = 'alert_deadline' AND done_at IS NULL", [alert_id, seconds])


async def _events(ws: WsClient, count: int, within: float) -> list[tuple[str, str]]:
    seen = []
    for _ in range(count):
        event = (await ws.next_data(within))["wellbeingAlertEvents"]
        seen.append((event["kind"], event["alert"]["id"]))
    return seen


async def _errors_of(client: httpx.AsyncClient, loop: str) -> float:
    text = (await client.get("/metrics")).text
    return float(re.search(rf'^coedu_loop_errors_total\{{loop="{loop}"\}} (\S+)$', text, re.M).group(1))


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


@contextlib.asynccontextmanager
async def _watched_alert(settings, deadline_in: float):
    """A server on the test's PostgreSQL, a counsellor's feed open, and an alert whose deadline is near."""
    running = RunningServer(settings)
    address = await running.start()
    try:
        world = await build_world()
        async with httpx.AsyncClient(base_url=f"http://{address}", timeout=10) as client:
            api = Api(client, address)
            ws = await WsClient.connect(address, world["counsellor_a"].token)
            await ws.subscribe(EVENTS)
            alert = await raise_alert(api, world)
            assert await _events(ws, 1, 5) == [("RAISED", alert["id"])]
            await _deadline_in(alert["id"], deadline_in)
            yield running, world, api, ws, alert
            await ws.close()
    finally:
        await running.stop()


async def test_escalation_and_the_feed_go_on_after_postgresql_was_down(private_postgres_settings, private_postgres):
    async with _watched_alert(private_postgres_settings, deadline_in=1.0) as (running, world, api, ws, alert):
        client = api.client
        # The deadline falls due while PostgreSQL is down.
        await asyncio.to_thread(private_postgres.halt)
        await asyncio.sleep(2.5)
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["postgres"] == "unavailable"
        await asyncio.to_thread(private_postgres.resume)
        back = asyncio.get_running_loop().time()

        # The escalation arrives on the socket that stayed open, within 2 s of PostgreSQL's return.
        assert await _events(ws, 1, 5) == [("ESCALATED", alert["id"])]
        assert asyncio.get_running_loop().time() - back < 2
        await eventually(lambda: _ready(client))
        assert await _errors_of(client, "scheduler") >= 1  # the outage did reach the loops
        # ... and the feed is still live for what happens next.
        second = await raise_alert(api, world, severity="MEDIUM")
        assert await _events(ws, 1, 5) == [("RAISED", second["id"])]
        assert await event_kinds(alert["id"]) == ["RAISED", "ESCALATED"]  # escalated exactly once
        assert running.gave_up == []


async def test_escalation_and_the_feed_go_on_after_a_postgresql_restart(private_postgres_settings,
                                                                       private_postgres):
    async with _watched_alert(private_postgres_settings, deadline_in=1.5) as (running, world, api, ws, alert):
        client = api.client
        for _ in range(3):  # restarted again and again, as `pg_ctl restart -m fast` does
            await asyncio.to_thread(private_postgres.restart)
        assert await _events(ws, 1, 8) == [("ESCALATED", alert["id"])]
        await eventually(lambda: _ready(client))
        second = await raise_alert(api, world, severity="MEDIUM")
        assert await _events(ws, 1, 5) == [("RAISED", second["id"])]
        assert await event_kinds(alert["id"]) == ["RAISED", "ESCALATED"]


async def test_readiness_answers_json_whatever_postgresql_is_doing(private_postgres_settings, private_postgres):
    running = RunningServer(private_postgres_settings)
    address = await running.start()
    try:
        world = await build_world()
        async with httpx.AsyncClient(base_url=f"http://{address}", timeout=10) as client:
            await asyncio.to_thread(private_postgres.halt)
            for _ in range(3):
                ready = await client.get("/readyz")
                assert ready.status_code == 503
                assert ready.headers["content-type"] == "application/json"
                assert ready.json()["status"] == "unavailable"
                assert ready.json()["checks"]["postgres"] == "unavailable"
            # a request meanwhile is refused as a server-side outage, not a bug, in JSON
            for who in ("teacher_a", "counsellor_a"):  # whether or not Redis remembers the principal
                response = await client.post("/graphql", json={"query": "{ viewer { displayName } }"},
                                             headers={"authorization": f"Bearer {world[who].token}"})
                assert response.status_code in (200, 503), response.text
                codes = [e["extensions"]["code"] for e in response.json().get("errors", [])]
                assert codes == ["SERVICE_UNAVAILABLE"], response.text
            await asyncio.to_thread(private_postgres.resume)
            await eventually(lambda: _ready(client))
    finally:
        await running.stop()
