"""What schema/common/engine_internals.py relies on in strawberry and graphql-core, checked after every
upgrade. A failure here means an upgrade changed a private API under the schema's feet: fix the fenced
module, not the tests."""

from __future__ import annotations

import inspect
from typing import Any

import strawberry
from graphql import Executor as GraphQLExecutor
from graphql import GraphQLObjectType, GraphQLSchema

from schema import build_schema, schema
from schema.common.direct import call_resolvers_directly
from schema.common.engine_internals import CompletionArgs, EngineExecutor, graphql_schema, ignores_info, resolve_info
from schema.common.lookahead import selects
from schema.common.shared_objects import REFERENCE_TYPES, Executor
from schema.common.shared_render import VIEWER_INDEPENDENT

callers: list[str] = []
hooked: list[tuple[str, int, int]] = []


@strawberry.type
class Room:
    id: strawberry.ID

    @strawberry.field
    def name(self) -> str:
        # Which function called the resolver: the direct call of schema/common/direct.py, or strawberry's chain.
        callers.append(inspect.currentframe().f_back.f_code.co_filename)  # type: ignore[union-attr]
        return f"room {self.id}"

    @strawberry.field
    def aisle(self, info: strawberry.Info) -> str:
        assert (info.field_name, info.python_name, info.context) == ("aisle", "aisle", {"viewer": "李老师"})
        return "north" if selects(info, "unknown") else "south"

    @strawberry.field
    def broken(self) -> str | None:
        raise ValueError("broken")


@strawberry.type
class Query:
    @strawberry.field
    def rooms(self, ids: list[str]) -> list[Room]:
        return [Room(id=strawberry.ID(i)) for i in ids]


class _Probe(EngineExecutor):
    hooked_object_types = frozenset({"Room"})
    served: GraphQLSchema | None = None

    def complete_object(self, return_type: GraphQLObjectType, selection: Any, result: Any,
                        args: CompletionArgs) -> Any:
        _Probe.served = self.schema
        before = self.field_error_count()
        completed = self.complete_object_as_usual(args)
        hooked.append((return_type.name, before, self.field_error_count()))
        return completed


small = strawberry.Schema(query=Query, execution_context_class=_Probe)
REWIRED = call_resolvers_directly(small)


async def _run(query: str) -> Any:
    callers.clear()
    hooked.clear()
    return await small.execute(query, context_value={"viewer": "李老师"})


async def test_the_rewired_resolvers_are_the_ones_executed():
    # a rewiring that rewires nothing would leave strawberry's chain calling Room.name
    assert REWIRED == 3
    result = await _run('{ rooms(ids: ["1"]) { name aisle } }')
    assert result.errors is None
    assert result.data == {"rooms": [{"name": "room 1", "aisle": "south"}]}
    assert [caller.endswith("schema/common/direct.py") for caller in callers] == [True]
    assert _Probe.served is graphql_schema(small)


def test_the_served_schema_is_rewired_where_its_resolvers_take_no_arguments():
    served = build_schema()
    assert call_resolvers_directly(served) > 100  # most of the schema's resolvers take no arguments
    school = graphql_schema(served).type_map["School"]
    assert isinstance(school, GraphQLObjectType)
    assert inspect.getsourcefile(school.fields["district"].resolve).endswith("schema/common/direct.py")


async def test_graphql_core_completes_every_object_through_the_hook_and_counts_its_errors():
    result = await _run('{ rooms(ids: ["1", "2"]) { id broken } }')
    assert result.data == {"rooms": [{"id": "1", "broken": None}, {"id": "2", "broken": None}]}
    assert hooked == [("Room", 0, 1), ("Room", 1, 2)]


def test_the_overridden_completion_has_graphql_cores_signature():
    overridden = inspect.signature(GraphQLExecutor.complete_object_value)
    assert list(overridden.parameters) == ["self", "return_type", "field_details_list", "info", "path", "result",
                                           "position_context"]
    assert list(inspect.signature(EngineExecutor.complete_object_value).parameters) == list(overridden.parameters)
    assert issubclass(Executor, EngineExecutor)


def test_every_type_the_executor_names_is_in_the_schema():
    served = graphql_schema(schema)
    assert REFERENCE_TYPES <= {name for name, t in served.type_map.items() if isinstance(t, GraphQLObjectType)}
    missing = [f"{type_name}.{field}" for type_name, fields in VIEWER_INDEPENDENT.items() for field in fields
               if not isinstance(served.type_map.get(type_name), GraphQLObjectType)
               or field not in served.type_map[type_name].fields]  # type: ignore[union-attr]
    assert missing == []


def test_a_plan_builds_the_info_strawberry_builds_and_knows_which_resolvers_ignore_it():
    # plans._Run.info passes strawberry's fields in this order; a reordered or renamed field would hand
    # resolvers a wrong info silently
    assert resolve_info._fields == (  # type: ignore[attr-defined] - a NamedTuple class, typed as a callable
        "field_name", "field_nodes", "return_type", "parent_type", "path", "schema", "fragments", "root_value",
        "operation", "variable_values", "context", "is_awaitable", "abort_signal", "async_helpers",
        "operation_extensions")
    room = graphql_schema(small).type_map["Room"]
    assert isinstance(room, GraphQLObjectType)
    # strawberry's mark on the resolver of a field without one (Room.id), ours on a direct call without info
    assert ignores_info(room.fields["id"].resolve) and ignores_info(room.fields["name"].resolve)
    assert not ignores_info(room.fields["aisle"].resolve)  # takes the info
