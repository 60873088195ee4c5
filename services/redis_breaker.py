"""Redis as an accelerator, never a dependency: short timeouts and a circuit breaker.

PostgreSQL is the source of truth; Redis caches principals, counts throttles
and rings the doorbell of the live feeds. When Redis is down or hung (a
frozen server accepts connections and never answers), a request must not
wait for it: every command is bounded by the client's socket timeouts, and
after a failure the breaker opens and commands fail at once, for
``COOL_DOWN_SECONDS``. Then one command is let through as a probe: if it
succeeds the breaker closes, if it fails it stays open for another while.
Callers already treat a Redis error as "Redis unavailable" (they ask
PostgreSQL instead, or leave the work to the outbox relay).
"""

from __future__ import annotations

import logging
import time
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

COOL_DOWN_SECONDS = 2.0


class CircuitOpen(RedisConnectionError):
    """Redis failed a moment ago; it is not asked again yet."""


class Breaker:
    def __init__(self, cool_down_seconds: float = COOL_DOWN_SECONDS) -> None:
        self.cool_down_seconds = cool_down_seconds
        self._open_until: float | None = None
        self._probing = False
        self.trips = 0

    @property
    def is_open(self) -> bool:
        return self._open_until is not None

    def before_call(self) -> bool:
        """Raise CircuitOpen while open; True when this call is the probe of a half-open breaker."""
        if self._open_until is None:
            return False
        if time.monotonic() < self._open_until or self._probing:
            raise CircuitOpen("Redis is unavailable")
        self._probing = True
        return True

    def succeeded(self) -> None:
        if self._open_until is not None:
            log.warning("redis answers again; circuit closed")
        self._open_until = None
        self._probing = False

    def failed(self) -> None:
        if self._open_until is None:
            self.trips += 1
            log.warning("redis unavailable; circuit open")
        self._open_until = time.monotonic() + self.cool_down_seconds
        self._probing = False


class BreakerRedis(Redis):
    """A Redis client whose commands go through a breaker (pub/sub connections are the hub's own)."""

    breaker: Breaker

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        self.breaker.before_call()
        try:
            result = await super().execute_command(*args, **options)
        except (RedisConnectionError, RedisTimeoutError, OSError):
            self.breaker.failed()
            raise
        self.breaker.succeeded()
        return result


def connect(url: str, *, timeout_seconds: float = 0.5) -> BreakerRedis:
    """A client that fails fast: a local Redis answers in well under a millisecond, so a command
    waiting longer than ``timeout_seconds`` means Redis is in trouble, and the request goes on
    without it. No retries: a retry doubles the wait and the breaker decides when to ask again."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # from_url makes an instance of the class it is called on, though redis-py types it as Redis
    client = cast("BreakerRedis", BreakerRedis.from_url(
        url, decode_responses=True, socket_connect_timeout=timeout_seconds, socket_timeout=timeout_seconds,
        retry=Retry(NoBackoff(), 0), health_check_interval=30,
    ))
    client.breaker = Breaker()
    return client
