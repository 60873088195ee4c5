"""GraphQL over WebSocket: graphql-transport-ws only, authenticated in connection_init.

A connection lives as long as its sign-in session: it outlives the access
token that opened it, and is closed at once when the session ends (sign-out,
password change, revocation). Operations are named and trusted exactly as
over HTTP (api.documents).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from typing import Any, cast

import orjson
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.types.unset import UNSET

from api.auth import authenticate
from api.documents import DocumentRefused, DocumentRegistry
from api.documents import Request as DocumentRequest
from api.graphql_http import operation_name_in
from api.observability import Metrics, new_request_id, request_id_var
from schema.context import Context
from schema.loaders import Loaders
from services import audit
from services.events import RECONNECTED
from services.identity import principals
from services.identity.tokens import AccessClaims
from services.messages import language_from_header

log = logging.getLogger("coedu.ws")

MAX_SUBSCRIPTIONS_PER_CONNECTION = 10
CONNECTION_INIT_TIMEOUT = timedelta(seconds=5)
#: Close codes (README, "The live feed"): graphql-transport-ws uses 44xx for the protocol's and the
#: application's reasons; 4403 (the session ended) is one graphql-ws retries, and a retry with a
#: signed-out token is refused at connection_init.
CLOSE_ACCESS_REVOKED = 4403
#: How often an open connection's session is checked again without a signal, and how soon after a
#: check that could not be made (PostgreSQL unreachable).
ACCESS_RECHECK_SECONDS = 30
ACCESS_RETRY_SECONDS = 2


class _TrustedOperations(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with the documents of api.documents: an operation is named by text or by
    id exactly as over HTTP, and in production only a trusted one runs."""

    view: GraphQLWebSocket

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Operations that answered with errors (strawberry's Operation has no room for a flag); made
        #: with the first, as an idle connection's every byte counts (bench.suite, memory).
        self._with_errors: set[str] | None = None

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        # strawberry cancelled the init deadline (unless it had passed) and keeps the task for good;
        # the loop holds it until it has finished, and nothing else needs it.
        self.connection_init_timeout_task = None

    async def handle_subscribe(self, message: Any) -> None:
        payload = message.get("payload") or {}
        query, operation_name = payload.get("query"), payload.get("operationName") or None
        extensions, document_id = payload.get("extensions"), payload.get("documentId")
        if not (isinstance(query, str | None) and isinstance(operation_name, str | None)
                and isinstance(extensions, dict | None) and isinstance(document_id, str | None)):
            await self._refuse(message, "BAD_REQUEST", "query, operationName, extensions or documentId has the "
                                                       "wrong type.")
            return
        documents = self.view.documents
        try:
            text = documents.resolve(DocumentRequest(query, operation_name, extensions, document_id))
        except DocumentRefused as refused:
            await self._refuse(message, refused.code, refused.message)
            return
        # the client's message (strawberry checked its shape), naming the document's text
        await super().handle_subscribe(cast("SubscribeMessage", {**message, "payload": {
            **payload, "query": text, "operationName": operation_name}}))

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """Each operation counted and logged as an HTTP request is: name, outcome, duration. A
        subscription's duration is its lifetime; ``cancelled`` is the client's complete (or the
        connection closing)."""
        metrics = self.view.metrics
        documents = self.view.documents
        name = operation.operation_name or operation_name_in(operation.query)
        label = metrics.operation_label(name, trusted=documents.enforcing)
        context: Context = self.context
        token = request_id_var.set(context.request_id)
        started, outcome = time.perf_counter(), "ok"
        metrics.websocket_operations.inc()
        try:
            await super().run_operation(operation)
            if self._with_errors is not None and operation.id in self._with_errors:
                outcome = "error"
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except Exception:
            outcome = "failed"
            raise
        finally:
            metrics.websocket_operations.dec()
            metrics.requests.labels(label, outcome, "ws").inc()
            log.info("operation", extra={
                "operation": label, "operation_id": str(operation.id)[:64], "outcome": outcome, "transport": "ws",
                "duration_ms": round((time.perf_counter() - started) * 1000, 2)})
            if self._with_errors is not None:
                self._with_errors.discard(operation.id)
            request_id_var.reset(token)

    async def send_message(self, message: Any) -> None:
        # An operation's outcome, for run_operation: a result with errors, or errors instead of results.
        if message["type"] == "error" or (message["type"] == "next" and "errors" in message["payload"]):
            if self._with_errors is None:
                self._with_errors = set()
            self._with_errors.add(message["id"])
        await super().send_message(message)

    async def _refuse(self, message: Any, code: str, text: str) -> None:
        if not self.connection_acknowledged:
            await self.websocket.close(code=4401, reason="Unauthorized")
            return
        # Past send_message: refused before it ran, the operation has no outcome to count.
        await super().send_message({"id": message.get("id"), "type": "error",
                                    "payload": [{"message": text, "extensions": {"code": code}}]})


class GraphQLWebSocket(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = _TrustedOperations

    def __init__(self, schema: Any, *, allowed_origins: tuple[str, ...], live: Any, metrics: Metrics,
                 documents: DocumentRegistry) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
            allowed_origins=allowed_origins,
        )
        self.live = live
        self.metrics = metrics
        self.documents = documents

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            raise ValueError("GraphQLWebSocket serves WebSocket connections only")
        websocket = WebSocket(scope, receive=receive, send=send)
        try:
            await self.run(websocket)
        finally:
            context: Context | None = getattr(websocket.state, "graphql_context", None)
            watchdog = context.extra.get("watchdog") if context else None
            if watchdog is not None:
                watchdog.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watchdog

    def encode_json(self, data: object) -> str:
        return orjson.dumps(data).decode()

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        context = self._new_context(request)
        request.state.graphql_context = context
        return context

    def _new_context(self, request: Request | WebSocket) -> Context:
        return Context(
            principal=None,
            language=language_from_header(request.headers.get("accept-language")),
            request_id=new_request_id(request.headers.get("x-request-id")),
            client_address=request.client.host if request.client else None,
            websocket=request,
            live=self.live,
        )

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        # The bearer token is not kept for the connection's lifetime: the session decides from now on.
        context.connection_params = None
        principal, claims = await authenticate(params.get("authorization") or params.get("Authorization"),
                                               self.live.principals)
        if principal is None or claims is None:
            raise ConnectionRejectionError({"reason": "unauthenticated"})
        context.principal = principal
        context.loaders = Loaders(principal)
        # Operations of this connection run in tasks made from here: audit rows carry its origin.
        audit.request_origin.set(audit.RequestOrigin(context.client_address, context.request_id))
        task = asyncio.create_task(self._watch(context, claims))
        context.extra["watchdog"] = task
        return UNSET

    async def _watch(self, context: Context, claims: AccessClaims) -> None:
        """Keep the connection while its session holds; close it when the session ends.

        The access token authenticated the connection once; after that the session decides, so a
        counsellor's feed lasts a whole shift across token expiry. Sign-out, revocation and role
        changes reach the connection at once (the access-changed signal), and the session is
        checked again every ``ACCESS_RECHECK_SECONDS`` in case a signal was lost.
        """
        websocket: WebSocket = context.websocket
        listener = self.live.hub.listen(principals.access_channel())
        self.metrics.websockets.inc()
        loop = asyncio.get_running_loop()
        # A deadline, not a timeout per wait: every user's access change reaches every connection,
        # and on a busy channel other users' messages would put the re-check off for good.
        recheck_at = loop.time() + ACCESS_RECHECK_SECONDS
        try:
            while True:
                try:
                    async with asyncio.timeout_at(recheck_at):  # not wait_for: no task per wait
                        message = await listener.get()
                except TimeoutError:
                    message = RECONNECTED  # re-check now and then, in case a message was lost
                if message not in (str(claims.user_id), RECONNECTED):
                    continue
                # A message about this user is read from PostgreSQL: the Redis entry's generation may be
                # bumped only after the message (the outbox relay keeps no order within a change).
                check = principals.read if message == str(claims.user_id) else principals.load
                try:
                    principal = await check(claims)
                except Exception as error:  # noqa: BLE001 - a watchdog that died would keep a revoked socket open
                    # PostgreSQL unreachable: the session cannot be checked now; check again soon.
                    log.warning("cannot re-check a connection's access; retrying",
                                extra={"component": type(error).__name__})
                    recheck_at = loop.time() + ACCESS_RETRY_SECONDS
                    continue
                recheck_at = loop.time() + ACCESS_RECHECK_SECONDS
                if principal is None:
                    await _close(websocket, CLOSE_ACCESS_REVOKED, "access revoked")
                    return
                # Roles may have changed: later checks on this connection use the current ones.
                context.principal = principal
        finally:
            listener.close()
            self.metrics.websockets.dec()


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await websocket.close(code=code, reason=reason)
