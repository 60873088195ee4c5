"""Bounds on what one document may ask for (OWASP GraphQL cheat sheet).

Depth, aliases and tokens use strawberry's limiters; the cost rule below
weighs each field by how many times it can run: a connection by its `first`
(100 when it is a variable), any other list by a nominal fan-out.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
)

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 1500
#: The largest document the clients send, an instructor's sessions with their seats (100 × 100 when
#: `first` is a variable), costs about 81,000; every list below it is read in one batched statement.
MAX_COST = 100_000
LIST_FAN_OUT = 5
_VARIABLE_FIRST = 100


def _is_list(graphql_type: Any) -> bool:
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    return isinstance(graphql_type, GraphQLList)


class QueryCost(ValidationRule):
    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        schema = self.context.schema
        root = {"query": schema.query_type, "mutation": schema.mutation_type,
                "subscription": schema.subscription_type}[node.operation.value]
        cost = self._selection_cost(node.selection_set, root, set(), in_connection=False)
        if cost > MAX_COST:
            self.report_error(GraphQLError(
                f"The query costs {cost}, above the limit of {MAX_COST}; ask for smaller pages.",
                node, extensions={"code": "QUERY_TOO_COMPLEX"},
            ))

    def _selection_cost(self, selection_set: SelectionSetNode | None, parent: Any, seen: set[str], *,
                        in_connection: bool) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field_cost(selection, parent, seen, in_connection=in_connection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.context.schema.get_type(condition.name.value) if condition else parent
                total += self._selection_cost(selection.selection_set, target, seen, in_connection=in_connection)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is None or name in seen:
                    continue
                target = self.context.schema.get_type(fragment.type_condition.name.value)
                total += self._selection_cost(fragment.selection_set, target, seen | {name},
                                              in_connection=in_connection)
        return total

    def _field_cost(self, node: FieldNode, parent: Any, seen: set[str], *, in_connection: bool) -> int:
        fields = getattr(parent, "fields", None) or {}
        definition = fields.get(node.name.value)
        if definition is None:
            return 1
        first = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
        if first is not None:
            # A connection: its page size is the fan-out; its edges and nodes lists add none.
            fan_out = int(first.value) if isinstance(first, IntValueNode) else _VARIABLE_FIRST
        elif _is_list(definition.type) and not in_connection:
            fan_out = LIST_FAN_OUT
        else:
            fan_out = 1
        children = self._selection_cost(node.selection_set, get_named_type(definition.type), seen,
                                        in_connection=first is not None)
        return 1 + fan_out * children
