"""Redis commands that must happen after a commit, even if Redis is down then.

A change that must reach Redis (a cache entry to drop, a message to fan out)
writes an outbox row in its own transaction. After the commit the row is
carried out at once; if Redis is unreachable it stays, and the relay loop of
any process carries it out when Redis answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Sequence

from redis.exceptions import RedisError
from tortoise import connections, fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import RawSQL
from tortoise.fields.db_defaults import Now
from tortoise.models import Model
from tortoise.transactions import in_transaction

from services import runtime
from services.ids import new_id
from services.loops import Beat, pause

log = logging.getLogger(__name__)


class RedisOutbox(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    #: "delete" (keys, space-separated), "incr" (one key) or "publish" (channel and payload).
    command = fields.CharField(max_length=16)
    target = fields.TextField()
    payload = fields.TextField(null=True)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "redis_outbox"


async def enqueue_delete(keys: list[str], *, using: BaseDBAsyncClient) -> RedisOutbox | None:
    if not keys:
        return None
    return await RedisOutbox.create(command="delete", target=" ".join(keys), using_db=using)


async def enqueue_incr(key: str, *, using: BaseDBAsyncClient) -> RedisOutbox:
    return await RedisOutbox.create(command="incr", target=key, using_db=using)


async def enqueue_publish(channel: str, payload: str, *, using: BaseDBAsyncClient) -> RedisOutbox:
    return await RedisOutbox.create(command="publish", target=channel, payload=payload, using_db=using)


#: Set while a whole request runs in one transaction (an idempotent mutation, services.idempotency):
#: what its changes flush is carried out only once that transaction has committed.
_held: contextvars.ContextVar[list[RedisOutbox] | None] = contextvars.ContextVar("outbox_held", default=None)


@contextlib.asynccontextmanager
async def held_until_commit() -> AsyncIterator[list[RedisOutbox]]:
    """Collect the entries flushed inside; the caller flushes them after its transaction commits
    (a wake-up or a cache invalidation sent before the commit would be read against old data)."""
    held: list[RedisOutbox] = []
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)


async def flush(entries: Sequence[RedisOutbox | None]) -> None:
    """Carry out entries just committed; whatever fails is left for the relay.

    The change has committed: nothing here may fail the request (a client told of an error would
    make the change again). An entry the relay holds (it took it first) is the relay's to delete."""
    held = _held.get()
    if held is not None:
        held.extend(entry for entry in entries if entry is not None)
        return
    done = []
    for entry in entries:
        if entry is None:
            continue
        try:
            await _execute(entry)
        except (RedisError, OSError):
            log.warning("redis unavailable; outbox entry left for the relay")
            break
        done.append(entry.id)
    if not done:
        return
    try:
        await connections.get("default").execute_query(_DELETE_UNLESS_HELD, [done])
    except Exception as error:  # noqa: BLE001 - carried out again by the relay: a wake-up twice is harmless
        log.warning("outbox entries carried out but not deleted; the relay will repeat them",
                    extra={"component": type(error).__name__})


#: Entries carried out, deleted but for those the relay holds: waiting for its transaction would
#: hold the request up to the statement timeout.
_DELETE_UNLESS_HELD = """DELETE FROM redis_outbox WHERE id IN (
    SELECT id FROM redis_outbox WHERE id = ANY($1::uuid[]) FOR UPDATE SKIP LOCKED)"""

#: How often the relay looks for entries left behind while Redis was unavailable.
RELAY_POLL_SECONDS = 0.5
#: The relay leaves an entry younger than this to the flush after its commit, which is carrying it
#: out then: taking it too would carry out every entry twice under load and make the flush wait.
LEFT_BEHIND_SECONDS = 1.0


async def relay(beat: Beat, stopping: asyncio.Event) -> None:
    """The relay loop (services.loops): carry out what a flush could not, as soon as Redis answers."""
    while not stopping.is_set():
        done = await relay_once()
        beat()
        await pause(stopping, 0 if done else RELAY_POLL_SECONDS)


async def relay_once(batch: int = 100) -> int:
    """Carry out pending entries oldest first; returns how many were done."""
    async with in_transaction() as tx:
        left_behind = RawSQL(f"now() - make_interval(secs => {float(LEFT_BEHIND_SECONDS)})")
        rows = await RedisOutbox.select_for_update(skip_locked=True).using_db(tx).filter(
            created_at__lt=left_behind).order_by("id").limit(batch)
        done = []
        for entry in rows:
            try:
                await _execute(entry)
            except (RedisError, OSError):
                break
            done.append(entry.id)
        if done:
            await RedisOutbox.filter(id__in=done).using_db(tx).delete()
    return len(done)


async def _execute(entry: RedisOutbox) -> None:
    redis = runtime.current().redis
    if entry.command == "delete":
        await redis.delete(*entry.target.split(" "))
    elif entry.command == "incr":
        await redis.incr(entry.target)
    elif entry.command == "publish":
        await redis.publish(entry.target, entry.payload or "")
    else:
        raise ValueError(f"unknown outbox command {entry.command!r}")
