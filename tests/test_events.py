"""The hub's listeners (services.events): the buffer of one local consumer of a channel. The fan-out
through Redis, and its faults, are proven over real servers in tests/faults and tests/wellbeing."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from services import events, redis_breaker
from services.events import DEGRADED, RECONNECTED, Hub, Listener
from tests.helpers import hold_subscribe
from tests.wellbeing.helpers import eventually


def _listener(maxsize: int = 3) -> Listener:
    return Hub(redis=None).listen("channel", maxsize)  # type: ignore[arg-type]  # the hub's loop is not run


async def test_messages_come_in_order_and_a_waiting_consumer_wakes():
    listener = _listener()
    listener.deliver("a")
    waiting = asyncio.create_task(listener.get())
    assert await waiting == "a"
    waiting = asyncio.create_task(listener.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    listener.deliver("b")
    listener.deliver("c")
    assert await waiting == "b"
    assert await listener.get() == "c"


async def test_a_full_buffer_drops_to_one_catch_up_signal():
    listener = _listener(maxsize=3)
    for message in ("a", "b", "c", "d"):
        listener.deliver(message)
    assert await listener.get() == RECONNECTED
    listener.deliver("e")
    assert await listener.get() == "e"


async def test_a_full_buffer_keeps_the_news_that_the_subscription_was_lost():
    for lost_at in range(4):  # queued among the messages, or the one that overflows
        listener = _listener(maxsize=3)
        for number in range(4):
            listener.deliver(DEGRADED if number == lost_at else str(number))
        assert [await listener.get(), await listener.get()] == [RECONNECTED, DEGRADED]
        assert listener._messages is None


async def test_a_full_buffer_drops_the_news_of_a_loss_the_hub_has_recovered_from():
    for back_at in (2, 3):  # the reconnection queued after the loss, or the one that overflows
        listener = _listener(maxsize=3)
        for number in range(4):
            listener.deliver(DEGRADED if number == 1 else RECONNECTED if number == back_at else str(number))
        assert await listener.get() == RECONNECTED
        assert listener._messages is None


def _subscribed_hub(vouched_seconds_ago: float) -> Hub:
    hub = Hub(redis=None)  # type: ignore[arg-type]  # the hub's loop is not run: its state is set here
    hub.connected.set()
    hub._vouched_from = time.monotonic() - vouched_seconds_ago
    return hub


async def test_a_lapse_the_loop_cannot_report_is_told_to_listeners_once(monkeypatch):
    monkeypatch.setattr(events, "LAPSE_SECONDS", 0.05)
    hub = _subscribed_hub(vouched_seconds_ago=events.LEASE_SECONDS + 1)  # a hung loop: no pong, no error
    listener = hub.listen("channel")
    assert not hub.healthy  # the lapse noticed, not yet news
    assert listener._messages is None
    await asyncio.sleep(0.06)
    assert not hub.healthy and not hub.healthy
    assert await listener.get() == DEGRADED
    assert listener._messages is None  # told once
    hub._vouched_from = time.monotonic()  # the pong comes after all
    assert hub.healthy
    hub._vouched_from -= events.LEASE_SECONDS + 1  # and lapses again: news again
    assert not hub.healthy
    await asyncio.sleep(0.06)
    assert not hub.healthy
    assert await listener.get() == DEGRADED


async def test_a_hub_that_never_subscribed_tells_nobody(monkeypatch):
    monkeypatch.setattr(events, "LAPSE_SECONDS", 0.0)
    hub = Hub(redis=None)  # type: ignore[arg-type]
    listener = hub.listen("channel")
    assert not hub.healthy and not hub.healthy
    assert listener._messages is None  # a consumer starting now sees the hub unhealthy and polls


async def test_a_timed_out_wait_keeps_what_arrives_for_the_next():
    listener = _listener()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await listener.get()
    listener.deliver("late")
    assert await listener.get() == "late"


async def test_a_message_delivered_as_the_wait_is_cancelled_is_not_lost():
    listener = _listener()
    waiting = asyncio.create_task(listener.get())
    await asyncio.sleep(0)
    listener.deliver("a")  # wakes the wait, which is cancelled before it runs again
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await listener.get() == "a"


async def test_an_idle_listener_holds_no_buffer():
    listener = _listener()
    listener.deliver("a")
    await listener.get()
    assert listener._messages is None and listener._waiter is None


async def test_a_channel_first_listened_to_is_told_to_catch_up_once_redis_delivers_it(backing):
    """RECONNECTED tells a channel's listeners that Redis now delivers it: not before its SUBSCRIBE
    has been answered, however long that takes (here the hub's loop is held in it), and at once after."""
    redis = redis_breaker.connect(backing.redis_url)
    channel = f"test{uuid.uuid4().hex[:10]}:late"
    asked, release, stopping = asyncio.Event(), asyncio.Event(), asyncio.Event()
    hold_subscribe(redis, channel, asked, release)
    hub = Hub(redis)
    loop = asyncio.create_task(hub.run(lambda: None, stopping))
    try:
        await asyncio.wait_for(hub.connected.wait(), 5)  # its first pong: subscribed, healthy
        listener = hub.listen(channel)
        await asyncio.wait_for(asked.wait(), 5)
        await asyncio.sleep(5 * events.HEARTBEAT_SECONDS)
        assert not hub.delivers(channel)
        assert listener._messages is None
        release.set()
        assert await asyncio.wait_for(listener.get(), 2) == RECONNECTED
        assert hub.delivers(channel)
        assert await redis.publish(channel, "wake up") == 1
        assert await asyncio.wait_for(listener.get(), 2) == "wake up"
        listener.close()
        await eventually(lambda: _no_one_hears(redis, channel))  # unsubscribed: no longer delivered
        assert not hub.delivers(channel)
    finally:
        release.set()
        stopping.set()
        await loop
        await redis.aclose()


async def _no_one_hears(redis, channel: str) -> bool:
    return await redis.publish(channel, "anyone?") == 0
