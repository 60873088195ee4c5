"""How failures reach the client.

Expected, user-fixable failures of a mutation are ``userErrors`` in its
payload (``payload_errors``). Everything else is a top-level error with an
``extensions.code``: UNAUTHENTICATED and FORBIDDEN from the access module,
INVALID_INPUT for bad arguments, validation and parse errors as graphql-core
reports them, and anything unexpected masked behind the request id (the
traceback goes to the log, never to the client).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError
from graphql.error import GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from schema.common.enums import describe_enum
from services import db
from services.errors import ErrorCode, Forbidden, Unauthenticated, UserErrors
from services.messages import Language, translate

log = logging.getLogger("coedu.graphql")

MAX_ERRORS = 5
#: Codes of failures on the server's side: nothing the client did, and a retry may succeed.
SERVER_ERROR_CODES = frozenset({"INTERNAL_ERROR", "SERVICE_UNAVAILABLE"})

describe_enum(
    ErrorCode,
    name="UserErrorCode",
    description="Why a mutation changed nothing; never changes with language.",
    values={
        "INVALID_INPUT": "An input value is malformed or breaks a rule.",
        "NOT_FOUND": "The object does not exist, or is not available to the viewer.",
        "CONFLICT": "The change clashes with existing data (a duplicate, an overlapping booking).",
        "INVALID_STATE": "The object is not in a state that allows this change.",
        "INVALID_CREDENTIALS": "The phone, password, code or token does not match.",
        "LIMIT_EXCEEDED": "A capacity or quota is used up.",
        "RATE_LIMITED": "Too many attempts; try again later.",
    },
)
UserErrorCode = ErrorCode


@strawberry.type(description="A reason the mutation changed nothing, tied to an input field where there is one.")
class UserError:
    code: UserErrorCode = strawberry.field(description="Machine-readable reason.")
    field: str | None = strawberry.field(description="Input field the error is about, if any.")
    message: str = strawberry.field(description="Explanation for the user, in the request's language.")


def payload_errors(error: UserErrors, language: Language) -> list[UserError]:
    return [UserError(code=e.code, field=e.field, message=translate(e.message, language, e.params))
            for e in error.errors]


class ApiError(GraphQLError):
    """A top-level error we raise on purpose, with its code."""

    def __init__(self, code: str, message_key: str, language: Language, **params: object) -> None:
        super().__init__(translate(message_key, language, params), extensions={"code": code})


class ErrorPresentation(SchemaExtension):
    """Gives every top-level error its code and language, masks the unexpected, caps the count."""

    production = False

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors:
            present_errors(errors, self.execution_context.context, production=self.production)


def present_errors(errors: list[GraphQLError], context: object, *, production: bool) -> None:
    """Rewrite ``errors`` in place (subscription events reach the client through the same list)."""
    language: Language = getattr(context, "language", "zh")
    request_id = getattr(context, "request_id", "-")
    errors[:] = [_present(e, language, request_id, production) for e in errors[:MAX_ERRORS]]


def classify(error: GraphQLError) -> str:
    """The code of a raw error: whose fault it is, decided once for presentation and delivery."""
    original = error.original_error
    if isinstance(original, Unauthenticated):
        return "UNAUTHENTICATED"
    if isinstance(original, Forbidden):
        return "FORBIDDEN"
    if isinstance(original, GraphQLError) and (code := (original.extensions or {}).get("code")):
        return str(code)
    if isinstance(original, UserErrors):
        return original.errors[0].code.value
    if original is None:
        if code := (error.extensions or {}).get("code"):
            return str(code)
        if _COERCION.match(error.message):
            return "BAD_USER_INPUT"  # a variable missing, null where it may not be, or of the wrong type
        return "GRAPHQL_PARSE_FAILED" if isinstance(error, GraphQLSyntaxError) else "GRAPHQL_VALIDATION_FAILED"
    if error.path is None or db.is_bad_value(original):
        # Coercion of the client's values before execution, or a value PostgreSQL refused (a NUL byte,
        # a number out of range): the client's mistake, not the server's.
        return "BAD_USER_INPUT"
    if db.is_unavailable(original):
        return "SERVICE_UNAVAILABLE"
    return "INTERNAL_ERROR"


def is_server_error(error: GraphQLError) -> bool:
    """Whether a raw execution error is the server's fault, rather than the viewer's access, a broken
    rule, a bad document or a bad value."""
    return classify(error) in SERVER_ERROR_CODES


#: graphql-core's words for a variable whose value cannot be used (validation errors say other things).
_COERCION = re.compile(r"Variable '\$\w+' (has invalid value|got invalid value|of required type .* was not "
                       r"provided|of non-null type .* must not be null)")
_WHERE = re.compile(r"Variable '\$(\w+)'(?: has invalid value at \.([^:]+):)?")


def _present(error: GraphQLError, language: Language, request_id: str, production: bool) -> GraphQLError:
    original = error.original_error
    if original is None and (error.extensions or {}).get("code"):
        return error  # presented already (a request error passes here twice)
    code = classify(error)
    if code in ("UNAUTHENTICATED", "FORBIDDEN") and isinstance(original, Unauthenticated | Forbidden):
        return _rebuild(error, translate(code.lower(), language), {"code": code})
    if isinstance(original, GraphQLError) and (original.extensions or {}).get("code"):
        return _rebuild(error, original.message, original.extensions)
    if isinstance(original, UserErrors):  # a query's arguments broke a rule: no payload to carry it
        first = original.errors[0]
        return _rebuild(error, translate(first.message, language, first.params),
                        {"code": first.code.value, "field": first.field})
    if code == "BAD_USER_INPUT":
        # Logged without the values (they may be phones, passwords, a child's name), and not as a fault.
        log.info("client input refused", extra={"error_code": code, "component": type(original).__name__})
        where = _WHERE.search(error.message)
        field = ".".join(part for part in (where.group(1), where.group(2)) if part) if where else None
        return _rebuild(error, translate("bad_user_input", language, {"field": field or "-"}),
                        {"code": code, "field": field})
    if original is None:
        message = error.message
        if production:
            message = _SUGGESTION.sub("", message)  # no schema hints for strangers
        return _rebuild(error, message, {"code": code})
    if code == "SERVICE_UNAVAILABLE":
        # PostgreSQL restarting or out of reach: expected now and then, worth a retry, not a bug.
        log.warning("database unavailable during a request", extra={"component": type(original).__name__})
        return _rebuild(error, translate("service_unavailable", language), {"code": code})
    log.error("unexpected error in resolver", exc_info=original, extra={"path": error.path})
    message = translate("internal_error", language, {"request_id": request_id})
    return _rebuild(error, message, {"code": "INTERNAL_ERROR", "requestId": request_id})


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def _rebuild(error: GraphQLError, message: str, extensions: dict | None) -> GraphQLError:
    return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                        path=error.path, original_error=None, extensions=extensions)
