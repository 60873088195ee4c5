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
