"""What an on-call team sees: /metrics kept to its scraper, the process, the backlog, push outcomes,
WebSocket operations counted and logged like HTTP ones, and the operation in every access-log line."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import secrets
from pathlib import Path

import asyncpg
import httpx

from tests.conftest import RunningServer
from tests.helpers import contract_operation, metric
from tests.wellbeing.helpers import eventually, raise_alert
from tests.ws import WsClient

CLIENTS = Path(__file__).resolve().parents[2] / "clients"
REGISTER = contract_operation("notifications.graphql", "RegisterPushDevice")


async def _scrape(client: httpx.AsyncClient, **headers: str) -> httpx.Response:
    return await client.get("/metrics", headers=headers)


async def test_production_serves_metrics_only_to_the_bearer_of_its_token(settings):
    production = dataclasses.replace(settings, environment="production", trusted_documents=(CLIENTS / "operations",))
    for token, expected in ((None, {None: 404}),
                            (secrets.token_urlsafe(32), {None: 401, "Bearer wrong-token": 401, "Basic x": 401})):
        running = RunningServer(dataclasses.replace(production, metrics_token=token))
        address = await running.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://{address}") as client:
                for authorization, status in expected.items():
                    refused = await _scrape(client, **({"authorization": authorization} if authorization else {}))
                    assert refused.status_code == status and "coedu_" not in refused.text
                if token is not None:
                    served = await _scrape(client, authorization=f"Bearer {token}")
                    assert served.status_code == 200 and "coedu_graphql_requests_total" in served.text
        finally:
            await running.stop()


async def test_the_process_and_the_interpreter_are_in_the_metrics(api, world):
    text = (await _scrape(api.client)).text
    for name in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                 "process_start_time_seconds", "python_gc_objects_collected_total", "python_info"):
        assert re.search(rf"^{name}(\{{.*\}})? ", text, flags=re.MULTILINE), name


async def test_a_stalled_scheduler_and_a_stuck_outbox_show_in_the_backlog(settings):
    running = RunningServer(settings)
    address = await running.start()
    try:
        # Every loop stopped, as in a replica whose scheduler died: due work piles up.
        await running.app.state.supervisor.stop()
        connection = await asyncpg.connect(settings.database_url.replace("postgres://", "postgresql://", 1))
        try:
            await connection.execute(
                "INSERT INTO scheduled_job (kind, subject_id, due_at, attempts) VALUES "
                "('alert-deadline', gen_random_uuid(), now() - interval '90 seconds', 0), "
                "('alert-deadline', gen_random_uuid(), now() - interval '10 seconds', 0), "
                "('push', gen_random_uuid(), now() - interval '5 seconds', 2), "
                "('push', gen_random_uuid(), now() + interval '1 hour', 1)")
            await connection.execute("INSERT INTO redis_outbox (id, command, target, created_at) "
                                     "VALUES (gen_random_uuid(), 'incr', 'x', now() - interval '60 seconds')")
        finally:
            await connection.close()
        async with httpx.AsyncClient(base_url=f"http://{address}") as client:
            text = (await _scrape(client)).text
        assert metric(text, "coedu_backlog_up") == 1
        assert metric(text, "coedu_scheduler_due_jobs", kind="alert-deadline") == 2
        assert metric(text, "coedu_scheduler_due_jobs", kind="push") == 1
        assert 90 <= metric(text, "coedu_scheduler_lag_seconds") < 120
        assert metric(text, "coedu_scheduler_failing_jobs") == 2
        assert metric(text, "coedu_outbox_entries") == 1
        assert 60 <= metric(text, "coedu_outbox_oldest_seconds") < 90
    finally:
        await running.stop()


async def test_a_scrape_during_a_postgres_outage_answers_and_says_the_backlog_is_unknown(
        private_postgres_settings, private_postgres):
    running = RunningServer(private_postgres_settings)
    address = await running.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://{address}", timeout=10) as client:
            assert metric((await _scrape(client)).text, "coedu_backlog_up") == 1
            private_postgres.halt()
            try:
                during = await _scrape(client)
            finally:
                private_postgres.resume()
        assert during.status_code == 200
        assert metric(during.text, "coedu_backlog_up") == 0
        assert during.elapsed.total_seconds() < 3
    finally:
        await running.stop()


async def test_job_runs_are_counted_by_kind_and_result(api, world):
    before = (await _scrape(api.client)).text
    person_token = world["counsellor_a"].token
    await api.data(REGISTER, {"platform": "ANDROID", "token": "fcm-token"}, token=person_token)
    await raise_alert(api, world)  # a push to the counsellor's phone: no gateway here, so skipped

    async def counted() -> bool:
        text = (await _scrape(api.client)).text
        return (metric(text, "coedu_push_deliveries_total", result="skipped")
                > metric(before, "coedu_push_deliveries_total", result="skipped"))

    await eventually(counted, within=5)
    after = (await _scrape(api.client)).text
    assert (metric(after, "coedu_scheduled_jobs_total", kind="push", result="done")
            > metric(before, "coedu_scheduled_jobs_total", kind="push", result="done"))


async def test_websocket_operations_are_counted_and_logged_like_http_ones(api, world, caplog):
    before = (await _scrape(api.client)).text
    with caplog.at_level(logging.INFO, logger="coedu.ws"):
        client = await WsClient.connect(api.address, world["counsellor_a"].token)
        try:
            feed = await client.subscribe("subscription NotificationReceived { notificationReceived { id } }")
            query = await client.subscribe("query WsViewer { viewer { displayName } }")
            message = await client.receive()
            assert message["id"] == query and message["type"] == "next"
            assert (await client.receive())["type"] == "complete"
            await client.subscribe("query WsBroken { noSuchField }")
            assert (await client.receive())["type"] == "error"
            during = (await _scrape(api.client)).text
            assert metric(during, "coedu_websocket_operations_active") >= 1  # the live subscription
            await client.connection.send(json.dumps({"id": feed, "type": "complete"}))

            async def feed_closed() -> bool:
                text = (await _scrape(api.client)).text
                return (metric(text, "coedu_graphql_requests_total", operation="NotificationReceived",
                               outcome="cancelled", transport="ws") == 1)

            await eventually(feed_closed, within=5)
        finally:
            await client.connection.close()
    after = (await _scrape(api.client)).text
    assert metric(after, "coedu_graphql_requests_total", operation="WsViewer", outcome="ok", transport="ws") == 1
    assert metric(after, "coedu_graphql_requests_total", operation="WsBroken", outcome="error", transport="ws") == 1
    lines = [r for r in caplog.records if r.name == "coedu.ws" and r.getMessage() == "operation"]
    logged = {(r.operation, r.outcome, r.transport) for r in lines}
    assert {("WsViewer", "ok", "ws"), ("WsBroken", "error", "ws"), ("NotificationReceived", "cancelled", "ws")
            } <= logged
    assert all(isinstance(r.duration_ms, float) for r in lines)
    assert metric(before, "coedu_graphql_requests_total", operation="WsViewer", outcome="ok", transport="ws") == 0


async def test_every_access_log_line_names_its_operation(api, world, caplog):
    with caplog.at_level(logging.INFO, logger="coedu.app"):
        await api.data("query AccessLogViewer { viewer { displayName } }", token=world["teacher_a"].token)
        await api.client.get("/healthz")
    lines = [r for r in caplog.records if r.name == "coedu.app" and r.getMessage() == "request"]
    graphql = [r for r in lines if r.path == "/graphql"]
    assert [(r.operation, r.transport, r.status) for r in graphql] == [("AccessLogViewer", "http", 200)]
    assert [r.operation for r in lines if r.path == "/healthz"] == [None]
