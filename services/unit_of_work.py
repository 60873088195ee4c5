"""A whole request in one transaction, for the requests that must be all or nothing.

An idempotent mutation (services.idempotency) writes its effects and the
response it returned in one transaction, so that a retry finds either both or
neither. Inside such a request the services' own ``in_transaction`` blocks
become savepoints of the request's transaction, what they flush to Redis is
held until it commits (services.outbox), and each mutation field runs in a
savepoint of its own (``step``), so that a field whose userErrors say
"nothing changed" leaves nothing behind while the request goes on.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncIterator

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from services import outbox

_request_wide: contextvars.ContextVar[bool] = contextvars.ContextVar("request_wide_transaction", default=False)


@contextlib.asynccontextmanager
async def request_transaction() -> AsyncIterator[BaseDBAsyncClient]:
    """Everything inside commits together; the held Redis work runs after the commit."""
    async with outbox.held_until_commit() as held:
        token = _request_wide.set(True)
        try:
            async with in_transaction() as tx:
                yield tx
        finally:
            _request_wide.reset(token)
    await outbox.flush(held)


def step() -> contextlib.AbstractAsyncContextManager[object]:
    """A savepoint inside a request-wide transaction; nothing outside one (each service opens its own)."""
    return in_transaction() if _request_wide.get() else contextlib.nullcontext()
