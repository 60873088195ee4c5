"""Guessing throttles: every attempt counted before the secret is checked, delays that grow.

A sign-in (and an activation, and a current-password check) is one attempt
at an account from an address. Before the password is looked at, one Redis
script counts the attempt on three keys at once and says whether it may go
ahead:

- the account from this address (the pair): free for 5 failures, then each
  attempt must wait 1 s, 2 s, 4 s … (at most 15 minutes) after the last;
- the account from anywhere but its known devices: free for 10, then the
  same doubling, so a stranger guessing from many addresses slows down
  while the parent's own phone, the pair that last signed in, is not held
  back by the stranger (no lockout anyone can impose on anyone);
- the address, whatever the account: free for 30, then doubling.

An attempt refused for a delay is not counted (nothing was checked), so
waiting it out is enough. Counting first means concurrent guesses cannot slip
through between a check and a count: 30 at once for one account get 5
password checks. Counts fade after 15 minutes without attempts; a success
clears the pair and makes it a known device for 30 days. When Redis is
unreachable the throttle opens; bounded password hashing
(services.identity.passwords) still caps the rate.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from redis.exceptions import RedisError

from services import runtime

log = logging.getLogger(__name__)

#: The throttles' clock (seconds since the epoch): the time an attempt is counted at. Delays are
#: measured on it, so tests can hold it still while a burst is under way.
clock = time.time

WINDOW_SECONDS = 15 * 60
MAX_DELAY_SECONDS = 15 * 60
KNOWN_DEVICE_SECONDS = 30 * 86400
FREE_PER_PAIR, FREE_PER_ACCOUNT, FREE_PER_ADDRESS = 5, 10, 30

# KEYS: pair, account, address, known.  ARGV: now (whole milliseconds: exact in Lua's numbers and in
# its strings, where seconds with a fraction would be rounded), window and max delay (seconds), free per
# pair/account/address. Each counter is a hash {n = attempts, next = earliest time of the next attempt,
# in milliseconds}. The account key is skipped for a known device. Returns the wait in milliseconds.
_ADMIT = """
local now, window, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local free = {tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])}
local known = redis.call('EXISTS', KEYS[4]) == 1
local wait = 0
for i = 1, 3 do
  if not (i == 2 and known) then
    local next_at = tonumber(redis.call('HGET', KEYS[i], 'next') or '0')
    if next_at > now then wait = math.max(wait, next_at - now) end
  end
end
if wait > 0 then return string.format('%.0f', wait) end
for i = 1, 3 do
  if not (i == 2 and known) then
    local n = redis.call('HINCRBY', KEYS[i], 'n', 1)
    local delay = 0
    if n >= free[i] then delay = math.min(2 ^ (n - free[i]), cap) * 1000 end
    redis.call('HSET', KEYS[i], 'next', string.format('%.0f', now + delay))
    redis.call('EXPIRE', KEYS[i], window + cap)
  end
end
return '0'
"""


@dataclass(frozen=True)
class Guard:
    """The throttle of one kind of secret (a password, an invitation code)."""

    name: str

    def _keys(self, account: str, address: str) -> list[str]:
        rt = runtime.current()
        return [rt.key("throttle", self.name, "pair", account, address),
                rt.key("throttle", self.name, "account", account),
                rt.key("throttle", self.name, "address", address),
                rt.key("known-device", account, address)]

    async def admit(self, account: str, address: str) -> int:
        """Count this attempt; 0 if it may go ahead, else the seconds to wait (it was not counted)."""
        try:
            wait = await runtime.current().redis.eval(
                _ADMIT, 4, *self._keys(account, address), round(clock() * 1000), WINDOW_SECONDS, MAX_DELAY_SECONDS,
                FREE_PER_PAIR, FREE_PER_ACCOUNT, FREE_PER_ADDRESS)
        except (RedisError, OSError):
            log.warning("throttle unavailable", extra={"throttle": self.name})
            return 0
        return math.ceil(int(wait) / 1000)

    async def succeeded(self, account: str, address: str) -> None:
        """The secret was right: this pair starts afresh and is a known device from now on."""
        pair, _, _, known = self._keys(account, address)
        try:
            redis = runtime.current().redis
            await redis.delete(pair)
            await redis.set(known, "1", ex=KNOWN_DEVICE_SECONDS)
        except (RedisError, OSError):
            log.warning("throttle unavailable", extra={"throttle": self.name})


#: One more attempt in a fixed window, counted before anything is checked.
_COUNT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


@dataclass(frozen=True)
class Throttle:
    """At most ``limit`` attempts per subject per window, counted first (a six-digit code at a venue:
    the guesser is one parent at one session, so a hard limit harms nobody else)."""

    name: str
    limit: int
    window_seconds: int

    async def allow(self, subject: str) -> bool:
        try:
            count = await runtime.current().redis.eval(_COUNT, 1, runtime.current().key("throttle", self.name, subject),
                                                       self.window_seconds)
        except (RedisError, OSError):
            log.warning("throttle unavailable", extra={"throttle": self.name})
            return True
        return int(count) <= self.limit


#: Passwords: signing in, and the current password when changing it.
PASSWORDS = Guard("password")
#: Invitation codes, at activation.
INVITATIONS = Guard("invitation")
