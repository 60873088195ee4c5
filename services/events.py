"""Fan-out across processes through Redis pub/sub, one subscription per process.

Messages are only wake-up calls: what happened is in PostgreSQL (events with
cursors, the outbox). So a message lost while Redis is down loses nothing:
when the connection comes back every listener is told to catch up from the
database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from services.loops import Beat

#: Sentinel delivered to every listener after a (re)connection: catch up from PostgreSQL.
RECONNECTED = "\x00reconnected"


class Listener:
    """Messages of one channel for one local consumer; bounded, dropping to a catch-up signal when full."""

    def __init__(self, hub: Hub, channel: str, maxsize: int) -> None:
        self._hub = hub
        self.channel = channel
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize)

    def deliver(self, message: str) -> None:
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            # A slow consumer does not hold the others up: it is told to catch up instead.
            self._drain()
            self._queue.put_nowait(RECONNECTED)

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()

    async def get(self) -> str:
        return await self._queue.get()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[str]:
        while True:
            yield await self._queue.get()

    def close(self) -> None:
        self._hub._remove(self)


class Hub:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._listeners: dict[str, set[Listener]] = defaultdict(set)
        self._changed = asyncio.Event()
        self.connected = asyncio.Event()

    def listen(self, channel: str, maxsize: int = 256) -> Listener:
        listener = Listener(self, channel, maxsize)
        new_channel = channel not in self._listeners or not self._listeners[channel]
        self._listeners[channel].add(listener)
        if new_channel:
            self._changed.set()
        return listener

    def _remove(self, listener: Listener) -> None:
        listeners = self._listeners.get(listener.channel)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._listeners[listener.channel]
                self._changed.set()

    @property
    def healthy(self) -> bool:
        """Subscribed, and Redis not known to be failing: wake-ups can be counted on."""
        breaker = getattr(self._redis, "breaker", None)
        return self.connected.is_set() and not (breaker is not None and breaker.is_open)

    def _dispatch(self, channel: str, message: str) -> None:
        for listener in list(self._listeners.get(channel, ())):
            listener.deliver(message)

    async def run(self, beat: Beat, stopping: asyncio.Event) -> None:
        """The hub's loop (services.loops): one subscription for every channel listened to here.
        When it is lost the supervisor starts this again, and every listener is told to catch up."""
        pubsub = self._redis.pubsub()
        try:
            await pubsub.ping()
            subscribed = set(self._listeners)
            if subscribed:
                await pubsub.subscribe(*subscribed)
            self.connected.set()
            for channel in list(self._listeners):
                self._dispatch(channel, RECONNECTED)
            while not stopping.is_set():
                if self._changed.is_set():
                    self._changed.clear()
                    wanted = set(self._listeners)
                    if wanted - subscribed:
                        await pubsub.subscribe(*(wanted - subscribed))
                    if subscribed - wanted:
                        await pubsub.unsubscribe(*(subscribed - wanted))
                    subscribed = wanted
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05)
                beat()
                if message is not None and message["type"] == "message":
                    channel = message["channel"]
                    data = message["data"]
                    self._dispatch(
                        channel.decode() if isinstance(channel, bytes) else channel,
                        data.decode() if isinstance(data, bytes) else data,
                    )
        finally:
            self.connected.clear()
            with contextlib.suppress(Exception):
                await pubsub.aclose()
