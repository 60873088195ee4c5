"""The supervisor of background loops: failures restart a loop, what cannot be restarted ends the process."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from api.supervision import Supervisor


async def _until(condition, within: float = 5) -> None:
    for _ in range(int(within / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


async def test_a_failing_loop_is_restarted_and_its_failures_logged_once(caplog):
    turns: list[str] = []

    async def body(beat, stopping):
        turns.append("start")
        if len(turns) <= 3:
            raise asyncpg.exceptions.CannotConnectNowError("the database system is starting up")
        while not stopping.is_set():
            beat()
            await asyncio.sleep(0.01)

    fatal: list[str] = []
    supervisor = Supervisor(on_fatal=fatal.append)
    with caplog.at_level(logging.WARNING, logger="coedu.loops"):
        loop = supervisor.start("scheduler", body)
        await _until(lambda: len(turns) == 4 and loop.failing == 0)
        await supervisor.stop()
    assert (loop.errors, loop.restarts, fatal) == (3, 3, [])
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert messages == [("WARNING", "loop lost its connection; retrying"), ("WARNING", "loop recovered")]


async def test_an_unexpected_error_is_logged_with_its_traceback(caplog):
    calls = []

    async def body(beat, stopping):
        calls.append(1)
        if len(calls) == 1:
            raise KeyError("bug")
        await stopping.wait()

    supervisor = Supervisor()
    with caplog.at_level(logging.ERROR, logger="coedu.loops"):
        supervisor.start("alert-feed", body)
        await _until(lambda: len(calls) == 2)
        await supervisor.stop()
    [record] = caplog.records
    assert record.getMessage() == "loop failed; restarting it" and record.exc_info[0] is KeyError


async def test_a_loop_that_ends_on_its_own_is_restarted_too():
    calls = []

    async def body(beat, stopping):
        calls.append(1)  # returns at once, although nobody asked it to stop

    supervisor = Supervisor()
    loop = supervisor.start("outbox-relay", body)
    await _until(lambda: len(calls) >= 3)
    await supervisor.stop()
    assert loop.errors >= 2


async def test_a_supervising_task_that_dies_ends_the_process():
    async def body(beat, stopping):
        await stopping.wait()

    fatal: list[str] = []
    supervisor = Supervisor(on_fatal=fatal.append)
    loop = supervisor.start("pubsub-hub", body)
    await asyncio.sleep(0.05)
    loop.task.cancel()  # as if something outside the supervisor killed it
    await _until(lambda: fatal != [])
    assert fatal == ["loop pubsub-hub is no longer supervised"]
    await supervisor.stop()


async def test_stopping_lets_the_turn_in_hand_finish():
    finished = []

    async def body(beat, stopping):
        await stopping.wait()
        await asyncio.sleep(0.05)  # the job in hand
        finished.append(True)

    supervisor = Supervisor()
    supervisor.start("scheduler", body)
    await asyncio.sleep(0.01)
    await supervisor.stop()
    assert finished == [True]
