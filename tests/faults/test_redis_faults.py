"""Redis frozen or gone: requests keep their pace, events still reach the feed, nothing is lost.

A frozen Redis (SIGSTOP: a hung server, a network partition) accepts connections and never
answers; each test freezes a Redis of its own.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import pytest

from tests.helpers import contract_operation
from tests.wellbeing.helpers import RAISE, raise_alert, row_id
from tests.ws import WsClient

EVENTS = contract_operation("wellbeing.graphql", "AlertEvents")
VIEWER = "query { viewer { displayName } }"


async def _timed(api, query, token) -> float:
    started = time.perf_counter()
    await api.data(query, token=token)
    return time.perf_counter() - started


@pytest.mark.private_redis
async def test_a_frozen_redis_slows_no_request_and_loses_no_event(api, world, private_redis):
    token = world["teacher_a"].token
    normal = statistics.median([await _timed(api, VIEWER, token) for _ in range(10)])
    ws = await WsClient.connect(api.address, world["counsellor_a"].token)
    await ws.subscribe(EVENTS)
    private_redis.freeze()
    try:
        frozen = [await _timed(api, VIEWER, token) for _ in range(20)]
        # One request may wait out a Redis timeout (0.5 s) before the breaker opens; the rest do not.
        assert statistics.median(frozen) < max(normal * 1.5, normal + 0.02), (normal, frozen)
        assert sorted(frozen)[-2] < 0.4, frozen
        started = time.perf_counter()
        alert = await raise_alert(api, world)
        assert time.perf_counter() - started < 1.0
        # The raise's wake-up cannot be published: the feed finds the event in PostgreSQL.
        event = (await ws.next_data(3))["wellbeingAlertEvents"]
        assert (event["kind"], event["alert"]["id"]) == ("RAISED", alert["id"])
        ready = await api.client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["redis"] == "unavailable"
    finally:
        private_redis.thaw()
    await ws.close()


@pytest.mark.private_redis
async def test_an_idempotent_raise_during_a_redis_freeze_happens_once(api, world, private_redis):
    variables = {"input": {"studentId": world.gid(world.students["a"]), "severity": "CRITICAL",
                           "category": "SELF_HARM_RISK", "source": "TEACHER_OBSERVATION",
                           "summary": "自述有轻生念头", "details": None}}
    headers = {"idempotency-key": "raise-during-freeze"}
    private_redis.freeze()
    try:
        first = await api.post(RAISE, variables, token=world["teacher_a"].token, headers=headers)
    finally:
        private_redis.thaw()
    retry = await api.post(RAISE, variables, token=world["teacher_a"].token, headers=headers)
    assert first.status_code == retry.status_code == 200
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    from services.wellbeing.models import WellbeingAlert

    alert_id = row_id(first.json()["data"]["raiseWellbeingAlert"]["alert"]["id"])
    assert await WellbeingAlert.filter(student_id=world.students["a"].id).count() == 1
    assert await WellbeingAlert.filter(id=alert_id).exists()


@pytest.mark.private_redis
async def test_events_keep_coming_while_redis_is_stopped(api, world, private_redis):
    ws = await WsClient.connect(api.address, world["counsellor_a"].token)
    await ws.subscribe(EVENTS)
    private_redis.stop()
    await asyncio.sleep(0.2)
    alerts = [await raise_alert(api, world, severity=s) for s in ("LOW", "MEDIUM", "HIGH")]
    received = [(await ws.next_data(3))["wellbeingAlertEvents"] for _ in alerts]
    assert [(e["kind"], e["alert"]["id"]) for e in received] == [("RAISED", a["id"]) for a in alerts]
    await ws.close()
