"""Resolvers called directly.

For every field with a resolver, strawberry wraps the call in a chain built per
call: arguments converted, a closure and a ``functools.reduce`` over field
extensions, and for async resolvers one more coroutine around the resolver's own.
For the many argument-free fields of a nested list (forty students, each with a
class, a school and a district) that wrapping costs more than the resolvers.
A field with no arguments, no extensions and no permission classes needs none of
it: here its GraphQL resolver becomes a plain call with the same ``self`` and
``info`` strawberry would have passed. A field with arguments needs only their
conversion into input objects; graphql-core passes them as keywords and keeps
strawberry's chain, and a compiled plan (``plans.py``) calls the resolver
directly with the arguments converted.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.annotation import StrawberryAnnotation
from strawberry.schema.config import StrawberryConfig
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import StrawberryList, StrawberryObjectDefinition, StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType

from schema.common.engine_internals import IGNORES_INFO, graphql_schema, strawberry_info


class WithArguments:
    """A resolver with arguments called directly: with the arguments as graphql-core coerced them
    (converted into input objects on each call, as strawberry converts them), or converted once
    ahead (a document's literal arguments), each call then getting its own copy."""

    def __init__(self, field: StrawberryField, config: StrawberryConfig, registry: Any) -> None:
        resolver = field.base_resolver
        assert resolver is not None  # resolvers_with_arguments picks fields with one
        function = resolver.wrapped_func
        assert callable(function)
        self.function: Callable[..., Any] = function
        self.takes_self = resolver.self_parameter is not None
        self.info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None
        self.field, self.config, self.registry = field, config, registry
        #: Whether conversion depends on nothing but the values: no input type builds itself from the
        #: request (strawberry's ``from_input``, which receives the info).
        self.convertible_ahead = not any(_builds_itself(argument.type) for argument in field.arguments)

    def convert(self, coerced: dict[str, Any], info: Any = None) -> dict[str, Any]:
        return convert_arguments(coerced, self.field.arguments, scalar_registry=self.registry, config=self.config,
                                 info=info)

    def __call__(self, source: Any, info: Any, coerced: dict[str, Any]) -> Any:
        wrapped = strawberry_info(self.config.info_class, info, self.field)
        return self._call(source, wrapped, self.convert(coerced, wrapped))

    def with_converted(self, source: Any, info: Any, converted: dict[str, Any]) -> Any:
        """The call with arguments converted ahead: copied, so that no two requests share an input
        object a resolver might change."""
        return self._call(source, strawberry_info(self.config.info_class, info, self.field),
                          {name: _copy(value) for name, value in converted.items()})

    def _call(self, source: Any, info: strawberry.Info, kwargs: dict[str, Any]) -> Any:
        if self.info_name is not None:
            kwargs[self.info_name] = info
        return self.function(source, **kwargs) if self.takes_self else self.function(**kwargs)


def _builds_itself(annotation: Any) -> bool:
    if isinstance(annotation, StrawberryOptional | StrawberryList):
        return _builds_itself(annotation.of_type)
    if isinstance(annotation, LazyType):
        return _builds_itself(annotation.resolve_type())
    definition = getattr(annotation, "__strawberry_definition__", None)
    if not isinstance(definition, StrawberryObjectDefinition):
        return False
    return definition.from_input is not None or any(_builds_itself(f.type) for f in definition.fields)


def _copy(value: Any) -> Any:
    """A converted argument's own copy: input objects and lists anew, down to the immutable values."""
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if hasattr(value, "__strawberry_definition__") and hasattr(value, "__dict__"):
        copied = copy.copy(value)
        for name, item in vars(value).items():
            if isinstance(item, list | dict) or hasattr(item, "__strawberry_definition__"):
                setattr(copied, name, _copy(item))
        return copied
    return value


def _fields(schema: strawberry.Schema) -> Iterator[tuple[GraphQLObjectType, str, Any, StrawberryField]]:
    """Each object type's fields, as graphql-core and as strawberry know them."""
    graphql_name = schema.config.name_converter.get_graphql_name
    for graphql_type in graphql_schema(schema).type_map.values():
        definition = schema.get_type_by_name(graphql_type.name)
        if not isinstance(graphql_type, GraphQLObjectType) or not isinstance(definition, StrawberryObjectDefinition):
            continue
        fields = {graphql_name(field): field for field in definition.fields}
        for name, graphql_field in graphql_type.fields.items():
            if name in fields:
                yield graphql_type, name, graphql_field, fields[name]


def call_resolvers_directly(schema: strawberry.Schema) -> int:
    """Rewire the schema's argument-free resolvers; returns how many were."""
    rewired = 0
    for _, _, graphql_field, field in _fields(schema):
        direct = _direct_resolver(field, schema.config.info_class)
        if direct is not None:
            graphql_field.resolve = direct
            rewired += 1
    return rewired


def resolvers_with_arguments(schema: strawberry.Schema) -> dict[tuple[str, str], WithArguments]:
    """The resolvers that take arguments, called directly, by type and field name: what a compiled
    plan calls (schema.common.plans) instead of strawberry's chain, with the arguments graphql-core
    coerced. graphql-core itself keeps the chain: it passes the arguments as keywords."""
    registry = schema.schema_converter.scalar_registry
    found = {}
    for graphql_type, name, _, field in _fields(schema):
        if field.arguments and _callable_directly(field):
            found[graphql_type.name, name] = WithArguments(field, schema.config, registry)
    return found


@dataclass(frozen=True)
class DirectCalls:
    """What a compiled plan calls without strawberry's chain, by type and field name."""

    with_arguments: dict[tuple[str, str], WithArguments]
    #: the attribute each field without a resolver reads
    attributes: dict[tuple[str, str], str]

    @classmethod
    def of(cls, schema: strawberry.Schema) -> DirectCalls:
        return cls(resolvers_with_arguments(schema), plain_attributes(schema))


def plain_attributes(schema: strawberry.Schema) -> dict[tuple[str, str], str]:
    """The fields without a resolver of their own, by type and field name: the attribute each reads.
    strawberry's resolver for them reads it through three calls (``field.get_result`` and the
    configured default resolver); a compiled plan reads it at once."""
    if schema.config.default_resolver is not getattr:
        return {}
    return {(graphql_type.name, name): field.python_name for graphql_type, name, graphql_field, field in _fields(schema)
            if field.is_basic_field and getattr(graphql_field.resolve, IGNORES_INFO, False) is True}


def _callable_directly(field: StrawberryField) -> bool:
    """A resolver with no field extensions (permissions are one) and no root or parent parameter,
    that is a plain function: strawberry's chain adds nothing to calling it."""
    resolver = field.base_resolver
    return (resolver is not None and not field.extensions and not field.is_subscription
            and resolver.root_parameter is None and resolver.parent_parameter is None
            and callable(resolver.wrapped_func))


def _direct_resolver(field: StrawberryField, info_class: type) -> Callable[..., Any] | None:
    resolver = field.base_resolver
    if resolver is None or field.arguments or not _callable_directly(field):
        return None
    function = resolver.wrapped_func
    assert callable(function)  # a classmethod resolver keeps strawberry's own way of calling it
    takes_self = resolver.self_parameter is not None
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None

    if info_name is None:
        def without_info(source: Any, info: GraphQLResolveInfo | None) -> Any:
            return function(source) if takes_self else function()

        setattr(without_info, IGNORES_INFO, True)  # a compiled plan need not build one (plans.py)
        return without_info

    def with_info(source: Any, info: GraphQLResolveInfo) -> Any:
        wrapped = strawberry_info(info_class, info, field)
        return function(source, **{info_name: wrapped}) if takes_self else function(**{info_name: wrapped})

    return with_info


def resolve_lazy_arguments(schema: strawberry.Schema) -> int:
    """Give the arguments typed by ``strawberry.lazy`` (inputs of another domain, named lazily against
    import cycles) their resolved type; returns how many were. strawberry resolves a lazy type on
    every call of the field otherwise, importing its module again and comparing files on disk (two
    ``stat()`` calls); once the schema is built, the type can no longer change."""
    resolved = 0
    for graphql_type in graphql_schema(schema).type_map.values():
        definition = schema.get_type_by_name(graphql_type.name)
        if not isinstance(definition, StrawberryObjectDefinition):
            continue
        for field in definition.fields:
            for argument in field.arguments:
                if is_lazy(argument.type):
                    argument.type_annotation = StrawberryAnnotation(_eager(argument.type))
                    resolved += 1
    return resolved


def is_lazy(annotation: Any) -> bool:
    """Whether an argument's type names a lazy type, itself or as what a list or an optional holds."""
    if isinstance(annotation, StrawberryOptional | StrawberryList):
        return is_lazy(annotation.of_type)
    return isinstance(annotation, LazyType)


def _eager(annotation: Any) -> Any:
    """The Python type ``annotation`` stands for, its lazy types resolved."""
    if isinstance(annotation, StrawberryOptional):
        return _eager(annotation.of_type) | None
    if isinstance(annotation, StrawberryList):
        # a type built at run time: mypy cannot check a list of a type it does not know statically
        return list[_eager(annotation.of_type)]  # type: ignore[misc]
    return annotation.resolve_type() if isinstance(annotation, LazyType) else annotation
