"""This process's principals in memory, so that a warm request asks neither Redis nor PostgreSQL who it is.

Every change of a user's access announces itself after its commit on the access-changed channel
(principals.access_changed), which this process's hub subscribes to; the message drops the user's
entries here before anything else in the process hears of it. A message can be missed only while the
subscription is down or Redis does not answer, and the hub knows both (``Hub.healthy``, kept by its
heartbeat): then everything here is dropped and each request takes principals.load's way (Redis, then
PostgreSQL), until the subscription vouches for delivery again. A miss is read from PostgreSQL, the
source of truth, never from the Redis entry, whose generation may be bumped after the message arrives
(the outbox relay carries entries out in no guaranteed order).

A read that overlaps an invalidation may have seen the old roles: the epoch, bumped by every
invalidation, tells, and such a read answers its own request but is not kept. Bounded in size (least
recently used go first) and in age, a backstop for anything that changes access without a message.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.access import Principal
from services.events import RECONNECTED, Handler, Hub
from services.identity import principals
from services.identity.tokens import AccessClaims

MAX_ENTRIES = 20_000
TTL_SECONDS = 30.0


@dataclass(frozen=True)
class _Entry:
    principal: Principal
    expires_at: float


class PrincipalCache:
    def __init__(self, hub: Hub, *, read: Callable[[AccessClaims], Awaitable[Principal | None]] = principals.read,
                 max_entries: int = MAX_ENTRIES, ttl_seconds: float = TTL_SECONDS) -> None:
        self._hub = hub
        self._read = read
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[uuid.UUID, _Entry] = OrderedDict()  # by session, least recently used first
        self._sessions_of: dict[uuid.UUID, set[uuid.UUID]] = {}
        #: Bumped by every invalidation: a read that began before one is not kept.
        self.epoch = 0
        #: Set once the hub has (re)connected with this channel subscribed; until then nothing is kept.
        self._subscribed = False
        self._handler: Handler | None = None

    def attach(self, channel: str) -> None:
        """Listen to the access-changed channel; before the hub's loop starts, so that its first
        connection subscribes to it."""
        self._handler = self._hub.handle(channel, self._heard)

    async def load(self, claims: AccessClaims) -> Principal | None:
        """The principal of a verified token, or None if its session has ended (as principals.load)."""
        if not self._trusted():
            return await principals.load(claims)
        entry = self._entries.get(claims.session_id)
        if entry is not None and entry.expires_at > time.monotonic() and entry.principal.user_id == claims.user_id:
            self._entries.move_to_end(claims.session_id)
            return entry.principal
        epoch = self.epoch
        principal = await self._read(claims)
        if principal is not None and epoch == self.epoch and self._trusted():
            self._keep(principal)
        return principal

    def __len__(self) -> int:
        return len(self._entries)

    def _trusted(self) -> bool:
        if self._subscribed and self._hub.healthy:
            return True
        self.clear()
        return False

    def _keep(self, principal: Principal) -> None:
        self._forget(principal.session_id)
        self._entries[principal.session_id] = _Entry(principal, time.monotonic() + self.ttl_seconds)
        self._sessions_of.setdefault(principal.user_id, set()).add(principal.session_id)
        while len(self._entries) > self.max_entries:
            self._forget(next(iter(self._entries)))

    def _forget(self, session_id: uuid.UUID) -> None:
        entry = self._entries.pop(session_id, None)
        if entry is not None:
            sessions = self._sessions_of[entry.principal.user_id]
            sessions.discard(session_id)
            if not sessions:
                del self._sessions_of[entry.principal.user_id]

    def _heard(self, message: str) -> None:
        if message == RECONNECTED:
            self.clear()  # whatever was published while the subscription was down is unknown
            self._subscribed = True
            return
        try:
            user_id = uuid.UUID(message)
        except ValueError:
            self.clear()  # not a user's id: forget everyone rather than guess
            return
        self.epoch += 1
        for session_id in list(self._sessions_of.get(user_id, ())):
            self._forget(session_id)

    def clear(self) -> None:
        self.epoch += 1
        self._entries.clear()
        self._sessions_of.clear()
