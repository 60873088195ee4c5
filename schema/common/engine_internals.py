"""The private parts of strawberry and graphql-core this house relies on, and nothing else.

Everything else in the schema uses their public APIs. These have no public
spelling, and each buys a measured share of the request's CPU (see
``direct.py``, ``shared_objects.py`` and ``plans.py``):

- ``strawberry.Schema._schema``, the graphql-core schema strawberry executes:
  the only way to reach the ``GraphQLField`` objects whose ``resolve`` the
  direct resolvers replace.
- ``strawberry.Info(_raw_info=..., _field=...)``: how strawberry itself builds
  the ``Info`` a resolver receives; a direct resolver must build the same.
- strawberry's resolve info (``_OperationContextAwareGraphQLResolveInfo``, what
  its executor hands resolvers: graphql-core's fields and the operation's
  extensions), which a compiled plan builds the same way; and the mark
  (``_is_default``) strawberry leaves on the resolver of a field without one,
  which reads an attribute and ignores the info.
- ``strawberry.Info._raw_info.field_nodes``: the document's nodes of the field being
  resolved, which a field's place in an operation does not decide alone when
  ``@skip`` or ``@include`` choose among them (``lookahead.py``).
- ``StrawberryGraphQLCoreExecutionContext``, strawberry's executor (it hands
  resolvers the coerced variables and the operation's extensions); ours extends it.
- graphql-core's ``Executor.complete_object_value`` and ``collected_errors``,
  both internal (":meta private:" and "for internal use only" in graphql-core
  3.3): where an object is completed under its selection, and the field errors
  recorded so far.

``tests/test_engine_internals.py`` fails when an upgrade changes any of them;
fix this module (and only it) then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, _OperationContextAwareGraphQLResolveInfo
from strawberry.types.field import StrawberryField

#: What graphql-core passes to ``complete_object_value``, in its order.
CompletionArgs = tuple[GraphQLObjectType, Any, GraphQLResolveInfo, Any, Any, Any]


def graphql_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema that executes ``schema``'s operations."""
    return schema._schema


def strawberry_info(info_class: type[strawberry.Info], raw: GraphQLResolveInfo,
                    field: StrawberryField) -> strawberry.Info:
    """The ``Info`` strawberry would pass to ``field``'s resolver."""
    return info_class(_raw_info=raw, _field=field)


def field_nodes(info: strawberry.Info) -> list[Any]:
    """The document's nodes of the field ``info`` resolves (graphql-core's ``info.field_nodes``)."""
    return info._raw_info.field_nodes


#: The info strawberry's executor builds for a resolver, from graphql-core's fields in their order and
#: the operation's extensions: ``resolve_info(field_name, field_nodes, return_type, parent_type, path,
#: schema, fragments, root_value, operation, variable_values, context, is_awaitable, abort_signal,
#: async_helpers, operation_extensions)``.
resolve_info: Callable[..., Any] = _OperationContextAwareGraphQLResolveInfo

#: What marks a GraphQL resolver that never reads its info: strawberry's for a field without a
#: resolver of its own, and ours (``direct.py``) for a resolver that takes no info.
IGNORES_INFO = "_is_default"


def ignores_info(resolve: Any) -> bool:
    """Whether a GraphQL resolver can be called with no info."""
    return getattr(resolve, IGNORES_INFO, False) is True


class EngineExecutor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor, with graphql-core's object completion open to subclasses for the
    types they name."""

    #: The object types whose completion goes through ``complete_object``; every other object
    #: completes as graphql-core does, without a detour (this is the hottest path of execution).
    hooked_object_types: frozenset[str] = frozenset()

    def complete_object_value(self, return_type: GraphQLObjectType, field_details_list: Any, info: Any,
                              path: Any, result: Any, position_context: Any) -> Any:
        args = (return_type, field_details_list, info, path, result, position_context)
        if return_type.name not in self.hooked_object_types:
            return super().complete_object_value(*args)
        return self.complete_object(return_type, field_details_list, result, args)

    def complete_object(self, return_type: GraphQLObjectType, selection: Any, result: Any,
                        args: CompletionArgs) -> Any:
        """Complete ``result`` as ``return_type``; ``selection`` is the same object wherever the
        document asks the same fields of it. By default, as graphql-core does."""
        return self.complete_object_as_usual(args)

    def complete_object_as_usual(self, args: CompletionArgs) -> Any:
        return super().complete_object_value(*args)

    def field_error_count(self) -> int:
        """How many field errors this execution has recorded so far."""
        return len(self.collected_errors.errors)
