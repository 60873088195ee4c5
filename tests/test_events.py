"""The hub's listeners (services.events): the buffer of one local consumer of a channel. The fan-out
through Redis, and its faults, are proven over real servers in tests/faults and tests/wellbeing."""

from __future__ import annotations

import asyncio

import pytest

from services.events import DEGRADED, RECONNECTED, Hub, Listener


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
