"""One Idempotency-Key, one effect: across timeouts, a process killed between commit and answer,
and retries racing each other."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

import httpx
from tortoise import connections
from tortoise.transactions import in_transaction

from services.wellbeing.models import WellbeingAlert
from tests.conftest import RunningServer
from tests.helpers import Api, build_world
from tests.wellbeing.helpers import RAISE

#: The lock every transaction that records alert events takes (services.wellbeing.events).
EVENT_ORDER_LOCK = 0x77656C6C


def _raise(world, summary="自述有轻生念头"):
    return {"input": {"studentId": world.gid(world.students["a"]), "severity": "CRITICAL",
                      "category": "SELF_HARM_RISK", "source": "TEACHER_OBSERVATION", "summary": summary,
                      "details": "请尽快联系家长"}}


async def _alerts(world) -> int:
    return await WellbeingAlert.filter(student_id=world.students["a"].id).count()


async def test_a_process_killed_between_commit_and_answer_leaves_one_alert(api, world, server_processes):
    [doomed] = await server_processes("doomed", env={"COEDU_FAILPOINTS": "kill-after-commit"})
    [survivor] = await server_processes("survivor")
    headers = {"authorization": f"Bearer {world['teacher_a'].token}", "idempotency-key": "raise-then-die"}
    body = {"query": RAISE, "variables": _raise(world)}
    async with httpx.AsyncClient(timeout=10) as client:
        try:
            answer = await client.post(f"http://{doomed.address}/graphql", json=body, headers=headers)
            raise AssertionError(f"the process answered although it was killed after its commit: {answer.text}")
        except httpx.TransportError:
            pass  # no answer: the client retries, on another replica
        retry = await client.post(f"http://{survivor.address}/graphql", json=body, headers=headers)
    assert doomed.process.wait(5) == -9
    assert retry.status_code == 200
    assert retry.headers["idempotent-replayed"] == "true"
    payload = retry.json()["data"]["raiseWellbeingAlert"]
    assert payload["userErrors"] == [] and payload["alert"]["severity"] == "CRITICAL"
    assert await _alerts(world) == 1


@contextlib.asynccontextmanager
async def _server_with_deadline(settings, **changes):
    """A server whose requests have a one-second deadline; the world and an API client for it."""
    running = RunningServer(dataclasses.replace(settings, request_timeout_s=1.0, **changes))
    address = await running.start()
    try:
        world = await build_world()
        async with httpx.AsyncClient(base_url=f"http://{address}", timeout=10) as client:
            yield world, Api(client, address)
    finally:
        await running.stop()


async def test_a_timeout_after_the_commit_replays_on_retry(settings):
    async with _server_with_deadline(settings, failpoints=frozenset({"stall-after-commit"})) as (world, api):
        headers = {"idempotency-key": "raise-slow-answer"}
        first = await api.post(RAISE, _raise(world), token=world["teacher_a"].token, headers=headers)
        assert first.status_code == 504  # the answer was late, but the alert committed
        retries = [await api.post(RAISE, _raise(world), token=world["teacher_a"].token, headers=headers)
                   for _ in range(3)]
        assert [r.status_code for r in retries] == [200, 200, 200]
        assert all(r.headers["idempotent-replayed"] == "true" for r in retries)
        assert await _alerts(world) == 1


async def test_a_timeout_before_the_commit_leaves_nothing_and_the_retry_runs_afresh(settings):
    async with _server_with_deadline(settings) as (world, api):
        headers = {"idempotency-key": "raise-stuck"}
        # Another transaction holds the event-order lock: the raise cannot finish in time.
        async with in_transaction() as blocker:
            await blocker.execute_query("SELECT pg_advisory_xact_lock($1)", [EVENT_ORDER_LOCK])
            first = await api.post(RAISE, _raise(world), token=world["teacher_a"].token, headers=headers)
        assert first.status_code == 504
        assert await _alerts(world) == 0
        retry = await api.post(RAISE, _raise(world), token=world["teacher_a"].token, headers=headers)
        assert retry.status_code == 200 and "idempotent-replayed" not in retry.headers
        assert retry.json()["data"]["raiseWellbeingAlert"]["userErrors"] == []
        assert await _alerts(world) == 1


async def test_racing_retries_raise_one_alert(api, world, server_processes):
    processes = await server_processes("r1", "r2")
    addresses = [api.address, *(p.address for p in processes)]
    headers = {"authorization": f"Bearer {world['teacher_a'].token}", "idempotency-key": "raise-race"}
    body = {"query": RAISE, "variables": _raise(world)}
    async with httpx.AsyncClient(timeout=10) as client:
        responses = await asyncio.gather(*[
            client.post(f"http://{addresses[i % 3]}/graphql", json=body, headers=headers) for i in range(24)])
        settled = await client.post(f"http://{addresses[0]}/graphql", json=body, headers=headers)
    assert {r.status_code for r in responses} <= {200, 409}
    done = [r.json() for r in responses if r.status_code == 200]
    assert done and all(d == done[0] for d in done)
    assert settled.json() == done[0] and settled.headers["idempotent-replayed"] == "true"
    assert await _alerts(world) == 1


async def test_a_keyed_mutation_with_user_errors_replays_them_and_changes_nothing(api, world):
    variables = _raise(world, summary="")
    headers = {"idempotency-key": "raise-invalid"}
    first = await api.post(RAISE, variables, token=world["teacher_a"].token, headers=headers)
    second = await api.post(RAISE, variables, token=world["teacher_a"].token, headers=headers)
    assert first.json()["data"]["raiseWellbeingAlert"]["userErrors"][0]["field"] == "summary"
    assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"
    assert await _alerts(world) == 0


async def test_the_deadline_covers_the_wait_for_a_pool_connection(settings):
    import time

    async with _server_with_deadline(settings, db_pool_size=2) as (world, api):
        pool = connections.get("default")._pool
        held = [await pool.acquire() for _ in range(2)]  # every connection busy elsewhere
        try:
            started = time.perf_counter()
            response = await api.post("query { viewer { displayName } }", token=world["teacher_a"].token)
            waited = time.perf_counter() - started
        finally:
            for connection in held:
                await pool.release(connection)
        assert response.status_code == 504
        assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
        assert 1.0 <= waited < 1.5
