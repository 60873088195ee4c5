"""Compiled query plans (schema/common/plans.py) answer exactly as graphql-core's execution does.

First the rules, on a small schema of their own: errors nulled up to the nearest nullable field,
a non-null root field taking all the data with it, list items, asynchronous resolvers, abstract
types, fragments, aliases, arguments from variables, and the documents left to graphql-core. Then
the served schema: every query the apps send (clients/operations), over generated data (the demo
seed), as every role, through both executions; the same data and the same errors.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import gc
from typing import Any

import pytest
import strawberry
from graphql import OperationDefinitionNode, OperationType, parse
from tortoise import connections

from schema import schema as served
from schema.common.connection import decode_cursor
from schema.common.direct import DirectCalls
from schema.common.engine_internals import graphql_schema
from schema.common.errors import ErrorPresentation
from schema.common.ids import to_global_id
from schema.common.plans import Plans, Unsupported
from schema.context import Context
from schema.loaders import Loaders
from services.identity import principals
from services.seed import DEMO, seed
from tests.helpers import CLIENTS, contract_operation

# --------------------------------------------------------------------------
# The rules, on a small schema.


@strawberry.interface
class Thing:
    id: strawberry.ID


completions: list[str] = []


@strawberry.type
class School:
    """Named as one of the programme's reference types (shared_objects.REFERENCE_TYPES)."""

    id: strawberry.ID

    @strawberry.field
    def name(self) -> str:
        completions.append(self.id)
        return f"school {self.id}"


@strawberry.type
class Part(Thing):
    name: str

    @strawberry.field
    def school(self) -> School:
        return School(id=strawberry.ID("s1"))

    @strawberry.field
    def broken(self) -> str:
        raise ValueError("a part is broken")

    @strawberry.field
    def maybe(self) -> str | None:
        raise ValueError("a part may be broken")

    @strawberry.field
    async def later(self, times: int = 1) -> str:
        await asyncio.sleep(0)
        return self.name * times

    @strawberry.field
    async def later_broken(self) -> str:
        await asyncio.sleep(0)
        raise ValueError("broken later")


@strawberry.type
class Tool(Thing):
    weight: int


@strawberry.type
class Box:
    @strawberry.field
    def parts(self, count: int) -> list[Part]:
        return [Part(id=strawberry.ID(str(n)), name=f"part {n}") for n in range(count)]

    @strawberry.field
    def holes(self) -> list[Part | None]:
        return [Part(id=strawberry.ID("1"), name="one"), None]

    @strawberry.field
    def strict(self) -> list[Part]:
        return [Part(id=strawberry.ID("1"), name="one"), None]  # type: ignore[list-item] - a resolver's mistake

    @strawberry.field
    async def things(self) -> list[Thing]:
        return [Part(id=strawberry.ID("p"), name="p"), Tool(id=strawberry.ID("t"), weight=3)]

    @strawberry.field
    def either(self) -> Part | Tool:
        return Tool(id=strawberry.ID("t"), weight=5)

    @strawberry.field
    def not_a_list(self) -> list[int]:
        return 3  # type: ignore[return-value] - a resolver's mistake


@strawberry.input
class Marks:
    seen: list[str]


@strawberry.type
class Query:
    @strawberry.field
    def box(self) -> Box:
        return Box()

    @strawberry.field
    def stamp(self, marks: Marks) -> str:
        marks.seen.append("盖章")  # a resolver that changes its input object
        return "、".join(marks.seen)

    @strawberry.field
    def maybe_box(self) -> Box | None:
        return Box()

    @strawberry.field
    def greeting(self, name: str = "世界") -> str:
        return f"你好，{name}"

    @strawberry.field
    def fails(self) -> str:
        raise ValueError("the root fails")


@strawberry.type
class Mutation:
    @strawberry.mutation
    def touch(self) -> bool:
        return True


small = strawberry.Schema(query=Query, mutation=Mutation, types=[Part, Tool], extensions=[ErrorPresentation])
small_plans = Plans(graphql_schema(small), production=False, calls=DirectCalls.of(small))
CONTEXT = Context(principal=None, language="en", request_id="plans", client_address=None)


def _answer(result: Any) -> dict[str, Any]:
    return {"data": result.data, "errors": [e.formatted for e in result.errors or ()]}


async def _both(text: str, variables: dict[str, Any] | None = None, *, schema: Any = small, plans: Plans = small_plans,
                context: Any = CONTEXT) -> dict[str, Any]:
    usual = _answer(await strawberry.Schema.execute(schema, text, variables, context_value=context))
    planned = await plans.compile(text, None).run(context, variables)
    assert planned is not None
    assert _answer(planned) == usual
    return usual


async def test_fields_aliases_fragments_and_typename():
    answer = await _both("""query { box { first: parts(count: 2) { ...Named id __typename }
                                          again: parts(count: 1) { name } } greeting }
                            fragment Named on Part { name id }""")
    assert answer["data"] == {"box": {"first": [{"name": "part 0", "id": "0", "__typename": "Part"},
                                                {"name": "part 1", "id": "1", "__typename": "Part"}],
                                      "again": [{"name": "part 0"}]}, "greeting": "你好，世界"}
    assert answer["errors"] == []


async def test_arguments_from_variables_and_literals():
    answer = await _both("query($n: Int!, $who: String) { box { parts(count: $n) { later(times: 2) } } "
                         "greeting(name: $who) }", {"n": 2, "who": "家长"})
    assert answer["data"] == {"box": {"parts": [{"later": "part 0part 0"}, {"later": "part 1part 1"}]},
                              "greeting": "你好，家长"}


async def test_literal_arguments_are_converted_once_and_each_request_gets_its_own():
    plan = small_plans.compile('{ stamp(marks: {seen: ["收到"]}) }', None)
    for _ in range(3):
        answer = await plan.run(CONTEXT, None)
        assert answer is not None and answer.data == {"stamp": "收到、盖章"}


async def test_an_error_nulls_the_nearest_nullable_field():
    answer = await _both("{ maybeBox { parts(count: 2) { name broken } } box { parts(count: 1) { maybe } } }")
    assert answer["data"] == {"maybeBox": None, "box": {"parts": [{"maybe": None}]}}
    assert [e["path"] for e in answer["errors"]] == [["maybeBox", "parts", 0, "broken"],
                                                     ["box", "parts", 0, "maybe"]]


async def test_an_asynchronous_error_and_a_non_null_root_field():
    answer = await _both("{ maybeBox { parts(count: 3) { laterBroken } } }")
    assert answer["data"] == {"maybeBox": None}
    assert len(answer["errors"]) == 1  # the siblings' errors fall under the nulled position
    answer = await _both("{ greeting fails }")
    assert answer["data"] is None and answer["errors"][0]["path"] == ["fails"]


async def test_list_items_null_where_they_may_and_take_the_list_where_they_may_not():
    answer = await _both("{ box { holes { name } } maybeBox { strict { name } notAList } }")
    assert answer["data"] == {"box": {"holes": [{"name": "one"}, None]}, "maybeBox": None}
    assert [e["path"] for e in answer["errors"]] == [["maybeBox", "strict", 1]]  # the other falls under it
    answer = await _both("{ maybeBox { notAList } }")
    assert answer["data"] == {"maybeBox": None} and answer["errors"][0]["path"] == ["maybeBox", "notAList"]


async def test_a_reference_object_is_completed_once_per_selection():
    completions.clear()
    text = "{ box { parts(count: 3) { school { id name } } } }"
    planned = await small_plans.compile(text, None).run(CONTEXT, None)
    assert planned is not None
    assert planned.data == {"box": {"parts": [{"school": {"id": "s1", "name": "school s1"}}] * 3}}
    assert completions == ["s1"]


async def test_abstract_types_resolve_to_their_object_plans():
    answer = await _both("""{ box { things { __typename id ... on Part { name later } ... on Tool { weight } }
                                    either { ... on Tool { weight } ... on Part { name } } } }""")
    assert answer["data"] == {"box": {"things": [{"__typename": "Part", "id": "p", "name": "p", "later": "p"},
                                                 {"__typename": "Tool", "id": "t", "weight": 3}],
                                      "either": {"weight": 5}}}


@pytest.mark.parametrize("text", [
    "mutation { touch }",
    "query($on: Boolean!) { greeting @include(if: $on) }",
    "{ __schema { queryType { name } } }",
    "query A { greeting } query B { box { holes { name } } }",
])
def test_what_is_left_to_graphql_core(text):
    with pytest.raises(Unsupported):
        small_plans.compile(text, None)


async def test_a_schema_compiles_a_query_once_it_has_run_and_then_runs_its_plan():
    plans = served.plans
    refused_text = "query Refused { nothing }"
    await served.execute(refused_text, context_value=CONTEXT)
    assert not plans.known(refused_text, None)  # refused at validation: never compiled
    viewer = "query Anonymous { viewer { id } }"
    assert plans.get(viewer, None) is None
    await served.execute(viewer, context_value=CONTEXT)
    assert plans.get(viewer, None) is not None
    assert _answer(await served.execute(viewer, context_value=CONTEXT)) == _answer(
        await strawberry.Schema.execute(served, viewer, context_value=CONTEXT))


# --------------------------------------------------------------------------
# Every query the apps send, as every role, over the demo's data.


def _client_queries() -> list[tuple[str, str]]:
    found = []
    for path in sorted((CLIENTS / "operations").glob("*.graphql")):
        for definition in parse(path.read_text(encoding="utf-8")).definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.operation is OperationType.QUERY:
                assert definition.name is not None
                found.append((path.name, definition.name.value))
    return found


async def _one(sql: str) -> Any:
    rows = await connections.get("default").execute_query_dict(sql)
    return next(iter(rows[0].values())) if rows else None


async def _people_and_things() -> tuple[dict[str, Any], dict[str, str]]:
    """Someone in every role, around one student with an alert; and the things the documents name."""
    student = await _one("SELECT student_id FROM wellbeing_alert ORDER BY raised_at LIMIT 1")
    school = await _one(f"SELECT school_id FROM student WHERE id = '{student}'")
    school_class = await _one(f"SELECT school_class_id FROM student WHERE id = '{student}'")
    users = {
        "parent": f"SELECT guardian_id FROM guardianship WHERE student_id = '{student}' LIMIT 1",
        "teacher": f"SELECT homeroom_teacher_id FROM school_class WHERE id = '{school_class}'",
        "counsellor": f"SELECT user_id FROM role_assignment WHERE role = 'COUNSELLOR' AND school_id = '{school}'",
        "district_counsellor": "SELECT user_id FROM role_assignment WHERE role = 'COUNSELLOR' AND school_id IS NULL "
                               "AND district_id IS NOT NULL ORDER BY user_id LIMIT 1",
        "city_counsellor": "SELECT user_id FROM role_assignment WHERE role = 'COUNSELLOR' AND school_id IS NULL "
                           "AND district_id IS NULL LIMIT 1",
        "school_admin": f"SELECT user_id FROM role_assignment WHERE role = 'SCHOOL_ADMIN' AND school_id = '{school}'",
        **{role.lower(): f"SELECT user_id FROM role_assignment WHERE role = '{role}' ORDER BY user_id LIMIT 1"
           for role in ("DISTRICT_ADMIN", "CITY_ADMIN", "INSTRUCTOR", "STATION_STAFF")},
    }
    people: dict[str, Any] = {"anonymous": None}
    for role, sql in users.items():
        user_id = await _one(sql)
        assert user_id is not None, role
        people[role] = await principals.of_user(user_id)
    things = {
        "student": to_global_id("Student", student),
        "schoolClass": to_global_id("SchoolClass", school_class),
        "alert": to_global_id("WellbeingAlert", await _one(
            f"SELECT id FROM wellbeing_alert WHERE student_id = '{student}' LIMIT 1")),
        **{name: to_global_id(type_name, await _one(f"SELECT id FROM {table} ORDER BY id LIMIT 1"))
           for name, type_name, table in (("course", "Course", "course"), ("instructor", "Instructor", "instructor"),
                                          ("episode", "ColumnEpisode", "column_episode"),
                                          ("session", "CourseSession", "course_session"),
                                          ("notice", "Notice", "notice"))},
    }
    return people, things


#: The ``id`` variable of each document that has one, by what it names.
_IDS = {"ColumnEpisodeDetail": "episode", "CourseDetail": "course", "InstructorSlots": "instructor",
        "AlertDetail": "alert"}


def _variables(operation: str, text: str, things: dict[str, str]) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    date_range = {"from": today.isoformat(), "to": (today + dt.timedelta(days=14)).isoformat()}
    time_range = {"from": (now - dt.timedelta(days=30)).isoformat(), "to": (now + dt.timedelta(days=90)).isoformat()}
    by_name: dict[str, Any] = {
        "first": 10, "year": today.year, "durationMinutes": 60, "latitude": 40.65, "longitude": 109.84,
        "radiusKm": 50.0, "studentId": things["student"], "schoolClassId": things["schoolClass"],
        "sessionId": things["session"], "noticeId": things["notice"],
        **(date_range if operation == "InstructorSlots" else time_range),
    }
    if operation in _IDS:
        by_name["id"] = things[_IDS[operation]]
    (definition,) = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
    variables = {}
    for variable in definition.variable_definitions or ():
        name = variable.variable.name.value
        if name in by_name:
            variables[name] = by_name[name]
        else:
            assert variable.type.kind != "non_null_type", f"{operation}: no value for ${name}"
    return variables


_CURSORS = ("cursor", "startCursor", "endCursor")


def _positions(value: Any) -> Any:
    """An answer with its cursors opened: each is sealed afresh (a new nonce), the position is what counts."""
    if isinstance(value, dict):
        return {key: decode_cursor(item, "zh") if key in _CURSORS and isinstance(item, str) else _positions(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_positions(item) for item in value]
    return value


def _context_of(principal: Any) -> Context:
    return Context(principal=principal, language="zh", request_id="plans", client_address=None,
                   loaders=Loaders(principal))


async def test_every_client_query_answers_the_same_through_its_plan_for_every_role(server):
    await seed(DEMO, 2026)
    people, things = await _people_and_things()
    queries = _client_queries()
    assert len(queries) >= 40
    plans = served.plans
    answered_with_data = set()
    for file_name, operation in queries:
        text = contract_operation(file_name, operation)
        plan = plans.compile(text, None)  # every one compiles: none is left to graphql-core
        variables = _variables(operation, text, things)
        for role, principal in people.items():
            usual = _answer(await strawberry.Schema.execute(served, text, variables,
                                                            context_value=_context_of(principal)))
            planned = await plan.run(_context_of(principal), variables)
            assert planned is not None, (operation, role)
            assert _positions(_answer(planned)) == _positions(usual), (operation, role)
            if usual["data"] and not usual["errors"]:
                answered_with_data.add(operation)
    # The comparison means something only where there was data to compare.
    assert len(answered_with_data) >= len(queries) - 2, sorted({q for _, q in queries} - answered_with_data)


async def test_no_client_query_leaves_its_request_to_the_cycle_collector(server):
    """What a request made (its loaders, their rows, the plan's run) is freed as soon as the request
    lets go of it, never left in a reference cycle: the cycle collector would walk all of it on each
    collection, and did, for milliseconds at a time every few dozen requests (a loader's function bound
    to the set holding it, the run's helpers bound to the run). Answers with errors are left out: an
    exception's traceback holds the frames that hold it."""
    await seed(DEMO, 2026)
    people, things = await _people_and_things()
    left: dict[tuple[str, str], list[tuple[str, int]]] = {}
    answered = 0
    for file_name, operation in _client_queries():
        text = contract_operation(file_name, operation)
        variables = _variables(operation, text, things)
        plan = served.plans.compile(text, None)  # as long-lived as the server's (its document's tokens are a cycle)
        for role, principal in people.items():
            await asyncio.create_task(plan.run(_context_of(principal), variables))  # caches filled
            gc.collect()
            gc.set_debug(gc.DEBUG_SAVEALL)
            try:
                # in a task of its own, as a request runs
                answer = await asyncio.create_task(plan.run(_context_of(principal), variables))
                gc.collect()
            finally:
                gc.set_debug(0)
            garbage, gc.garbage[:] = list(gc.garbage), []
            assert answer is not None
            if answer.errors:
                continue
            answered += 1
            if garbage:
                left[(operation, role)] = collections.Counter(type(o).__qualname__ for o in garbage).most_common(5)
            del garbage
    assert answered >= 200
    assert not left, left
