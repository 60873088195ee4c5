"""/graphql over HTTP, as the GraphQL-over-HTTP specification has it and clients speak it.

- POST with a JSON body, or GET with the parameters in the URL for queries
  (never mutations: 405), one operation per request (batches refused),
  bodies capped, a deadline for the whole request.
- Responses are ``application/graphql-response+json`` when the client accepts
  it (request errors: 400) and ``application/json`` otherwise (200), as the
  specification says for each.
- Documents are named by text or by id (api.documents); in production only
  trusted ones run.
- Stripe-style ``Idempotency-Key`` replay for mutations (services.idempotency).
- In development, a browser asking for /graphql gets GraphiQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from graphql import DocumentNode, OperationDefinitionNode, OperationType, parse
from graphql.error import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.http.ides import get_graphql_ide_html

from api.auth import authenticate
from api.documents import MAX_TOKENS, DocumentRefused, DocumentRegistry
from api.documents import Request as DocumentRequest
from api.failpoints import Failpoints
from api.observability import Metrics, note_operation, request_id_var
from schema import is_request_error
from schema.common.errors import SERVER_ERROR_CODES
from schema.context import Context
from schema.loaders import Loaders
from services import audit, db, idempotency
from services.messages import Language, language_from_header, translate

log = logging.getLogger("coedu.http")

MAX_BODY_BYTES = 64 * 1024
#: Longest URL query string a GET may carry (a document, its variables and extensions).
MAX_QUERY_STRING = 16 * 1024
_JSON = "application/json"
_GRAPHQL_RESPONSE = "application/graphql-response+json"

_T = TypeVar("_T")


@dataclass
class HttpSettings:
    request_timeout_s: float
    documents: DocumentRegistry
    production: bool
    failpoints: Failpoints = field(default_factory=Failpoints)


class _Refused(Exception):  # noqa: N818 - a request refused before execution
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        self.status, self.code, self.message, self.headers = status, code, message, headers


@dataclass(frozen=True)
class Operation:
    """What a request asks to run, once its document is known."""

    query: str
    variables: dict | None
    operation_name: str | None
    kind: OperationType
    #: the chosen operation's own name (for metrics), whether or not the request named it
    name: str | None


def response_media_type(accept: str | None) -> str:
    """``application/graphql-response+json`` when the client prefers it, else ``application/json``."""
    best, best_q = _JSON, 0.0
    for part in (accept or "").split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media == _GRAPHQL_RESPONSE and q > best_q:
            best, best_q = _GRAPHQL_RESPONSE, q
        elif media in (_JSON, "*/*", "application/*") and q > best_q:
            best, best_q = _JSON, q
    return best


def _per_header(parse: Callable[[str | None], _T]) -> Callable[[str | None], _T]:
    """``parse`` of a header's value, remembered for the handful of short values the apps and
    browsers send (a long one, which only a client making them up sends, is parsed every time
    rather than kept)."""
    remembered = functools.lru_cache(maxsize=256)(parse)

    def parsed(value: str | None) -> _T:
        return remembered(value) if value is None or len(value) <= 256 else parse(value)

    return parsed


_language_of = _per_header(language_from_header)
_media_type_of = _per_header(response_media_type)


def _body(payload: Any, status: int, media_type: str, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type=media_type, headers=headers)


def _refusal(refused: _Refused, media_type: str) -> Response:
    return _body({"errors": [{"message": refused.message, "extensions": {"code": refused.code}}]}, refused.status,
                 media_type, refused.headers)


async def read_capped_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """The body, or None when it is larger than ``limit`` (declared or actual)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _parameters(request: Request) -> dict[str, Any]:
    """The request's GraphQL parameters, from the JSON body (POST) or the URL (GET)."""
    if request.method == "GET":
        if len(request.url.query) > MAX_QUERY_STRING:
            raise _Refused(414, "REQUEST_TOO_LARGE", f"The query string may be at most {MAX_QUERY_STRING} bytes.")
        data: dict[str, Any] = dict(request.query_params)
        for name in ("variables", "extensions"):
            if name in data:
                try:
                    data[name] = orjson.loads(data[name])
                except orjson.JSONDecodeError as error:
                    raise _Refused(400, "BAD_REQUEST", f"{name} is not valid JSON.") from error
        return data
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != _JSON:
        raise _Refused(415, "UNSUPPORTED_MEDIA_TYPE", "The body must be application/json.")
    body = await read_capped_body(request)
    if body is None:
        raise _Refused(413, "REQUEST_TOO_LARGE", f"The body may be at most {MAX_BODY_BYTES} bytes.")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise _Refused(400, "BAD_REQUEST", "The body is not valid JSON.") from error
    if isinstance(data, list):
        raise _Refused(400, "BATCH_NOT_SUPPORTED", "Send one operation per request.")
    if not isinstance(data, dict):
        raise _Refused(400, "BAD_REQUEST", "The body must be a JSON object.")
    return data


def _chosen_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) != 1:
            raise _Refused(400, "BAD_REQUEST", "The document has several operations: name one in operationName.")
        return operations[0]
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation
    raise _Refused(400, "BAD_REQUEST", "operationName names no operation of the document.")


def operation_of(documents: DocumentRegistry, data: dict[str, Any], *, method: str) -> Operation:
    """The operation a request runs: its document resolved (and trusted, in production), its name
    checked, mutations and subscriptions refused where they do not belong."""
    query, variables = data.get("query"), data.get("variables")
    operation_name, extensions = data.get("operationName"), data.get("extensions")
    document_id = data.get("documentId")
    if not (isinstance(query, str | None) and isinstance(variables, dict | None)
            and isinstance(operation_name, str | None) and isinstance(extensions, dict | None)
            and isinstance(document_id, str | None)):
        raise _Refused(400, "BAD_REQUEST", "query, variables, operationName, extensions or documentId has the "
                                           "wrong type.")
    operation_name = operation_name or None  # "" names no operation: as if absent
    try:
        text = documents.resolve(DocumentRequest(query, operation_name, extensions, document_id))
    except DocumentRefused as refused:
        raise _Refused(refused.status, refused.code, refused.message) from refused
    try:
        document = _parsed(text)
    except GraphQLError as error:
        raise _Refused(400, "GRAPHQL_PARSE_FAILED", error.message) from error
    chosen = _chosen_operation(document, operation_name)
    kind = chosen.operation
    if kind is OperationType.SUBSCRIPTION:
        raise _Refused(400, "BAD_REQUEST", "Subscriptions use the graphql-transport-ws WebSocket protocol on /graphql.")
    if kind is OperationType.MUTATION and method == "GET":
        raise _Refused(405, "METHOD_NOT_ALLOWED", "Mutations are sent with POST.", {"Allow": "POST"})
    return Operation(text, variables, operation_name, kind, chosen.name.value if chosen.name else None)


@functools.lru_cache(maxsize=256)
def _parsed(text: str) -> DocumentNode:
    """The apps send the same few dozen documents over and over: each is parsed once here."""
    return parse(text, max_tokens=MAX_TOKENS)


def operation_name_in(text: str) -> str | None:
    """The name of a document's only operation: what a request without operationName runs."""
    try:
        document = _parsed(text)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return operations[0].name.value if len(operations) == 1 and operations[0].name else None


class GraphQLHttp:
    def __init__(self, schema: Any, settings: HttpSettings, metrics: Metrics, live: Any) -> None:
        self.schema = schema
        self.settings = settings
        self.metrics = metrics
        self.live = live

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        language = _language_of(request.headers.get("accept-language"))
        media_type = _media_type_of(request.headers.get("accept"))
        if request.method not in ("GET", "POST"):
            return _refusal(_Refused(405, "METHOD_NOT_ALLOWED", "GraphQL requests are sent with POST or GET.",
                                     {"Allow": "GET, POST"}), media_type)
        if self._wants_ide(request):
            return HTMLResponse(get_graphql_ide_html("graphiql"))
        try:
            operation = operation_of(self.settings.documents, await _parameters(request), method=request.method)
        except _Refused as refused:
            self.metrics.errors.labels(refused.code).inc()
            return _refusal(refused, media_type)

        label = self.metrics.operation_label(operation.name, trusted=self.settings.documents.enforcing)
        note_operation(label)
        statements = db.RequestStatements()
        db.statements.per_request.set(statements)
        try:
            # The deadline covers everything that may wait: the principal, a pool connection, the
            # execution and, for an idempotent mutation, its commit.
            async with asyncio.timeout(self.settings.request_timeout_s):
                response = await self._respond(request, language, media_type, operation, label)
        except TimeoutError:
            self.metrics.requests.labels(label, "timeout", "http").inc()
            self.metrics.errors.labels("TIMEOUT").inc()
            response = _refusal(_Refused(504, "TIMEOUT", translate("request_timeout", language)), media_type)
        except Exception as error:
            if not db.is_unavailable(error):
                raise
            # PostgreSQL out of reach before execution (the principal, an idempotent transaction's BEGIN).
            log.warning("database unavailable", extra={"component": type(error).__name__})
            self.metrics.requests.labels(label, "unavailable", "http").inc()
            self.metrics.errors.labels("SERVICE_UNAVAILABLE").inc()
            response = _refusal(_Refused(503, "SERVICE_UNAVAILABLE", translate("service_unavailable", language),
                                         {"Retry-After": "1"}), media_type)
        self.metrics.latency.labels(label).observe(time.perf_counter() - started)
        if not self.settings.production:
            # Lets tests and benchmarks see N+1 regressions; production does not disclose it.
            await asyncio.sleep(0)  # the query loggers run on the next loop iteration
            response.headers["x-sql-statements"] = str(statements.count)
            response.headers["x-sql-connections"] = str(len(statements.backends))
        return response

    def _wants_ide(self, request: Request) -> bool:
        return (not self.settings.production and request.method == "GET" and not request.url.query
                and "text/html" in request.headers.get("accept", ""))

    async def _respond(self, request: Request, language: Language, media_type: str, operation: Operation,
                       label: str) -> Response:
        key = request.headers.get("idempotency-key")
        if key is not None and not (1 <= len(key) <= 128 and key.isprintable()):
            return _refusal(_Refused(400, "BAD_REQUEST", "Idempotency-Key must be 1 to 128 printable characters."),
                            media_type)
        principal, _ = await authenticate(request.headers.get("authorization"), self.live.principals)
        context = Context(
            principal=principal,
            language=language,
            request_id=request_id_var.get(),
            client_address=request.client.host if request.client else None,
            loaders=Loaders(principal),
            live=self.live,
        )
        audit.request_origin.set(audit.RequestOrigin(context.client_address, context.request_id))
        if key is None or principal is None or operation.kind is not OperationType.MUTATION:
            payload, status = await self._execute(context, operation, label, media_type)
            return _body(payload, status, media_type)

        async def mutation() -> idempotency.Response:
            payload, status = await self._execute(context, operation, label, media_type)
            if status == 200 and not _has_server_error(payload):
                return idempotency.Response(orjson.dumps(payload).decode(), status, keep=True)
            # Rolled back: nothing happened, and no data read inside (audited reads included) goes out.
            return idempotency.Response(orjson.dumps({"errors": payload.get("errors", []), "data": None}).decode(),
                                        status, keep=False)

        digest = hashlib.sha256(orjson.dumps(
            {"q": operation.query, "v": operation.variables, "o": operation.operation_name},
            option=orjson.OPT_SORT_KEYS)).hexdigest()
        result = await idempotency.run_once(principal.user_id, key, digest, mutation)
        if result.outcome is idempotency.Outcome.DONE:
            await self.settings.failpoints.reach("kill-after-commit")
            await self.settings.failpoints.reach("stall-after-commit")
        if result.outcome is idempotency.Outcome.MISMATCH:
            return _refusal(_Refused(422, "IDEMPOTENCY_KEY_REUSED",
                                     "This Idempotency-Key was used for a different request."), media_type)
        if result.outcome is idempotency.Outcome.IN_FLIGHT:
            return _refusal(_Refused(409, "IDEMPOTENCY_KEY_IN_USE",
                                     "A request with this Idempotency-Key is still running."), media_type)
        headers = {"Idempotent-Replayed": "true"} if result.outcome is idempotency.Outcome.REPLAY else None
        return Response(result.response, status_code=result.status_code, media_type=media_type, headers=headers)

    async def _execute(self, context: Context, operation: Operation, label: str, media_type: str
                       ) -> tuple[dict[str, Any], int]:
        # A query's reads share one connection (services.db.request_reads); a mutation's statements
        # are its transactions'.
        reads = db.request_reads() if operation.kind is OperationType.QUERY else contextlib.nullcontext()
        async with reads:
            result = await self.schema.execute(operation.query, variable_values=operation.variables,
                                               context_value=context, operation_name=operation.operation_name)
        payload: dict[str, Any] = {}
        if result.errors:
            payload["errors"] = [e.formatted for e in result.errors]
            for error in result.errors:
                self.metrics.errors.labels((error.extensions or {}).get("code", "UNKNOWN")).inc()
        self.metrics.requests.labels(label, "error" if result.errors else "ok", "http").inc()
        if is_request_error(result):
            # No execution happened, so no data entry; graphql-response+json says so with a 400.
            return payload, 400 if media_type == _GRAPHQL_RESPONSE else 200
        payload["data"] = result.data
        return payload, 200


def _has_server_error(payload: dict[str, Any]) -> bool:
    return any((e.get("extensions") or {}).get("code") in SERVER_ERROR_CODES for e in payload.get("errors", ()))
