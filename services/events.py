"""Fan-out across processes through Redis pub/sub, one subscription per process.

Messages are only wake-up calls: what happened is in PostgreSQL (events with
cursors, the outbox). So a message lost while Redis is down loses nothing:
when the connection comes back every listener is told to catch up from the
database.

The hub pings Redis over its subscription all the time. Redis answers a
connection's commands in order, so a pong proves that every message published
before its ping has been delivered here: the hub is ``healthy`` only while a
recent pong vouches for it, and a frozen Redis (which accepts connections and
never answers) is noticed within ``LEASE_SECONDS``, not at the next health
check half a minute later.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable

from redis.asyncio import Redis

from services.loops import Beat

#: Sentinel delivered to a channel's listeners once the hub's subscription is known to deliver the
#: channel (after a (re)connection, and when a channel first listened to is subscribed): what was
#: published before went to no one, so catch up from PostgreSQL.
RECONNECTED = "\x00reconnected"
#: Sentinel delivered to every listener (not to handlers) when the subscription is lost: no wake-up
#: can be counted on until RECONNECTED, so whoever relies on them looks at PostgreSQL meanwhile. A
#: consumer polls only while told to (``Hub.healthy`` says when it may stop), not with a timer of
#: its own for hours on end.
DEGRADED = "\x00degraded"
#: How often the hub pings Redis over its subscription.
HEARTBEAT_SECONDS = 0.1
#: How long after its ping was sent a pong vouches for the subscription. Shorter than the Redis client's
#: command timeout (services.redis_breaker): a change made once Redis froze learns that its message
#: cannot be published only after that timeout (or after another command's, which opened the breaker),
#: and by then no process trusts its subscription any more.
LEASE_SECONDS = 0.4
#: How long the hub may be unhealthy while subscribed (its loop hung, the breaker open) before its
#: listeners are told DEGRADED; a shorter lapse (a pong late behind a busy loop) is not news.
LAPSE_SECONDS = 1.0


class Listener:
    """Messages of one channel for one local consumer; bounded, dropping to a catch-up signal when full.

    Every live connection holds one or two of these for as long as it lives, mostly idle, so an
    idle listener holds no buffer: an ``asyncio.Queue`` is about 3 KB, and a connection's budget is
    50 KB in all (bench.suite). Wait with ``asyncio.timeout``, not ``wait_for`` (a task per wait).
    """

    __slots__ = ("_hub", "_maxsize", "_messages", "_waiter", "channel")

    def __init__(self, hub: Hub, channel: str, maxsize: int) -> None:
        self._hub = hub
        self.channel = channel
        self._maxsize = maxsize
        #: Undelivered messages; None while there are none.
        self._messages: deque[str] | None = None
        #: The consumer's wait for a message, while it waits.
        self._waiter: asyncio.Future[None] | None = None

    def deliver(self, message: str) -> None:
        messages = self._messages
        if messages is None:
            messages = self._messages = deque()
        elif len(messages) >= self._maxsize:
            # A slow consumer does not hold the others up: it is told to catch up instead (and that
            # the subscription is lost, if that is the last the hub said).
            lost = _last_news(messages, message) == DEGRADED
            messages.clear()
            if lost:
                messages.append(RECONNECTED)
            message = DEGRADED if lost else RECONNECTED
        messages.append(message)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> str:
        """The next message. A message delivered while the wait is being cancelled (a timeout, say)
        stays for the next ``get``."""
        if not self._messages:
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        messages = self._messages
        assert messages  # one consumer per listener: what woke it is still there
        message = messages.popleft()
        if not messages:
            self._messages = None
        return message

    def __aiter__(self) -> AsyncIterator[str]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[str]:
        while True:
            yield await self.get()

    def close(self) -> None:
        self._hub._remove(self)


def _last_news(messages: deque[str], message: str) -> str | None:
    """The latest of the sentinels among ``messages`` and then ``message``: what the hub said last."""
    for candidate in (message, *reversed(messages)):
        if candidate in (DEGRADED, RECONNECTED):
            return candidate
    return None


class Handler:
    """Messages of one channel handed to a function as the hub reads them, before any listener wakes."""

    def __init__(self, hub: Hub, channel: str, deliver: Callable[[str], None]) -> None:
        self._hub = hub
        self.channel = channel
        self.deliver = deliver

    def close(self) -> None:
        self._hub._remove(self)


class Hub:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._listeners: dict[str, set[Listener | Handler]] = defaultdict(set)
        self._changed = asyncio.Event()
        self.connected = asyncio.Event()
        #: When the ping of the last pong on this connection was sent (monotonic); None before the first.
        self._vouched_from: float | None = None
        #: Whether the listeners have been told DEGRADED since the hub was last healthy.
        self._told_degraded = False
        #: When the subscribed hub was first found unhealthy; None while it is healthy.
        self._lapsed_at: float | None = None
        #: The channels this subscription is known to deliver: Redis answered a ping sent after their
        #: SUBSCRIBE (it answers a connection's commands in order).
        self._confirmed: set[str] = set()

    def listen(self, channel: str, maxsize: int = 256) -> Listener:
        listener = Listener(self, channel, maxsize)
        self._add(listener)
        return listener

    def handle(self, channel: str, deliver: Callable[[str], None]) -> Handler:
        """Call ``deliver`` with each message of ``channel`` (and RECONNECTED), synchronously in the hub's
        loop: for state that must change before anything else in the process hears of the message."""
        handler = Handler(self, channel, deliver)
        self._add(handler)
        return handler

    def _add(self, listener: Listener | Handler) -> None:
        new_channel = listener.channel not in self._listeners or not self._listeners[listener.channel]
        self._listeners[listener.channel].add(listener)
        if new_channel:
            self._changed.set()

    def _remove(self, listener: Listener | Handler) -> None:
        listeners = self._listeners.get(listener.channel)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._listeners[listener.channel]
                self._changed.set()

    @property
    def healthy(self) -> bool:
        """Subscribed, Redis answering the heartbeat and not known to be failing: wake-ups can be counted on.

        Whoever asks also notices a lapse the loop cannot report (the loop hung, the breaker open
        while the subscription stays): unhealthy for LAPSE_SECONDS, the listeners are told DEGRADED
        as when the subscription is lost. The alert feed asks twice a second."""
        breaker = getattr(self._redis, "breaker", None)
        vouched_from = self._vouched_from
        now = time.monotonic()
        healthy = (self.connected.is_set() and vouched_from is not None and now - vouched_from <= LEASE_SECONDS
                   and not (breaker is not None and breaker.is_open))
        if healthy:
            self._lapsed_at, self._told_degraded = None, False
        elif self.connected.is_set() and not self._told_degraded:
            if self._lapsed_at is None:
                self._lapsed_at = now
            elif now - self._lapsed_at >= LAPSE_SECONDS:
                self._degraded()
        return healthy

    def delivers(self, channel: str) -> bool:
        """Whether a message published to ``channel`` now reaches this process's listeners; when it
        does not yet, a listener of a channel new here is told RECONNECTED once it does."""
        return channel in self._confirmed and self.healthy

    def _dispatch(self, channel: str, message: str) -> None:
        for listener in list(self._listeners.get(channel, ())):
            listener.deliver(message)

    async def run(self, beat: Beat, stopping: asyncio.Event) -> None:
        """The hub's loop (services.loops): one subscription for every channel listened to here.
        When it is lost the supervisor starts this again. A channel's listeners are told to catch up
        once the subscription is known to deliver it: at the first pong to a ping sent after its
        SUBSCRIBE, on a new connection as for a channel first listened to on this one."""
        pubsub = self._redis.pubsub()
        pings = (str(n) for n in itertools.count())
        #: The ping awaiting its pong, when it was sent, and the channels its pong will confirm.
        pending: tuple[str, float, set[str]] | None = None
        try:
            await pubsub.ping()
            subscribed = set(self._listeners)
            if subscribed:
                await pubsub.subscribe(*subscribed)
            while not stopping.is_set():
                if self._changed.is_set():
                    self._changed.clear()
                    wanted = set(self._listeners)
                    if wanted - subscribed:
                        await pubsub.subscribe(*(wanted - subscribed))
                    if subscribed - wanted:
                        await pubsub.unsubscribe(*(subscribed - wanted))
                        # a pong that comes later says nothing of a SUBSCRIBE sent again after this
                        self._confirmed -= subscribed - wanted
                        if pending is not None:
                            pending[2].difference_update(subscribed - wanted)
                    subscribed = wanted
                if pending is None and time.monotonic() - (self._vouched_from or 0) >= HEARTBEAT_SECONDS:
                    pending = (next(pings), time.monotonic(), subscribed - self._confirmed)
                    await pubsub.ping(pending[0])
                response = await pubsub.parse_response(block=False, timeout=0.05)
                beat()
                _ = self.healthy  # a lapse the heartbeat cannot see (the breaker open), or its end
                if response is None:
                    if pending is not None and time.monotonic() - pending[1] > LEASE_SECONDS:
                        raise TimeoutError("Redis did not answer the hub's ping")  # frozen: connect again
                    continue
                if pending is not None and _pong(response) == pending[0]:
                    self._vouched_from, confirmed, pending = pending[1], pending[2], None
                    self.connected.set()
                    self._confirmed |= confirmed
                    for channel in confirmed:
                        self._dispatch(channel, RECONNECTED)
                    continue
                message = await pubsub.handle_message(response, ignore_subscribe_messages=True)
                if message is not None and message["type"] == "message":
                    channel, data = message["channel"], message["data"]
                    self._dispatch(channel.decode() if isinstance(channel, bytes) else channel,
                                   data.decode() if isinstance(data, bytes) else data)
        finally:
            if self.connected.is_set() and not self._told_degraded:
                self._degraded()
            self.connected.clear()
            self._vouched_from = None
            self._confirmed = set()
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    def _degraded(self) -> None:
        self._told_degraded = True
        for listeners in list(self._listeners.values()):
            for listener in list(listeners):
                if isinstance(listener, Listener):
                    listener.deliver(DEGRADED)


def _pong(response: object) -> str | None:
    """The payload of a reply to PING on a subscribed connection: a plain reply in RESP3, ``["pong",
    payload]`` in RESP2 (redis-py's get_message takes the former for a malformed message)."""
    if isinstance(response, list) and len(response) == 2 and response[0] in ("pong", b"pong"):
        response = response[1]
    if isinstance(response, bytes):
        return response.decode()
    return response if isinstance(response, str) else None
