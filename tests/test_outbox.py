"""The outbox (services.outbox): after a commit the change's Redis commands are carried out by its
own flush; the relay carries out only what a flush left behind. Against the real PostgreSQL and
Redis of the in-process server (whose own relay runs too)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from tortoise import connections
from tortoise.transactions import in_transaction

from services import outbox, runtime
from tests.wellbeing.helpers import eventually


async def _entry(channel: str) -> outbox.RedisOutbox:
    async with in_transaction() as tx:
        return await outbox.enqueue_publish(channel, "wake up", using=tx)


async def _exists(entry: outbox.RedisOutbox) -> bool:
    return await outbox.RedisOutbox.exists(id=entry.id)


async def test_a_flush_neither_waits_for_nor_fails_on_an_entry_the_relay_holds(server):
    # given: an entry just committed, and a relay's transaction that took it first and holds it
    channel = f"test-outbox-{uuid.uuid4().hex[:10]}"
    subscription = runtime.current().redis.pubsub()
    await subscription.subscribe(channel)
    entry = await _entry(channel)
    holding, release = asyncio.Event(), asyncio.Event()

    async def relay_holding() -> None:
        async with in_transaction() as tx:
            await tx.execute_query("SELECT id FROM redis_outbox WHERE id = $1 FOR UPDATE", [entry.id])
            holding.set()
            await release.wait()

    relay = asyncio.create_task(relay_holding())
    try:
        await asyncio.wait_for(holding.wait(), 5)
        # when: the change's own flush carries it out
        await asyncio.wait_for(outbox.flush([entry]), 2)  # not held up to the statement timeout
        # then: the message went out, and the entry is the relay's to delete
        message = None
        for _ in range(100):
            message = await subscription.get_message(ignore_subscribe_messages=True, timeout=0.05)
            if message is not None:
                break
        assert message is not None and message["data"] in ("wake up", b"wake up")
        assert await _exists(entry)
    finally:
        release.set()
        await relay
        await subscription.aclose()
        with contextlib.suppress(Exception):
            await outbox.RedisOutbox.filter(id=entry.id).delete()


async def test_the_relay_leaves_a_fresh_entry_to_its_flush_and_takes_one_left_behind(server, monkeypatch):
    monkeypatch.setattr(outbox, "LEFT_BEHIND_SECONDS", 30.0)
    entry = await _entry(f"test-outbox-{uuid.uuid4().hex[:10]}")
    # a flush is carrying it out now: the relay does not take it too
    assert await outbox.relay_once() == 0
    assert await _exists(entry)
    # left behind (Redis was down when its change committed): the relay carries it out
    await connections.get("default").execute_query(
        "UPDATE redis_outbox SET created_at = now() - interval '1 minute' WHERE id = $1", [entry.id])
    await eventually(lambda: _gone(entry))


async def _gone(entry: outbox.RedisOutbox) -> bool:
    if await _exists(entry):
        await outbox.relay_once()  # the server's relay may be between polls
    return not await _exists(entry)
