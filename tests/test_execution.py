"""How the schema executes: argument-free resolvers called directly, reference objects completed
once per query, and list resolvers that look ahead at what their rows will be asked for."""

from __future__ import annotations

import asyncio
import enum
from types import SimpleNamespace
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql import parse
from graphql.pyutils import Path
from strawberry.types.nodes import SelectedField

from schema import schema as served
from schema.common.direct import call_resolvers_directly, is_lazy, resolve_lazy_arguments
from schema.common.engine_internals import graphql_schema
from schema.common.lookahead import selects
from schema.common.shared_objects import Executor
from tests.helpers import make_student, statement_count

if TYPE_CHECKING:  # named lazily, as the schema's domains name each other's inputs
    from schema.home_visits.inputs import HomeVisitFilter

# --------------------------------------------------------------------------
# Rules, on a small schema of their own.

calls: dict[str, int] = {}


def _count(name: str) -> None:
    calls[name] = calls.get(name, 0) + 1


class Shade(enum.Enum):
    LIGHT = "LIGHT"
    DARK = "DARK"


@strawberry.type
class District:
    id: strawberry.ID

    @strawberry.field
    def name(self, info: strawberry.Info) -> str:
        _count("district.name")
        return f"{info.field_name} of {self.id} for {info.context['viewer']}"

    @strawberry.field
    async def late_flaky(self) -> str | None:
        _count("district.late_flaky")
        await asyncio.sleep(0)
        raise ValueError("late")


@strawberry.type
class School:
    id: strawberry.ID

    @strawberry.field
    async def district(self) -> District:
        _count("school.district")
        return District(id=strawberry.ID(f"d-{self.id}"))

    @strawberry.field
    def flaky(self) -> str | None:
        _count("school.flaky")
        raise ValueError("flaky")

    @strawberry.field
    def shade(self, shade: Shade = Shade.LIGHT) -> str:
        return shade.value


looked_ahead: list[bool] = []


@strawberry.type
class Query:
    @strawberry.field
    def schools(self, info: strawberry.Info, ids: list[str]) -> list[School]:
        looked_ahead.append(selects(info, "district", "name"))
        return [School(id=strawberry.ID(i)) for i in ids]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def schools(self, ids: list[str]) -> list[School]:
        return [School(id=strawberry.ID(i)) for i in ids]


small = strawberry.Schema(query=Query, mutation=Mutation, execution_context_class=Executor)
REWIRED = call_resolvers_directly(small)


async def _run(query: str) -> strawberry.types.ExecutionResult:
    calls.clear()
    looked_ahead.clear()
    return await small.execute(query, context_value={"viewer": "王老师"})


def test_only_argument_free_resolvers_are_rewired():
    # District.name and .lateFlaky, School.flaky and .district; Query.schools and School.shade take arguments
    assert REWIRED == 4


async def test_a_directly_called_resolver_gets_what_strawberry_would_give():
    result = await _run('{ schools(ids: ["1"]) { district { name } shade(shade: DARK) } }')
    assert result.errors is None
    assert result.data == {"schools": [{"district": {"name": "name of d-1 for 王老师"}, "shade": "DARK"}]}


async def test_the_same_reference_object_completes_once_per_selection():
    result = await _run('{ schools(ids: ["1", "1", "2", "1"]) { id district { id name } } }')
    assert result.errors is None
    assert [s["district"]["id"] for s in result.data["schools"]] == ["d-1", "d-1", "d-2", "d-1"]
    assert calls == {"school.district": 2, "district.name": 2}


async def test_a_different_selection_of_the_same_object_completes_on_its_own():
    result = await _run('{ a: schools(ids: ["1"]) { district { id } } b: schools(ids: ["1"]) { district { name } } }')
    assert result.data == {"a": [{"district": {"id": "d-1"}}], "b": [{"district": {"name": "name of d-1 for 王老师"}}]}
    assert calls == {"school.district": 2, "district.name": 1}


async def test_a_completion_with_an_error_is_not_reused_so_every_place_reports_its_own():
    result = await _run('{ schools(ids: ["1", "1"]) { id flaky } }')
    assert result.data == {"schools": [{"id": "1", "flaky": None}, {"id": "1", "flaky": None}]}
    assert sorted(e.path for e in result.errors) == [["schools", 0, "flaky"], ["schools", 1, "flaky"]]
    assert calls == {"school.flaky": 2}


async def test_an_asynchronous_completion_with_an_error_is_not_reused_either():
    result = await _run('{ schools(ids: ["1", "1"]) { id district { id lateFlaky } } }')
    assert result.data == {"schools": [{"id": "1", "district": {"id": "d-1", "lateFlaky": None}}] * 2}
    assert sorted(e.path for e in result.errors) == [["schools", 0, "district", "lateFlaky"],
                                                     ["schools", 1, "district", "lateFlaky"]]
    assert calls == {"school.district": 2, "district.late_flaky": 2}


async def test_mutations_complete_every_object_afresh():
    calls.clear()
    result = await small.execute('mutation { schools(ids: ["1", "1"]) { district { name } } }',
                                 context_value={"viewer": "王老师"})
    assert result.errors is None
    assert calls == {"school.district": 2, "district.name": 2}


async def test_lookahead_sees_fields_through_fragments_and_only_those_asked_for():
    answers = []
    for query in ('{ schools(ids: ["1"]) { ...S } } fragment S on School { ... on School { district { name } } }',
                  '{ schools(ids: ["1"]) { district { id } } }',
                  '{ schools(ids: ["1"]) { id } }'):
        await _run(query)
        answers += looked_ahead
    assert answers == [True, False, False]


# --------------------------------------------------------------------------
# Through the API: a class's students nested three levels deep.

NESTED = """query ($id: ID!) { node(id: $id) { ... on SchoolClass { students(first: 50) { nodes {
  id displayName schoolClass { id name school { id name district { id name } } } } } } } }"""
FLAT = """query ($id: ID!) { node(id: $id) { ... on SchoolClass { students(first: 50) { nodes {
  id displayName } } } } }"""


@strawberry.type
class LazyQuery:
    @strawberry.field
    def visits(self, filter: Annotated[Annotated[HomeVisitFilter, strawberry.lazy("schema.home_visits.inputs")] | None,
                                       strawberry.argument()] = None) -> str:
        return f"upcoming={filter.upcoming}" if filter else "everything"


async def test_a_lazily_typed_argument_is_resolved_once_and_converted_as_before():
    lazy = strawberry.Schema(query=LazyQuery)
    query = "{ a: visits(filter: { upcoming: true }) b: visits }"
    before = await lazy.execute(query)
    assert resolve_lazy_arguments(lazy) == 1 and resolve_lazy_arguments(lazy) == 0
    after = await lazy.execute(query)
    assert after.errors is None and after.data == before.data == {"a": "upcoming=True", "b": "everything"}


def test_no_argument_of_the_served_schema_is_resolved_on_every_call():
    lazy = [f"{name}.{field.name}({argument.python_name})"
            for name in graphql_schema(served).type_map
            if (definition := served.get_type_by_name(name)) is not None and hasattr(definition, "fields")
            for field in definition.fields for argument in getattr(field, "arguments", ())
            if is_lazy(argument.type)]
    assert lazy == []


async def test_nested_students_show_their_class_school_and_district_for_no_statement_more(api, world):
    teacher = world["teacher_a"].token
    for name in ("王小丽", "赵小军"):
        await make_student(name, world.class_a1, world["parent_a2"])
    variables = {"id": world.gid(world.class_a1)}
    body = await api.data(NESTED, variables, token=teacher)
    students = body["node"]["students"]["nodes"]
    assert len(students) == 3
    for student in students:
        assert student["schoolClass"] == {"id": world.gid(world.class_a1), "name": "三年级1班", "school": {
            "id": world.gid(world.school_a), "name": world.school_a.name,
            "district": {"id": world.gid(world.district_a), "name": world.district_a.name}}}
    # the class comes with its school and district: nesting costs no statement
    assert await statement_count(api, NESTED, variables, teacher) == await statement_count(api, FLAT, variables,
                                                                                           teacher)


async def test_each_class_in_a_list_keeps_its_own_students_and_school(api, world):
    teacher = world["teacher_a_other"].token  # homeroom teacher of 三年级2班, teaches 三年级1班
    body = await api.data("""{ viewer { classes { id name school { id name } students(first: 50) { nodes {
        schoolClass { id name school { id district { name } } } } } } } }""", token=teacher)
    classes = body["viewer"]["classes"]
    assert {c["name"] for c in classes} == {"三年级1班", "三年级2班"}
    assert all(c["students"]["nodes"] for c in classes)
    for school_class in classes:
        assert school_class["school"] == {"id": world.gid(world.school_a), "name": world.school_a.name}
        for student in school_class["students"]["nodes"]:
            assert student["schoolClass"]["id"] == school_class["id"]
            assert student["schoolClass"]["name"] == school_class["name"]
            assert student["schoolClass"]["school"] == {"id": world.gid(world.school_a),
                                                        "district": {"name": world.district_a.name}}


class _Asked:
    """What ``selects`` reads of strawberry's info, counting how often the selection is converted."""

    conversions = 0

    def __init__(self, operation: object, path: Path, selected: list[SelectedField], nodes: list | None = None
                 ) -> None:
        self.operation, self.path, self._selected = operation, path, selected
        self._raw_info = SimpleNamespace(field_nodes=nodes if nodes is not None else home_nodes)

    @property
    def selected_fields(self) -> list[SelectedField]:
        _Asked.conversions += 1
        return self._selected


def _field(name: str, *below: SelectedField) -> SelectedField:
    return SelectedField(name=name, directives={}, arguments={}, selections=list(below))


def test_lookahead_works_out_each_place_of_an_operation_once():
    """The same operation (one object, as a compiled plan runs it) asks the same below the same
    place on every request and for every item of a list: answered once. Another operation, even one
    equal to it, and another place are answered for themselves."""
    home, same_text = parse("{ viewer { children { id } } }").definitions[0], \
        parse("{ viewer { children { id } } }").definitions[0]
    visits = [_field("children", _field("homeVisits"))]
    first_child = Path(Path(Path(None, "viewer", "Query"), "children", "User"), 0, None)
    second_child = Path(first_child.prev, 1, None)
    _Asked.conversions = 0
    assert selects(_Asked(home, first_child, visits), "homeVisits")
    assert selects(_Asked(home, second_child, []), "homeVisits")  # remembered for the place
    assert _Asked.conversions == 1
    assert not selects(_Asked(home, first_child, visits), "id")  # another question
    assert not selects(_Asked(same_text, first_child, []), "homeVisits")  # another operation
    other_place = Path(Path(None, "me", "Query"), "children", "User")
    assert not selects(_Asked(home, other_place, []), "homeVisits")
    # the same place, other nodes (@include chose the other of two `children` with these variables)
    assert not selects(_Asked(home, first_child, [], nodes=[object()]), "homeVisits")
    assert _Asked.conversions == 5


home_nodes = [object()]
