"""Reference objects completed once per query, however many times the answer names them.

Forty students of one class name the same class, school and district forty
times; graphql-core would resolve and complete the same sub-selection forty
times over, and on a nested list that is nearly all the work. Within one query,
the same district, school or class under the same selection completes the same
way wherever it appears: their fields read the object's own row and the
request's loaders, for the one viewer of the request, and leave no audit row.
So the first completion is kept and the others reuse it.

Kept only when it is clean: a completion that raised or recorded a field error
is not reused (each place must report its own error), and mutations and
subscriptions are never shared this way (a mutation changes rows between its
root fields).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from graphql import GraphQLObjectType, OperationType

from schema.common.engine_internals import CompletionArgs
from schema.common.shared_render import SharedRenderExecutor

#: Types whose completion depends only on the object, the selection and the request's viewer, and
#: reads nothing audited: the programme's reference data.
REFERENCE_TYPES = frozenset({"District", "School", "SchoolClass"})


class _Completion:
    __slots__ = ("clean", "errors_before", "selection", "value")

    def __init__(self, selection: Any, value: Any, clean: bool | None, errors_before: int) -> None:
        self.selection = selection  # kept alive: its id() is part of the key
        self.value = value
        #: None while an asynchronous completion is under way.
        self.clean = clean
        self.errors_before = errors_before


class Executor(SharedRenderExecutor):
    """The schema's executor: subscription events rendered once per audience, reference objects
    completed once per query."""

    hooked_object_types = REFERENCE_TYPES
    _completions: dict[tuple[int, str, str], _Completion] | None = None

    def complete_object(self, return_type: GraphQLObjectType, selection: Any, result: Any,
                        args: CompletionArgs) -> Any:
        if self.operation.operation is not OperationType.QUERY:
            return self.complete_object_as_usual(args)
        if self._completions is None:
            self._completions = {}
        key = (id(selection), return_type.name, result.id)
        earlier = self._completions.get(key)
        if earlier is not None:
            if isinstance(earlier.value, asyncio.Future):
                if not earlier.value.done():
                    return self._reuse(earlier, args)
                self._settle(earlier)
            if earlier.clean:
                return earlier.value.result() if isinstance(earlier.value, asyncio.Future) else earlier.value
            return self.complete_object_as_usual(args)
        errors_before = self.field_error_count()
        completed = self.complete_object_as_usual(args)
        if not self.is_awaitable(completed):
            clean = self.field_error_count() == errors_before
            self._completions[key] = _Completion(selection, completed, clean, errors_before)
            return completed
        task = asyncio.ensure_future(completed)
        completion = self._completions[key] = _Completion(selection, task, None, errors_before)
        task.add_done_callback(lambda _: self._settle(completion))
        return task

    def _settle(self, completion: _Completion) -> None:
        """Whether a finished asynchronous completion may be reused. Errors recorded meanwhile may
        belong to other fields; not reusing then is merely slower."""
        if completion.clean is None:
            done = completion.value
            completion.clean = (not done.cancelled() and done.exception() is None
                                and self.field_error_count() == completion.errors_before)

    async def _reuse(self, earlier: _Completion, args: CompletionArgs) -> Any:
        # wait() neither raises what the first completion raised nor cancels it if this one is cancelled.
        await asyncio.wait((earlier.value,))
        self._settle(earlier)
        if earlier.clean:
            return earlier.value.result()
        completed = self.complete_object_as_usual(args)
        return await completed if isinstance(completed, Awaitable) else completed
