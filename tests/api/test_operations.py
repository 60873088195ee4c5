"""Health, readiness and metrics endpoints."""

from __future__ import annotations

import pytest


async def test_health_and_readiness(api, world):
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"postgres": "ok", "redis": "ok", "scheduler": "ok"}}


@pytest.mark.private_redis
async def test_readiness_reports_redis_down_while_requests_go_on(api, world, private_redis):
    private_redis.stop()
    ready = await api.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"postgres": "ok", "redis": "unavailable", "scheduler": "ok"}
    body = await api.data("query { viewer { displayName } }", token=world["teacher_a"].token)
    assert body["viewer"]["displayName"] == "王老师"
    assert (await api.client.get("/healthz")).status_code == 200


async def test_readiness_reports_a_stale_scheduler(settings):
    from tests.conftest import RunningServer

    running = RunningServer(settings)
    address = await running.start()
    try:
        class Hung:
            seconds_since_beat = 60.0  # as if the loop had stopped turning a minute ago

        running.app.state.live.scheduler = Hung()
        import httpx

        async with httpx.AsyncClient(base_url=f"http://{address}") as client:
            ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["scheduler"] == "stale"
    finally:
        await running.stop()


async def test_postgres_cuts_off_runaway_statements(api, world):
    from tortoise import connections

    rows = await connections.get("default").execute_query_dict("SHOW statement_timeout")
    assert rows[0]["statement_timeout"] == "5s"
