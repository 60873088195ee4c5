"""Principals kept in each process's memory: a warm request asks Redis nothing, and a revoked role or an
ended session stops working on every process as soon as the access-changed message reaches it (the
change's own response waits for the publish; the other process's next turn of its loop reads it), and
at once while Redis is frozen or gone."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from services import redis_breaker
from services.access import Principal
from services.events import Hub
from services.identity.principal_cache import PrincipalCache
from services.identity.tokens import AccessClaims
from tests.account.test_sessions import LOGOUT
from tests.helpers import Api, contract_operation, error_codes, statement_count

REVOKE_ROLE = contract_operation("organisation.graphql", "RevokeRole")
CREATE_SCHOOL = contract_operation("organisation.graphql", "CreateSchool")
VIEWER = "query { viewer { id displayName } }"
#: The commands principals.load sends for a request (the entry and generation, the guarded fill).
PRINCIPAL_COMMANDS = ("mget", "eval", "evalsha", "get", "set")


@asynccontextmanager
async def _client(address: str) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as client:
        yield Api(client, address)


#: How long another process may still serve a cached principal after the change's response: the
#: pub/sub message's way to it, a few milliseconds on a quiet machine; generous for a loaded one.
DELIVERY_SECONDS = 1.0


async def _refused_soon(attempt: Callable[[], Awaitable[dict]], code: str) -> float:
    """Seconds until ``attempt`` is refused with ``code``; fails past DELIVERY_SECONDS."""
    started = asyncio.get_running_loop().time()
    while True:
        elapsed = asyncio.get_running_loop().time() - started
        if error_codes(await attempt()) == [code]:
            return elapsed
        assert elapsed < DELIVERY_SECONDS, f"still served {elapsed:.3f} s after the change"
        await asyncio.sleep(0.005)


def _revoke_district_admin(world) -> dict:
    return {"input": {"userId": world["district_admin_a"].id, "role": "DISTRICT_ADMIN",
                      "districtId": world.gid(world.district_a)}}


async def _create_school(api: Api, world, token: str) -> dict:
    return await api.gql(CREATE_SCHOOL, {"input": {"districtId": world.gid(world.district_a), "name": "新学校",
                                                   "stage": "PRIMARY", "isFamilyEducationPilot": False}}, token=token)


async def test_a_role_revoked_through_one_process_is_refused_by_another_at_once(api, world, server_processes):
    # given: a district administrator whose principal another process holds in memory
    [other] = await server_processes("other")
    admin = world["district_admin_a"]
    async with _client(other.address) as elsewhere:
        for _ in range(3):
            assert (await elsewhere.data(VIEWER, token=admin.token))["viewer"]["id"] == admin.id
        # when: the role is revoked through this process
        body = await api.data(REVOKE_ROLE, _revoke_district_admin(world), token=world["city_admin"].token)
        assert body["revokeRole"]["userErrors"] == []
        # then: the other process refuses them as a district administrator as soon as it hears
        await _refused_soon(lambda: _create_school(elsewhere, world, admin.token), "FORBIDDEN")


async def test_signing_out_through_one_process_ends_the_token_on_another_at_once(api, world, server_processes):
    [other] = await server_processes("other")
    teacher = world["teacher_a"]
    async with _client(other.address) as elsewhere:
        for _ in range(3):
            await elsewhere.data(VIEWER, token=teacher.token)
        await api.data(LOGOUT, {"refreshToken": teacher.refresh_token, "allDevices": False})
        await _refused_soon(lambda: elsewhere.gql(VIEWER, token=teacher.token), "UNAUTHENTICATED")


@pytest.mark.private_redis
@pytest.mark.parametrize("outage", ["frozen", "stopped"])
async def test_a_role_revoked_while_redis_is_out_is_refused_by_every_process(api, world, server_processes,
                                                                             private_redis, outage):
    # given: the principal warm in another process's memory, and Redis frozen (SIGSTOP) or stopped
    [other] = await server_processes("other")
    admin = world["district_admin_a"]
    async with _client(other.address) as elsewhere:
        for _ in range(3):
            await elsewhere.data(VIEWER, token=admin.token)
        out, back = (private_redis.freeze, private_redis.thaw) if outage == "frozen" else (private_redis.stop, None)
        out()
        try:
            # when: the role is revoked (its message cannot be published: it waits in the outbox)
            body = await api.data(REVOKE_ROLE, _revoke_district_admin(world), token=world["city_admin"].token)
            assert body["revokeRole"]["userErrors"] == []
            # then: the other process no longer answers from memory but asks PostgreSQL
            assert error_codes(await _create_school(elsewhere, world, admin.token)) == ["FORBIDDEN"]
            assert error_codes(await _create_school(api, world, admin.token)) == ["FORBIDDEN"]
        finally:
            if back is not None:
                back()
        # and once Redis is back (the message relayed or not), it stays refused
        assert error_codes(await _create_school(elsewhere, world, admin.token)) == ["FORBIDDEN"]


async def _command_counts(redis: Redis) -> dict[str, int]:
    stats = await redis.info("commandstats")
    return {name.removeprefix("cmdstat_"): figures["calls"] for name, figures in stats.items()}


@pytest.mark.private_redis
async def test_a_warm_request_asks_redis_and_postgresql_nothing_about_its_principal(api, world, private_redis):
    token = world["parent_a"].token
    await api.data(VIEWER, token=token)
    redis = Redis.from_url(private_redis.url)
    try:
        before = await _command_counts(redis)
        for _ in range(20):
            assert (await api.data(VIEWER, token=token))["viewer"]["displayName"] == world["parent_a"].user.display_name
        after = await _command_counts(redis)
    finally:
        await redis.aclose()
    assert {name: after.get(name, 0) - before.get(name, 0) for name in PRINCIPAL_COMMANDS} == dict.fromkeys(
        PRINCIPAL_COMMANDS, 0)
    # the viewer's id and name come from the principal: not even app_user is read
    assert await statement_count(api, VIEWER, {}, token) == 0


async def _until(condition: Callable[[], bool], within: float = 5) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the condition did not come true"
        await asyncio.sleep(0.005)


async def test_a_read_overlapping_an_invalidation_answers_its_request_but_is_not_kept(backing):
    # given: a cache on a hub subscribed to a channel of this test, and a read of PostgreSQL held open
    redis = redis_breaker.connect(backing.redis_url)
    hub = Hub(redis)
    user_id, session_id = uuid.uuid4(), uuid.uuid4()
    claims = AccessClaims(user_id, session_id, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10))
    before_the_change = Principal(user_id, session_id, "王老师")
    release = asyncio.Event()
    reads: list[AccessClaims] = []

    async def read(claims: AccessClaims) -> Principal | None:
        reads.append(claims)
        await release.wait()
        return before_the_change

    cache = PrincipalCache(hub, read=read)
    channel = f"test{uuid.uuid4().hex[:10]}:access-changed"
    cache.attach(channel)
    stopping = asyncio.Event()
    loop = asyncio.create_task(hub.run(lambda: None, stopping))
    try:
        await _until(lambda: hub.healthy)
        in_flight = asyncio.create_task(cache.load(claims))
        await _until(lambda: len(reads) == 1)
        # when: the user's access changes while the read is in flight
        epoch = cache.epoch
        await redis.publish(channel, str(user_id))
        await _until(lambda: cache.epoch != epoch)
        release.set()
        # then: the read answers its own request, but the next request reads again
        assert await in_flight == before_the_change
        assert len(cache) == 0
        assert await cache.load(claims) == before_the_change
        assert len(reads) == 2
        # and a read that nothing overlapped is kept: the next request is answered from memory
        assert await cache.load(claims) == before_the_change
        assert len(reads) == 2
    finally:
        stopping.set()
        await loop
        await redis.aclose()


async def test_a_principal_kept_before_the_subscription_was_lost_is_read_again_after(private_redis):
    # given: a principal kept in memory while the hub is subscribed (a Redis of this test: it kills connections)
    redis = redis_breaker.connect(private_redis.url)
    hub = Hub(redis)
    user_id, session_id = uuid.uuid4(), uuid.uuid4()
    claims = AccessClaims(user_id, session_id, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10))
    reads: list[AccessClaims] = []

    async def read(claims: AccessClaims) -> Principal | None:
        reads.append(claims)
        return Principal(user_id, session_id, "王老师")

    cache = PrincipalCache(hub, read=read)
    channel = "test:access-changed"
    cache.attach(channel)
    stopping = asyncio.Event()
    loop = asyncio.create_task(hub.run(lambda: None, stopping))
    try:
        await _until(lambda: hub.healthy)
        await cache.load(claims)
        await cache.load(claims)
        assert len(reads) == 1
        # when: the subscription is cut, and the user's access changes while nobody listens
        await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        with pytest.raises(RedisConnectionError):  # the hub's loop ends; the supervisor would start it again
            await loop
        assert await redis.publish(channel, str(user_id)) == 0
        loop = asyncio.create_task(hub.run(lambda: None, stopping))
        await _until(lambda: hub.healthy)
        # then: what was kept before is not trusted: the next request reads again
        await cache.load(claims)
        assert len(reads) == 2
    finally:
        stopping.set()
        if not loop.done():
            await loop
        await redis.aclose()
