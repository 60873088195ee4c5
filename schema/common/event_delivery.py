"""Subscription events are delivered whole, or the connection is closed for the client to resume.

A live feed must never skip an event silently. If an event's fields fail to
resolve on the server's side (PostgreSQL restarting, say), sending the
result with errors would hand the client a ``next`` without the event's
cursor, and the next good event would carry it past the lost one. So a
failed event is executed again a couple of times, and if it still fails the
connection is closed with 1013 (Try Again Later), which graphql-ws clients
reconnect on; the app resubscribes from the last cursor it saw and the
event is replayed. The same holds when the event source itself fails.
Errors of the viewer's making (a field they may not read) are delivered as
usual: retrying would not change them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any, TypeVar

from schema.common.engine_internals import EngineExecutor
from schema.common.errors import is_server_error

log = logging.getLogger("coedu.ws")

#: Waits before the second and third execution of a failed event.
RETRY_DELAYS = (0.2, 1.0)
#: RFC 6455 "Try Again Later": graphql-ws treats it as retryable.
CLOSE_TRY_AGAIN_LATER = 1013
#: After closing, the connection's shutdown cancels the operation; this long at most.
_CLOSING_SECONDS = 10

T = TypeVar("T")


class EventNotDelivered(Exception):
    """An event could not be rendered; the connection has been closed for the client to resume."""


async def close_for_retry(context: Any, reason: str) -> None:
    """Close the operation's connection with 1013 and wait to be cancelled by its shutdown (an
    operation that ended on its own would send ``complete``, which ends the client's subscription)."""
    websocket = getattr(context, "websocket", None)
    if websocket is not None:
        with contextlib.suppress(Exception):
            await websocket.close(code=CLOSE_TRY_AGAIN_LATER, reason=reason)
        await asyncio.sleep(_CLOSING_SECONDS)


async def resumable(context: Any, events: AsyncIterator[T]) -> AsyncGenerator[T, None]:
    """An event source that, when it fails, closes the connection for a retry instead of ending
    the subscription (graphql-ws clients do not resubscribe after a ``complete``)."""
    try:
        async for event in events:
            yield event
    except asyncio.CancelledError:
        raise
    except Exception as error:
        log.warning("live feed source failed; closing the connection for the client to resume",
                    extra={"component": type(error).__name__})
        await close_for_retry(context, "feed interrupted")
        raise


class EventDeliveryExecutor(EngineExecutor):
    """graphql-core's executor, retrying subscription events that failed on the server's side."""

    def build_per_event_executor(self, payload: Any) -> Any:
        return _Delivery(lambda: super(EventDeliveryExecutor, self).build_per_event_executor(payload),
                         self.context_value)


class _Delivery:
    __slots__ = ("_context", "_fresh")

    def __init__(self, fresh: Callable[[], Any], context: Any) -> None:
        self._fresh = fresh
        self._context = context

    def execute_operation(self, serially: bool | None = None) -> Any:
        return self._deliver(serially)

    async def _deliver(self, serially: bool | None) -> Any:
        for delay in (*RETRY_DELAYS, None):
            executor = self._fresh()
            result = executor.execute_operation(serially)
            if executor.is_awaitable(result):
                result = await result
            if not any(is_server_error(error) for error in result.errors or ()):
                return result
            if delay is not None:
                await asyncio.sleep(delay)
        log.warning("live event could not be rendered; closing the connection for the client to resume")
        await close_for_retry(self._context, "event not delivered")
        raise EventNotDelivered
