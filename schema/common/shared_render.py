"""Render a live event once per audience, not once per subscriber.

A counsellor's feed event is executed against the subscription's selection
for every subscriber; with a thousand subscribers that is a thousand
identical executions. When the selection reads only fields whose values do
not depend on who is looking (beyond the visibility tier and the language,
which are part of the key), the first subscriber's result is shared with the
others. Any other field (details, timelines: audited, per viewer) makes the
document unshareable and each subscriber executes it as usual.
"""

from __future__ import annotations

import asyncio
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    print_ast,
    visit,
)
from graphql.language import Visitor

from schema.common.event_delivery import EventDeliveryExecutor

#: Fields whose value is the same for every viewer who may see the object (the tier decides that).
VIEWER_INDEPENDENT: dict[str, frozenset[str]] = {
    "WellbeingAlertEvent": frozenset({"cursor", "kind", "at", "alert"}),
    "WellbeingAlert": frozenset({
        "id", "severity", "category", "source", "status", "level", "summary", "raisedAt", "acknowledgeBy",
        "acknowledgedAt", "resolvedAt", "outcome", "acknowledgedBy", "assignee", "student", "raisedBy",
    }),
    "User": frozenset({"id", "displayName"}),
    "Student": frozenset({"id", "displayName", "grade", "gender", "school", "schoolClass"}),
    "School": frozenset({"id", "name", "stage", "isFamilyEducationPilot", "address", "district"}),
    "SchoolClass": frozenset({"id", "name", "grade", "school"}),
    "District": frozenset({"id", "name", "code"}),
}


class _Rendering:
    """One audience's rendering of an event: the first subscriber computes, the others wait."""

    __slots__ = ("done", "result")

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.result: Any = None  # stays None when the computation failed


class SharedRender:
    """The renderings of one event for each (audience, document) key; attached to the event payload."""

    def __init__(self) -> None:
        self.results: dict[tuple[Any, ...], _Rendering] = {}


class _Variables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.names.add(node.name.value)


class SharedRenderExecutor(EventDeliveryExecutor):
    """graphql-core's executor, sharing subscription event results where that is safe."""

    _share_fingerprint: Any = None  # computed once per subscription, then copied to each event's executor

    def build_per_event_executor(self, payload: Any) -> Any:
        if self._share_fingerprint is None:
            self._share_fingerprint = self._fingerprint() or False
        audience = getattr(payload, "shared_audience", None)
        if audience is not None and self._share_fingerprint:
            render, audience_key = audience
            rendering = render.results.get((audience_key, self._share_fingerprint))
            if rendering is not None and rendering.done.is_set() and rendering.result is not None:
                return _Rendered(rendering.result)  # the usual case: no executor copy, no execution
        return super().build_per_event_executor(payload)

    def execute_operation(self, serially: bool | None = None) -> Any:
        audience = getattr(self.root_value, "shared_audience", None)
        if (audience is None or not self._share_fingerprint
                or self.operation.operation is not OperationType.SUBSCRIPTION):
            return super().execute_operation(serially)
        render, audience_key = audience
        key = (audience_key, self._share_fingerprint)
        rendering = render.results.get(key)
        if rendering is None:
            rendering = render.results[key] = _Rendering()
            return self._compute(rendering, serially)
        return self._wait(rendering, serially)

    async def _compute(self, rendering: _Rendering, serially: Any) -> Any:
        try:
            result = super().execute_operation(serially)
            if self.is_awaitable(result):
                result = await result
            assert isinstance(result, ExecutionResult)  # no @defer or @stream here: one result
            if not result.errors:  # errors are never shared: each subscriber gets its own
                rendering.result = result
            return result
        finally:
            rendering.done.set()

    async def _wait(self, rendering: _Rendering, serially: Any) -> Any:
        await rendering.done.wait()
        if rendering.result is not None:
            return rendering.result
        result = super().execute_operation(serially)  # the first one failed: execute on our own
        return await result if self.is_awaitable(result) else result

    def _fingerprint(self) -> tuple[Any, ...] | None:
        """What identifies the per-event work, or None when the selection reads a viewer-dependent field."""
        root_type = self.schema.subscription_type
        if root_type is None or not self._shareable(self.operation.selection_set, root_type, set(), top=True):
            return None
        variables = _Variables()
        for selection in self.operation.selection_set.selections:
            if isinstance(selection, FieldNode) and selection.selection_set is not None:
                visit(selection.selection_set, variables)
        coerced = self.variable_values.coerced
        used = tuple(sorted((name, repr(coerced.get(name))) for name in variables.names))
        fragments = tuple(sorted(print_ast(f) for f in self.fragment_definitions.values()))
        # The root field's own arguments (a resume cursor) shape the stream, not the event's rendering.
        selection_text = print_ast(SelectionSetNode(selections=tuple(
            FieldNode(alias=s.alias, name=s.name, directives=s.directives, selection_set=s.selection_set, arguments=())
            if isinstance(s, FieldNode) else s for s in self.operation.selection_set.selections)))
        return (selection_text, fragments, used)

    def _shareable(self, selection_set: SelectionSetNode | None, parent: Any, seen: set[str], *,
                   top: bool = False) -> bool:
        if selection_set is None:
            return True
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name == "__typename":
                    continue
                if not top and name not in VIEWER_INDEPENDENT.get(parent.name, ()):
                    return False
                if not top and selection.arguments:
                    return False
                field = parent.fields.get(name) if isinstance(parent, GraphQLObjectType) else None
                if field is None:
                    return False
                child = get_named_type(field.type)
                if selection.selection_set is not None and not self._shareable(selection.selection_set, child, seen):
                    return False
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                if not self._shareable(selection.selection_set, target, seen, top=top):
                    return False
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragment_definitions.get(name)
                if fragment is None:
                    return False
                if name in seen:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value)
                if not self._shareable(fragment.selection_set, target, seen | {name}, top=top):
                    return False
        return True


class _Rendered:
    """Stands in for a per-event executor when the event is already rendered for this audience."""

    __slots__ = ("result",)

    def __init__(self, result: Any) -> None:
        self.result = result

    def execute_operation(self, serially: bool | None = None) -> Any:
        return self.result
