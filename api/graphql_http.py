"""POST /graphql: the HTTP transport.

Operations only by POST with a JSON body (no GET, form or multipart: no
CSRF), one operation per request (batches refused), bodies capped, a
deadline for the whole request, trusted documents in production, and
Stripe-style ``Idempotency-Key`` replay for mutations (services.idempotency).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import OperationDefinitionNode, OperationType, parse
from graphql.error import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType as StrawberryOperationType

from api.auth import authenticate
from api.failpoints import Failpoints
from api.observability import Metrics, request_id_var
from api.trusted import TrustedDocuments
from schema.common.errors import SERVER_ERROR_CODES
from schema.context import Context
from schema.loaders import Loaders
from services import audit, db, idempotency
from services.messages import Language, language_from_header, translate

log = logging.getLogger("coedu.http")

MAX_BODY_BYTES = 64 * 1024
_HTTP_OPERATIONS = frozenset({StrawberryOperationType.QUERY, StrawberryOperationType.MUTATION})
_JSON = "application/json"


@dataclass
class HttpSettings:
    request_timeout_s: float
    trusted: TrustedDocuments | None
    production: bool
    failpoints: Failpoints = field(default_factory=Failpoints)


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type=_JSON, headers=headers)


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return _json({"errors": [{"message": message, "extensions": {"code": code}}]}, status, headers)


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


class GraphQLHttp:
    def __init__(self, schema: Any, settings: HttpSettings, metrics: Metrics, live: Any) -> None:
        self.schema = schema
        self.settings = settings
        self.metrics = metrics
        self.live = live

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        language = language_from_header(request.headers.get("accept-language"))
        if request.method != "POST":
            return _error(405, "METHOD_NOT_ALLOWED", "GraphQL operations are sent with POST.", {"Allow": "POST"})
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != _JSON:
            return _error(415, "UNSUPPORTED_MEDIA_TYPE", "The body must be application/json.")
        body = await read_capped_body(request)
        if body is None:
            return _error(413, "REQUEST_TOO_LARGE", f"The body may be at most {MAX_BODY_BYTES} bytes.")
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return _error(400, "BAD_REQUEST", "The body is not valid JSON.")
        if isinstance(data, list):
            return _error(400, "BATCH_NOT_SUPPORTED", "Send one operation per request.")
        if not isinstance(data, dict):
            return _error(400, "BAD_REQUEST", "The body must be a JSON object.")
        query, variables = data.get("query"), data.get("variables")
        operation_name, extensions = data.get("operationName"), data.get("extensions")
        if not (isinstance(query, str | None) and isinstance(variables, dict | None)
                and isinstance(operation_name, str | None) and isinstance(extensions, dict | None)):
            return _error(400, "BAD_REQUEST", "query, variables, operationName or extensions has the wrong type.")
        if self.settings.trusted is not None:
            query = self.settings.trusted.resolve(query, operation_name, extensions)
            if query is None:
                return _error(400, "UNTRUSTED_DOCUMENT", "Only the apps' registered operations are accepted.")
        if not query:
            return _error(400, "BAD_REQUEST", "No GraphQL query in the request.")

        label = self.metrics.operation_label(operation_name or _first_operation_name(query),
                                             trusted=self.settings.trusted is not None)
        statements = [0]
        db.statements.per_request.set(statements)
        try:
            # The deadline covers everything that may wait: the principal, a pool connection, the
            # execution and, for an idempotent mutation, its commit.
            async with asyncio.timeout(self.settings.request_timeout_s):
                response = await self._respond(request, language, query, variables, operation_name, label)
        except TimeoutError:
            self.metrics.requests.labels(label, "timeout").inc()
            self.metrics.errors.labels("TIMEOUT").inc()
            response = _error(504, "TIMEOUT", translate("request_timeout", language))
        except Exception as error:
            if not db.is_unavailable(error):
                raise
            # PostgreSQL out of reach before execution (the principal, an idempotent transaction's BEGIN).
            log.warning("database unavailable", extra={"component": type(error).__name__})
            self.metrics.requests.labels(label, "unavailable").inc()
            self.metrics.errors.labels("SERVICE_UNAVAILABLE").inc()
            response = _error(503, "SERVICE_UNAVAILABLE", translate("service_unavailable", language),
                              {"Retry-After": "1"})
        self.metrics.latency.labels(label).observe(time.perf_counter() - started)
        if not self.settings.production:
            # Lets tests and benchmarks see N+1 regressions; production does not disclose it.
            await asyncio.sleep(0)  # the query loggers run on the next loop iteration
            response.headers["x-sql-statements"] = str(statements[0])
        return response

    async def _respond(self, request: Request, language: Language, query: str, variables: dict | None,
                       operation_name: str | None, label: str) -> Response:
        key = request.headers.get("idempotency-key")
        if key is not None and not (1 <= len(key) <= 128 and key.isprintable()):
            return _error(400, "BAD_REQUEST", "Idempotency-Key must be 1 to 128 printable characters.")
        principal, _ = await authenticate(request.headers.get("authorization"))
        context = Context(
            principal=principal,
            language=language,
            request_id=request_id_var.get(),
            client_address=request.client.host if request.client else None,
            loaders=Loaders(principal),
            live=self.live,
        )
        audit.request_origin.set(audit.RequestOrigin(context.client_address, context.request_id))
        if key is None or principal is None or not _is_mutation(query, operation_name):
            payload, status = await self._execute(context, query, variables, operation_name, label)
            return _json(payload, status)

        async def mutation() -> idempotency.Response:
            payload, status = await self._execute(context, query, variables, operation_name, label)
            if status == 200 and not _has_server_error(payload):
                return idempotency.Response(orjson.dumps(payload).decode(), status, keep=True)
            # Rolled back: nothing happened, and no data read inside (audited reads included) goes out.
            return idempotency.Response(orjson.dumps({"errors": payload.get("errors", []), "data": None}).decode(),
                                        status, keep=False)

        digest = hashlib.sha256(
            orjson.dumps({"q": query, "v": variables, "o": operation_name}, option=orjson.OPT_SORT_KEYS)
        ).hexdigest()
        result = await idempotency.run_once(principal.user_id, key, digest, mutation)
        if result.outcome is idempotency.Outcome.DONE:
            await self.settings.failpoints.reach("kill-after-commit")
            await self.settings.failpoints.reach("stall-after-commit")
        if result.outcome is idempotency.Outcome.MISMATCH:
            return _error(422, "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for a different request.")
        if result.outcome is idempotency.Outcome.IN_FLIGHT:
            return _error(409, "IDEMPOTENCY_KEY_IN_USE", "A request with this Idempotency-Key is still running.")
        headers = {"Idempotent-Replayed": "true"} if result.outcome is idempotency.Outcome.REPLAY else None
        return Response(result.response, status_code=result.status_code, media_type=_JSON, headers=headers)

    async def _execute(self, context: Context, query: str, variables: dict | None, operation_name: str | None,
                       label: str) -> tuple[dict[str, Any], int]:
        try:
            result = await self.schema.execute(
                query, variable_values=variables, context_value=context, operation_name=operation_name,
                allowed_operation_types=_HTTP_OPERATIONS,
            )
        except InvalidOperationTypeError:
            self.metrics.requests.labels(label, "refused").inc()
            message = "Subscriptions use the graphql-transport-ws WebSocket protocol on /graphql."
            return {"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]}, 400
        payload: dict[str, Any] = {}
        if result.errors:
            payload["errors"] = [e.formatted for e in result.errors]
            for error in result.errors:
                self.metrics.errors.labels((error.extensions or {}).get("code", "UNKNOWN")).inc()
        payload["data"] = result.data
        self.metrics.requests.labels(label, "error" if result.errors else "ok").inc()
        return payload, 200


_OPERATION_NAME = re.compile(r"\b(?:query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)")


def _first_operation_name(query: str) -> str | None:
    match = _OPERATION_NAME.search(query)
    return match.group(1) if match else None


def _is_mutation(query: str, operation_name: str | None) -> bool:
    try:
        document = parse(query, max_tokens=5000)
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = next((o for o in operations if o.name and o.name.value == operation_name), None)
    if chosen is None and len(operations) == 1:
        chosen = operations[0]
    return chosen is not None and chosen.operation is OperationType.MUTATION


def _has_server_error(payload: dict[str, Any]) -> bool:
    return any((e.get("extensions") or {}).get("code") in SERVER_ERROR_CODES for e in payload.get("errors", ()))
