"""Resolvers that take no GraphQL arguments, called directly.

For every field with a resolver, strawberry wraps the call in a chain built per
call: arguments converted, a closure and a ``functools.reduce`` over field
extensions, and for async resolvers one more coroutine around the resolver's own.
For the many argument-free fields of a nested list (forty students, each with a
class, a school and a district) that wrapping costs more than the resolvers.
A field with no arguments, no extensions and no permission classes needs none of
it: here its GraphQL resolver becomes a plain call with the same ``self`` and
``info`` strawberry would have passed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.annotation import StrawberryAnnotation
from strawberry.types.base import StrawberryList, StrawberryObjectDefinition, StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType

from schema.common.engine_internals import IGNORES_INFO, graphql_schema, strawberry_info


def call_resolvers_directly(schema: strawberry.Schema) -> int:
    """Rewire the schema's argument-free resolvers; returns how many were."""
    info_class = schema.config.info_class
    graphql_name = schema.config.name_converter.get_graphql_name
    rewired = 0
    for graphql_type in graphql_schema(schema).type_map.values():
        definition = schema.get_type_by_name(graphql_type.name)
        if not isinstance(graphql_type, GraphQLObjectType) or not isinstance(definition, StrawberryObjectDefinition):
            continue
        fields = {graphql_name(field): field for field in definition.fields}
        for name, graphql_field in graphql_type.fields.items():
            direct = _direct_resolver(fields[name], info_class) if name in fields else None
            if direct is not None:
                graphql_field.resolve = direct
                rewired += 1
    return rewired


def _direct_resolver(field: StrawberryField, info_class: type) -> Callable[..., Any] | None:
    resolver = field.base_resolver
    if (resolver is None or field.arguments or field.extensions or field.is_subscription
            or resolver.root_parameter is not None or resolver.parent_parameter is not None):
        return None
    function = resolver.wrapped_func
    if not callable(function):  # a classmethod resolver: strawberry's own way of calling it stays
        return None
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
