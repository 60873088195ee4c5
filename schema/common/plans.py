"""Queries executed from a plan made once per document.

graphql-core executes a document by walking its selections anew on every
request: for each field it looks the definition up, collects the sub-selection,
builds the resolver's info, finds out what kind of type the value has and
dispatches on it. The apps send the same few dozen documents over and over, and
a document asks the same fields of the same types every time; only the data and
the variables change. So once a query has run the usual way (parsed, validated
with every rule, executed), its operation is compiled into a plan: for each
field its definition, resolver, arguments (coerced once when they name no
variable) and a completion made for its return type; for an abstract type, a
plan per possible object type.

A plan runs a request with graphql-core's semantics, which
``tests/test_plans.py`` holds to be the same answer for every trusted document
and every role: field errors located and nulled up to the nearest nullable
field, awaitable fields and list items completed concurrently (so that
DataLoaders still batch), leaves coerced by their type, ``is_type_of`` and
``resolve_type`` asked as graphql-core asks them, reference objects completed
once per query as ``shared_objects.Executor`` completes them. What it leaves
out is graphql-core's per-field bookkeeping, and that is most of the cost of a
wide screen.

Not compiled, and so executed as usual: mutations and subscriptions (serial and
evented, with their own executor), documents with directives (what ``@skip``
or ``@include`` select depends on the variables), introspection.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeGuard

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    ValueNode,
    VariableNode,
    default_field_resolver,
    get_argument_values,
    get_variable_values,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
    located_error,
    parse,
    type_from_ast,
)
from graphql.execution import VariableValues, default_type_resolver
from graphql.pyutils import Path, gather_with_cancel, inspect, is_awaitable, is_iterable
from graphql.type import GraphQLResolveInfoHelpers
from strawberry.types.execution import ExecutionResult

from schema.common.direct import DirectCalls, WithArguments
from schema.common.engine_internals import ignores_info, resolve_info
from schema.common.errors import present_errors
from schema.common.shared_objects import REFERENCE_TYPES

#: Values a resolver returns that are never awaitable: checked by type before asking further.
_PLAIN = frozenset({str, int, float, bool, type(None), dict, list, tuple})


def _awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    return type(value) not in _PLAIN and is_awaitable(value)


class Unsupported(Exception):  # noqa: N818 - the document runs the usual way
    """A document the plans leave to graphql-core."""


# --------------------------------------------------------------------------
# One request's run of a plan.


class _Run:
    """What a plan's execution carries from field to field, as graphql-core's executor does."""

    __slots__ = ("context", "errors", "fragments", "nulled", "operation", "schema", "shared", "variables")

    def __init__(self, plan: Plan, context: Any, variables: VariableValues) -> None:
        self.schema = plan.schema
        self.fragments = plan.fragments
        self.operation = plan.operation
        self.context = context
        self.variables = variables
        self.errors: list[GraphQLError] = []
        #: Positions already nulled by an error: a later error at or below one is not reported.
        self.nulled: set[Path | None] = set()
        self.shared: dict[tuple[int, Any], _Shared] = {}

    def info(self, field: _Field, path: Path) -> Any:
        return resolve_info(field.name, field.nodes, field.return_type, field.parent, path, self.schema,
                            self.fragments, None, self.operation, self.variables.coerced, self.context,
                            _awaitable, None, _HELPERS, None)

    def field_error(self, raw: Exception, non_null: bool, nodes: list[FieldNode], path: Path) -> None:
        """graphql-core's ``handle_field_error``: raised on to the parent when the position may not
        be null, else recorded and the position nulled."""
        error = located_error(raw, nodes, path.as_list())
        if non_null:
            raise error
        self.add_error(error, path)

    def add_error(self, error: GraphQLError, path: Path | None) -> None:
        position = path
        while position is not None:
            if position in self.nulled:
                return
            position = position.prev
        if None in self.nulled:
            return
        self.nulled.add(path)
        self.errors.append(error)


def _settle(pending: Iterable[Any]) -> None:
    """Let awaitables whose result is no longer wanted (a sibling failed) finish on their own,
    their errors observed, as graphql-core does."""
    for awaitable in pending:
        if _awaitable(awaitable):
            asyncio.ensure_future(awaitable).add_done_callback(_observe)


def _gather(awaitables: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
    """What graphql-core's executor gives resolvers to await work together (``info.async_helpers``)."""
    return gather_with_cancel(*awaitables)


def _observe(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


#: What resolvers get as ``info.async_helpers``: the same for every run, so that a run is in no
#: reference cycle (one through a bound method would keep its whole request, loaders and rows, for
#: the cycle collector, which then spends milliseconds on each collection).
_HELPERS = GraphQLResolveInfoHelpers(gather=_gather, track=_settle)


# --------------------------------------------------------------------------
# Completions, one per return type of a field (or of a list's items).

Complete = Callable[[_Run, Any, Path, Any], Any]


class _Field:
    """One field of a selection under one object type."""

    __slots__ = ("arguments", "attribute", "coerce", "complete", "definition", "execute", "key", "name", "needs_info",
                 "converted", "node", "nodes", "non_null", "parent", "resolve", "return_type", "typename",
                 "with_arguments")

    def __init__(self, key: str, nodes: list[FieldNode], parent: GraphQLObjectType, definition: GraphQLField,
                 resolve: Callable[..., Any]) -> None:
        self.key = key
        self.nodes = nodes
        self.node = nodes[0]
        self.name = nodes[0].name.value
        self.parent = parent
        self.definition = definition
        self.return_type = definition.type
        self.non_null = isinstance(definition.type, GraphQLNonNull)
        self.resolve = resolve
        #: Coerced once when no argument names a variable; else None, coerced on each call.
        self.arguments: dict[str, Any] | None = None
        self.complete: Complete = _never
        self.needs_info = True
        #: ``__typename``: the parent's name, with no resolver to call.
        self.typename: str | None = None
        #: The resolver called directly with the coerced arguments (``direct.resolvers_with_arguments``).
        self.with_arguments: WithArguments | None = None
        #: Its literal arguments converted once, when conversion depends on nothing else.
        self.converted: dict[str, Any] | None = None
        #: A scalar or enum read straight from this attribute, coerced by this (``direct.plain_attributes``).
        self.attribute = ""
        self.coerce: Callable[[Any], Any] = _never
        #: How the field runs: in general (``_execute_field``), or one of its shortcuts.
        self.execute: Callable[[_Run, _Field, Any, Path | None], Any] = _execute_field

    def arguments_of(self, run: _Run) -> dict[str, Any]:
        if self.arguments is not None:
            return self.arguments
        return get_argument_values(self.definition, self.node, run.variables)


def _never(*args: Any) -> Any:  # pragma: no cover - replaced when compiled
    raise AssertionError("a field completed before its plan was made")


def _execute_fields(run: _Run, fields: tuple[_Field, ...], source: Any, path: Path | None) -> Any:
    """graphql-core's ``execute_fields``: the fields of one object, the awaitable ones together."""
    results: dict[str, Any] = {}
    pending: list[str] = []
    try:
        for field in fields:
            value = field.execute(run, field, source, path)
            results[field.key] = value
            if _awaitable(value):
                pending.append(field.key)
    except Exception:
        _settle(results[key] for key in pending)
        raise
    if not pending:
        return results
    return _await_pending(results, pending)


async def _await_pending(results: Any, pending: list[Any]) -> Any:
    """An object's fields (``results`` a dict) or a list's items (a list) with their awaitable
    entries (``pending``, keys or indices) awaited together, as graphql-core awaits them."""
    if len(pending) == 1:
        results[pending[0]] = await results[pending[0]]
    else:
        for key, value in zip(pending, await gather_with_cancel(*(results[key] for key in pending)), strict=True):
            results[key] = value
    return results


def _execute_field(run: _Run, field: _Field, source: Any, parent: Path | None) -> Any:
    """graphql-core's ``execute_field``: resolve, then complete; an error is the field's."""
    path = Path(parent, field.key, field.parent.name)
    info = run.info(field, path) if field.needs_info else None
    try:
        direct = field.with_arguments
        if direct is not None:
            result = direct(source, info, field.arguments_of(run)) if field.converted is None \
                else direct.with_converted(source, info, field.converted)
        else:
            result = field.resolve(source, info, **field.arguments_of(run))
        if _awaitable(result):
            return _complete_later(run, field, result, path, info)
        completed = field.complete(run, result, path, info)
        if _awaitable(completed):
            return _completed_later(run, field, completed, path)
        return completed
    except Exception as raw:
        run.field_error(raw, field.non_null, field.nodes, path)
        return None


def _typename(run: _Run, field: _Field, source: Any, parent: Path | None) -> Any:
    return field.typename


def _attribute_leaf(run: _Run, field: _Field, source: Any, parent: Path | None) -> Any:
    """A scalar or enum read from an attribute: the commonest field, completed in one step. What
    is not a plain value (an exception, an awaitable) takes the general way."""
    try:
        value = getattr(source, field.attribute)
        if value is None:
            if not field.non_null:
                return None
        elif type(value) in _PLAIN or not (isinstance(value, Exception) or is_awaitable(value)):
            coerced = field.coerce(value)
            if coerced is not None and coerced is not Undefined:
                return coerced
    except Exception:  # noqa: BLE001, S110 - the general way reads it again and locates the error
        pass
    return _execute_field(run, field, source, parent)


async def _complete_later(run: _Run, field: _Field, pending: Awaitable[Any], path: Path, info: Any) -> Any:
    try:
        completed = field.complete(run, await pending, path, info)
        if _awaitable(completed):
            completed = await completed
    except Exception as raw:
        run.field_error(raw, field.non_null, field.nodes, path)
        return None
    return completed


async def _completed_later(run: _Run, field: _Field, completed: Awaitable[Any], path: Path) -> Any:
    try:
        return await completed
    except Exception as raw:
        run.field_error(raw, field.non_null, field.nodes, path)
        return None


def _non_null(inner: Complete, field: _Field) -> Complete:
    message = f"Cannot return null for non-nullable field {field.parent}.{field.name}."

    def complete(run: _Run, value: Any, path: Path, info: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            raise TypeError(message)
        # what the type's completion makes of a value is never null (an awaitable completes to an
        # object or a list)
        return inner(run, value, path, info)

    return complete


def _nullable(inner: Complete) -> Complete:
    def complete(run: _Run, value: Any, path: Path, info: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            return None
        return inner(run, value, path, info)

    return complete


def _leaf(leaf_type: Any) -> Complete:
    coerce = leaf_type.coerce_output_value

    def complete(run: _Run, value: Any, path: Path, info: Any) -> Any:
        coerced = coerce(value)
        if coerced is Undefined or coerced is None:
            raise TypeError(f"Expected `{inspect(leaf_type)}.coerce_output_value({inspect(value)})` to return "
                            f"non-nullable value, returned: {inspect(coerced)}")
        return coerced

    return complete


def _list(item: Complete, item_non_null: bool, field: _Field) -> Complete:
    nodes = field.nodes
    not_iterable = f"Expected Iterable, but did not find one for field '{field.parent}.{field.name}'."

    def complete(run: _Run, value: Any, path: Path, info: Any) -> Any:
        if not is_iterable(value):
            raise GraphQLError(not_iterable)
        results: list[Any] = []
        pending: list[int] = []
        try:
            for index, element in enumerate(value):
                item_path = Path(path, index, None)
                try:
                    if _awaitable(element):
                        completed = _item_later(run, item, item_non_null, nodes, element, item_path, info, True)
                    else:
                        completed = item(run, element, item_path, info)
                        if _awaitable(completed):
                            completed = _item_later(run, item, item_non_null, nodes, completed, item_path, info,
                                                    False)
                except Exception as raw:
                    run.field_error(raw, item_non_null, nodes, item_path)
                    completed = None
                if _awaitable(completed):
                    pending.append(index)
                results.append(completed)
        except Exception:
            _settle(results[index] for index in pending)
            raise
        if not pending:
            return results
        return _await_pending(results, pending)

    return complete


async def _item_later(run: _Run, item: Complete, item_non_null: bool, nodes: list[FieldNode],
                      pending: Awaitable[Any], path: Path, info: Any, resolve: bool) -> Any:
    try:
        completed = item(run, await pending, path, info) if resolve else await pending
        if resolve and _awaitable(completed):
            completed = await completed
    except Exception as raw:
        run.field_error(raw, item_non_null, nodes, path)
        return None
    return completed


class _Shared:
    """A reference object's completion under one selection, kept for the rest of the query (as
    ``shared_objects.Executor`` keeps it for graphql-core's execution, and for the same reasons)."""

    __slots__ = ("clean", "errors_before", "value")

    def __init__(self, value: Any, clean: bool | None, errors_before: int) -> None:
        self.value = value
        #: None while an asynchronous completion is under way.
        self.clean = clean
        self.errors_before = errors_before

    def settle(self, run: _Run) -> None:
        if self.clean is None:
            done = self.value
            self.clean = not done.cancelled() and done.exception() is None and len(run.errors) == self.errors_before


class _Object:
    """The completion of one object type: ``is_type_of`` asked (if the type has one), its fields run;
    a reference object (``REFERENCE_TYPES``) completed once per query however often it is named."""

    __slots__ = ("fields", "is_type_of", "nodes", "object_type", "shared")

    def __init__(self, object_type: GraphQLObjectType, nodes: list[FieldNode]) -> None:
        self.object_type = object_type
        self.is_type_of = object_type.is_type_of
        self.nodes = nodes
        self.fields: tuple[_Field, ...] = ()
        self.shared = object_type.name in REFERENCE_TYPES

    def complete(self, run: _Run, value: Any, path: Path, info: Any) -> Any:
        if not self.shared:
            return self._complete(run, value, path, info)
        key = (id(self), value.id)
        earlier = run.shared.get(key)
        if earlier is not None:
            if isinstance(earlier.value, asyncio.Future):
                if not earlier.value.done():
                    return self._reuse(earlier, run, value, path, info)
                earlier.settle(run)
            if earlier.clean:
                return earlier.value.result() if isinstance(earlier.value, asyncio.Future) else earlier.value
            return self._complete(run, value, path, info)
        errors_before = len(run.errors)
        completed = self._complete(run, value, path, info)
        if not _awaitable(completed):
            run.shared[key] = _Shared(completed, len(run.errors) == errors_before, errors_before)
            return completed
        task = asyncio.ensure_future(completed)
        shared = run.shared[key] = _Shared(task, None, errors_before)
        task.add_done_callback(lambda _: shared.settle(run))
        return task

    async def _reuse(self, earlier: _Shared, run: _Run, value: Any, path: Path, info: Any) -> Any:
        # wait() neither raises what the first completion raised nor cancels it if this one is cancelled.
        await asyncio.wait((earlier.value,))
        earlier.settle(run)
        if earlier.clean:
            return earlier.value.result()
        completed = self._complete(run, value, path, info)
        return await completed if _awaitable(completed) else completed

    def _complete(self, run: _Run, value: Any, path: Path, info: Any) -> Any:
        if self.is_type_of is not None:
            verdict = self.is_type_of(value, info)
            if _awaitable(verdict):
                return self._complete_when(verdict, run, value, path)
            if not verdict:
                raise self._invalid(value)
        return _execute_fields(run, self.fields, value, path)

    async def _complete_when(self, verdict: Awaitable[bool], run: _Run, value: Any, path: Path) -> Any:
        if not await verdict:
            raise self._invalid(value)
        completed = _execute_fields(run, self.fields, value, path)
        return await completed if _awaitable(completed) else completed

    def _invalid(self, value: Any) -> GraphQLError:
        return GraphQLError(f"Expected value of type '{self.object_type.name}' but got: {inspect(value)}.",
                            self.nodes)


class _Abstract:
    """The completion of an interface or a union: the runtime type resolved, then its object plan."""

    __slots__ = ("abstract", "by_name", "field", "schema")

    def __init__(self, schema: GraphQLSchema, abstract: GraphQLAbstractType, field: _Field) -> None:
        self.schema = schema
        self.abstract = abstract
        self.field = field
        self.by_name: dict[str, _Object] = {}

    def complete(self, run: _Run, value: Any, path: Path, info: Any) -> Any:
        resolve_type = self.abstract.resolve_type or default_type_resolver
        runtime = resolve_type(value, info, self.abstract)
        if _awaitable(runtime):
            return self._complete_when(runtime, run, value, path, info)
        return self._runtime(runtime, value).complete(run, value, path, info)

    async def _complete_when(self, runtime: Awaitable[Any], run: _Run, value: Any, path: Path, info: Any) -> Any:
        completed = self._runtime(await runtime, value).complete(run, value, path, info)
        return await completed if _awaitable(completed) else completed

    def _runtime(self, name: Any, value: Any) -> _Object:
        """graphql-core's ``ensure_valid_runtime_type``, with its words."""
        found = self.by_name.get(name) if isinstance(name, str) else None
        if found is not None:
            return found
        abstract, where, nodes = self.abstract, f"{self.field.parent}.{self.field.name}", self.field.nodes
        if name is None:
            raise GraphQLError(f"Abstract type '{abstract}' must resolve to an Object type at runtime for field "
                               f"'{where}'. Either the '{abstract}' type should provide a 'resolve_type' function "
                               "or each possible type should provide an 'is_type_of' function.", nodes)
        if not isinstance(name, str):
            raise GraphQLError(f"Abstract type '{abstract}' must resolve to an Object type at runtime for field "
                               f"'{where}' with value {inspect(value)}, received '{inspect(name)}', which is not "
                               "a valid Object type name.", nodes)
        runtime = self.schema.get_type(name)
        if runtime is None:
            raise GraphQLError(f"Abstract type '{abstract}' was resolved to a type '{name}' that does not exist "
                               "inside the schema.", nodes)
        if not is_object_type(runtime):
            raise GraphQLError(f"Abstract type '{abstract}' was resolved to a non-object type '{name}'.", nodes)
        raise GraphQLError(f"Runtime Object type '{runtime}' is not a possible type for '{abstract}'.", nodes)


# --------------------------------------------------------------------------
# Compiling an operation.


class Plan:
    """One query operation of one document, ready to run."""

    def __init__(self, schema: GraphQLSchema, operation: OperationDefinitionNode,
                 fragments: dict[str, FragmentDefinitionNode], calls: DirectCalls, *, production: bool) -> None:
        self.schema = schema
        self.operation = operation
        self.fragments = fragments
        self.production = production
        root = schema.query_type
        assert root is not None
        self.root_fields = _Compiler(schema, fragments, calls).fields(root, [operation.selection_set])

    async def run(self, context: Any, variables: dict[str, Any] | None) -> ExecutionResult | None:
        """The answer, or None when the variables do not fit the operation (the usual execution then
        says why, as it always has)."""
        coerced = get_variable_values(self.schema, self.operation.variable_definitions or (), variables or {})
        if not isinstance(coerced, VariableValues):
            return None
        run = _Run(self, context, coerced)
        data: dict[str, Any] | None
        try:
            data = _execute_fields(run, self.root_fields, None, None)
            if _awaitable(data):
                data = await data
        except GraphQLError as error:  # a non-null root field failed: no data at all
            run.add_error(error, None)
            data = None
        if run.errors:
            present_errors(run.errors, context, production=self.production)
        return ExecutionResult(data=data, errors=run.errors or None)


class _Compiler:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], calls: DirectCalls) -> None:
        self.schema = schema
        self.fragments = fragments
        self.calls = calls

    def fields(self, object_type: GraphQLObjectType, selection_sets: list[SelectionSetNode]) -> tuple[_Field, ...]:
        grouped: dict[str, list[FieldNode]] = {}
        self._collect(object_type, selection_sets, grouped, set())
        return tuple(self._field(object_type, key, nodes) for key, nodes in grouped.items())

    def _collect(self, object_type: GraphQLObjectType, selection_sets: list[SelectionSetNode],
                 grouped: dict[str, list[FieldNode]], visited: set[str]) -> None:
        """graphql-core's field collection, for documents without directives."""
        for selection_set in selection_sets:
            for selection in selection_set.selections:
                if selection.directives:
                    raise Unsupported("directives")
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    grouped.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if self._applies(selection.type_condition, object_type):
                        self._collect(object_type, [selection.selection_set], grouped, visited)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name in visited:
                        continue
                    visited.add(name)
                    fragment = self.fragments[name]
                    if fragment.directives or fragment.variable_definitions:
                        raise Unsupported("fragment directives or variables")
                    if self._applies(fragment.type_condition, object_type):
                        self._collect(object_type, [fragment.selection_set], grouped, visited)

    def _applies(self, condition: Any, object_type: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        conditional = type_from_ast(self.schema, condition)
        if conditional is object_type:
            return True
        return is_abstract_type(conditional) and self.schema.is_sub_type(conditional, object_type)

    def _field(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> _Field:
        name = nodes[0].name.value
        if name in ("__schema", "__type"):
            raise Unsupported("introspection")
        definition = self.schema.get_field(parent, name)
        if definition is None:
            raise Unsupported(f"no field {parent.name}.{name}")
        field = _Field(key, nodes, parent, definition, definition.resolve or default_field_resolver)
        if name == "__typename":
            field.typename = parent.name
            field.execute = _typename
            return field
        node = nodes[0]
        if not any(_names_variable(argument.value) for argument in node.arguments or ()):
            field.arguments = get_argument_values(definition, node, None)
        field.with_arguments = direct = self.calls.with_arguments.get((parent.name, name))
        if direct is not None and field.arguments is not None and direct.convertible_ahead:
            field.converted = direct.convert(field.arguments)
        field.complete = self._completion(definition.type, field)
        field.needs_info = not (ignores_info(field.resolve) and _is_leaf(definition.type))
        leaf = definition.type.of_type if isinstance(definition.type, GraphQLNonNull) else definition.type
        attribute = self.calls.attributes.get((parent.name, name))
        if attribute is not None and is_leaf_type(leaf):
            field.attribute, field.coerce, field.execute = attribute, leaf.coerce_output_value, _attribute_leaf
        return field

    def _completion(self, output: GraphQLOutputType, field: _Field) -> Complete:
        if isinstance(output, GraphQLNonNull):
            return _non_null(self._kind(output.of_type, field), field)
        return _nullable(self._kind(output, field))

    def _kind(self, output: GraphQLOutputType, field: _Field) -> Complete:
        if isinstance(output, GraphQLList):
            item = output.of_type
            return _list(self._completion(item, field), isinstance(item, GraphQLNonNull), field)
        if is_leaf_type(output):
            return _leaf(output)
        selections = [node.selection_set for node in field.nodes if node.selection_set]
        if is_abstract_type(output):
            abstract = _Abstract(self.schema, output, field)
            for possible in self.schema.get_possible_types(output):
                abstract.by_name[possible.name] = self._object(possible, field, selections)
            return abstract.complete
        assert isinstance(output, GraphQLObjectType)
        return self._object(output, field, selections).complete

    def _object(self, object_type: GraphQLObjectType, field: _Field, selections: list[SelectionSetNode]) -> _Object:
        completion = _Object(object_type, field.nodes)
        completion.fields = self.fields(object_type, selections)
        return completion


def _is_leaf(output: GraphQLOutputType) -> bool:
    while isinstance(output, GraphQLNonNull | GraphQLList):
        output = output.of_type
    return is_leaf_type(output)


def _names_variable(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_names_variable(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_names_variable(f.value) for f in value.fields)
    return False


# --------------------------------------------------------------------------
# The plans of one schema, by document.

#: What ``Plans`` keeps for a document that cannot be compiled: run the usual way, without trying again.
_USUAL = object()


class Plans:
    """The compiled query plans of one schema, by document text and operation name; bounded, as
    the parser's and validator's caches are."""

    def __init__(self, schema: GraphQLSchema, *, production: bool, size: int = 256,
                 calls: DirectCalls | None = None) -> None:
        self.schema = schema
        self.calls = calls or DirectCalls({}, {})
        self.production = production
        self.size = size
        self._plans: OrderedDict[tuple[str, str | None], Any] = OrderedDict()

    def get(self, text: str, operation_name: str | None) -> Plan | None:
        plan = self._plans.get((text, operation_name))
        if plan is None or plan is _USUAL:
            return None
        self._plans.move_to_end((text, operation_name))
        return plan

    def known(self, text: str, operation_name: str | None) -> bool:
        return (text, operation_name) in self._plans

    def learn(self, text: str, operation_name: str | None) -> Plan | None:
        """Compile a document that has just been validated and executed the usual way."""
        plan: Any
        try:
            plan = self.compile(text, operation_name)
        except Unsupported:
            plan = _USUAL
        self._plans[(text, operation_name)] = plan
        if len(self._plans) > self.size:
            self._plans.popitem(last=False)
        return None if plan is _USUAL else plan

    def compile(self, text: str, operation_name: str | None) -> Plan:
        """The plan of a valid document's query operation; ``Unsupported`` for anything else."""
        document = parse(text, no_location=False)
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
        if len(chosen) != 1 or (operation_name is None and len(operations) != 1):
            raise Unsupported("no single operation")
        operation = chosen[0]
        if operation.operation is not OperationType.QUERY or operation.directives:
            raise Unsupported("not a plain query")
        if any(definition.directives for definition in operation.variable_definitions or ()):
            raise Unsupported("variable directives")
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        return Plan(self.schema, operation, fragments, self.calls, production=self.production)
