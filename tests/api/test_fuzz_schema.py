"""Every root field with boundary values and wrong types: client mistakes come back as client errors.

For each query and mutation of the served schema, documents are generated with
variables for every argument, filled (input objects to their leaves) with
values at the edges: empty and huge strings, NUL bytes, offset-less and
impossible times, padding-only and foreign ids, extreme numbers, unknown enum
values, values of the wrong type. They are sent as an anonymous caller, a
parent and a city administrator. Whatever the answer (data, userErrors,
BAD_USER_INPUT, FORBIDDEN), it is never a server fault: no INTERNAL_ERROR, no
HTTP 5xx.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    build_schema,
    get_named_type,
)

ROOT = Path(__file__).resolve().parents[2]
#: Variants 0-4 are well typed, at the edges, so that they reach the resolvers; 5 and 6 are the
#: client's type mistakes (caught at coercion, which must say so as BAD_USER_INPUT).
VARIANTS = 7

_EDGES: dict[str, list[Any]] = {
    "Int": [0, -1, 2_147_483_647, -2_147_483_648, 1, "seven", 1.5],
    "Float": [0.0, 5e-324, 1e308, -1e308, -1.5, "far", None],
    "String": ["", "\u0000", "JTJY\u0000", "x" * 5000, "😀\u200b\u202e", 12, ["list"]],
    "ID": ["", "=======================", "Tm9wZQ", "A" * 23, "CFOnJW004JFOqSJJcnYfPh8", 4.2, {"id": 1}],
    "Boolean": [True, False, True, False, True, "yes", 0],
    "DateTime": ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "2026-12-10T10:00:00+08:00",
                 "1970-01-01T00:00:00-12:00", "2026-12-10T10:00:00.123456Z", "2026-12-10T10:00:00", "2026-12-10"],
    "Date": ["0001-01-01", "9999-12-31", "2024-02-29", "2026-12-10", "1900-01-01", "2026-02-30", "20261210"],
}


WELL_TYPED = 5


def _shift(variant: int, by: int) -> int:
    """Another edge for a nested value, staying among the well-typed ones if the variant is."""
    return (variant + by) % WELL_TYPED if variant < WELL_TYPED else variant


def _value(type_: Any, variant: int, depth: int = 0) -> Any:
    if isinstance(type_, GraphQLNonNull):
        return _value(type_.of_type, variant, depth)
    if isinstance(type_, GraphQLList):
        if variant % 3 == 0:
            return []
        return [_value(type_.of_type, _shift(variant, i), depth + 1) for i in range(1 if variant % 3 == 1 else 120)]
    if isinstance(type_, GraphQLEnumType):
        values = list(type_.values)
        return "NOT_A_VALUE" if variant >= WELL_TYPED else values[variant % len(values)]
    if isinstance(type_, GraphQLInputObjectType):
        if depth > 3:
            return None
        return {name: _value(field.type, _shift(variant, i), depth + 1)
                for i, (name, field) in enumerate(type_.fields.items())}
    assert isinstance(type_, GraphQLScalarType)
    edges = _EDGES.get(type_.name, _EDGES["String"])
    return edges[variant % len(edges)]


def _selection(field: GraphQLField) -> str:
    named = get_named_type(field.type)
    return " { __typename }" if not isinstance(named, GraphQLScalarType | GraphQLEnumType) else ""


def _documents() -> list[tuple[str, str, dict[str, Any]]]:
    schema = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    found = []
    for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert isinstance(root, GraphQLObjectType)
        for name, field in root.fields.items():
            declared = ", ".join(f"${arg}: {arg_def.type}" for arg, arg_def in field.args.items())
            passed = ", ".join(f"{arg}: ${arg}" for arg in field.args)
            document = (f"{kind} Fuzz{('(' + declared + ')') if declared else ''} "
                        f"{{ {name}{('(' + passed + ')') if passed else ''}{_selection(field)} }}")
            for variant in range(VARIANTS if field.args else 1):
                variables = {arg: _value(arg_def.type, variant) for arg, arg_def in field.args.items()}
                found.append((f"{name}#{variant}", document, variables))
    # queries first: the mutations may sign the callers out on the way
    return sorted(found, key=lambda item: item[1].startswith("mutation"))


async def test_no_root_field_fails_on_the_server_whatever_the_client_sends(api, world):
    callers = [None, world["parent_a"].token, world["city_admin"].token]
    faults: list[str] = []
    sent = 0
    outcomes: dict[str, int] = {}
    for (label, document, variables), token in itertools.product(_documents(), callers):
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        response = await api.client.post("/graphql", json={"query": document, "variables": variables},
                                         headers=headers)
        sent += 1
        if response.status_code >= 500:
            faults.append(f"{label}: HTTP {response.status_code}")
            continue
        codes = [e.get("extensions", {}).get("code") for e in response.json().get("errors", [])]
        for code in codes or ["ok"]:
            outcomes[code] = outcomes.get(code, 0) + 1
        if "INTERNAL_ERROR" in codes or None in codes:
            faults.append(f"{label}: {codes} {response.json()['errors'][0]['message'][:80]}")
    assert faults == []
    assert sent > 1000
    # the resolvers were reached, not only coercion: executions that answered, or refused by rule or access
    reached = sum(n for code, n in outcomes.items() if code not in ("BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"))
    assert reached > sent // 3, outcomes
