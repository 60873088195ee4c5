"""Throttles kept in Redis (never in process memory: there are many processes).

Fixed windows: a counter per bucket and subject that expires with its window.
When Redis is unreachable the throttle opens rather than locking everyone
out; argon2's cost still slows a guesser down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.exceptions import RedisError

from services import runtime

log = logging.getLogger(__name__)


#: One more attempt in the window; the first attempt starts the window (EXPIRE NX needs Redis 7).
_COUNT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


@dataclass(frozen=True)
class Throttle:
    name: str
    limit: int
    window_seconds: int

    def _key(self, subject: str) -> str:
        return runtime.current().key("throttle", self.name, subject)

    async def is_blocked(self, subject: str) -> bool:
        try:
            count = await runtime.current().redis.get(self._key(subject))
        except (RedisError, OSError):
            log.warning("throttle unavailable", extra={"throttle": self.name})
            return False
        return count is not None and int(count) >= self.limit

    async def hit(self, subject: str) -> None:
        try:
            await runtime.current().redis.eval(_COUNT, 1, self._key(subject), self.window_seconds)
        except (RedisError, OSError):
            log.warning("throttle unavailable", extra={"throttle": self.name})

    async def clear(self, subject: str) -> None:
        try:
            await runtime.current().redis.delete(self._key(subject))
        except (RedisError, OSError):
            log.warning("throttle unavailable", extra={"throttle": self.name})


#: Failed sign-ins (and failed current-password checks) per account.
SIGN_IN_PER_PHONE = Throttle("sign-in-phone", limit=5, window_seconds=15 * 60)
#: Failed sign-ins and activations per client address.
SIGN_IN_PER_ADDRESS = Throttle("sign-in-address", limit=30, window_seconds=15 * 60)
#: Failed invitation codes per phone.
ACTIVATION_PER_PHONE = Throttle("activation-phone", limit=5, window_seconds=15 * 60)
