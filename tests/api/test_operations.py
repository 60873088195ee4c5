"""Health, readiness and metrics endpoints."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import RunningServer

LOOPS_OK = {"outbox-relay": "ok", "scheduler": "ok", "push-delivery": "ok", "roster-imports": "ok", "pubsub-hub": "ok",
            "alert-feed": "ok"}


async def test_health_and_readiness(api, world):
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"postgres": "ok", "redis": "ok", "loops": LOOPS_OK}}


@pytest.mark.private_redis
async def test_a_replica_stays_in_service_while_redis_is_down(api, world, private_redis):
    private_redis.stop()
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready",
                            "checks": {"postgres": "ok", "redis": "unavailable", "loops": LOOPS_OK}}
    body = await api.data("query { viewer { displayName } }", token=world["teacher_a"].token)
    assert body["viewer"]["displayName"] == "王老师"
    assert (await api.client.get("/healthz")).status_code == 200


async def _hang(*args: object) -> bool:
    await asyncio.Event().wait()
    return False


async def test_a_hung_loop_takes_the_process_out_of_service_then_ends_it(settings, monkeypatch):
    running = RunningServer(settings)
    address = await running.start()
    try:
        supervisor = running.app.state.supervisor
        supervisor.stale_seconds, supervisor.fatal_silence_seconds = 0.5, 3.0
        monkeypatch.setattr(running.app.state.live.scheduler, "run_one", _hang)
        async with httpx.AsyncClient(base_url=f"http://{address}") as client:
            for _ in range(50):
                ready = await client.get("/readyz")
                if ready.status_code == 503:
                    break
                await asyncio.sleep(0.1)
            assert ready.status_code == 503
            assert ready.json()["status"] == "unavailable"
            loops = ready.json()["checks"]["loops"]
            # (the feed beats once per safety poll, 5 s, so at this test's threshold it may look stale too)
            assert (loops["scheduler"], loops["outbox-relay"], loops["pubsub-hub"]) == ("stale", "ok", "ok")
            assert running.gave_up == []
        for _ in range(60):
            if running.gave_up:
                break
            await asyncio.sleep(0.1)
        assert running.gave_up == ["loop scheduler hung"]
    finally:
        await running.stop()


async def test_loop_health_is_in_the_metrics(api, world):
    text = (await api.client.get("/metrics")).text
    for loop in LOOPS_OK:
        assert f'coedu_loop_last_beat_timestamp_seconds{{loop="{loop}"}}' in text
        assert f'coedu_loop_restarts_total{{loop="{loop}"}} 0.0' in text
        assert f'coedu_loop_errors_total{{loop="{loop}"}} 0.0' in text


async def test_postgres_cuts_off_runaway_statements(api, world):
    from tortoise import connections

    rows = await connections.get("default").execute_query_dict("SHOW statement_timeout")
    assert rows[0]["statement_timeout"] == "5s"
