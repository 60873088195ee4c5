"""What the query asks for below the field being resolved, read from the document itself.

A list resolver can then load, alongside its rows, what every row's nested
fields will ask for, so that those resolve at once instead of each waiting on
a loader. Directives (@skip, @include) are not evaluated: a field they leave
out still counts as asked for, which at worst loads a row for nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

import strawberry
from graphql import OperationDefinitionNode
from strawberry.types.nodes import SelectedField, Selection

from schema.common.engine_internals import field_nodes

#: What ``selects`` answered, per operation (by identity: a compiled plan runs the same operation
#: object on every request, and strawberry's parser cache hands graphql-core the same) and per place
#: in it, with the field's nodes (alive as long as the document). The operation is kept with its answers, so that its
#: id is not another's while they are kept; the least recently asked go first (a plan per trusted
#: document: a few dozen).
_ANSWERS: OrderedDict[int, tuple[OperationDefinitionNode, dict[tuple[Any, ...], bool]]] = OrderedDict()
_OPERATIONS_KEPT = 128


def selects(info: strawberry.Info, *path: str) -> bool:
    """Whether the query selects ``path`` (field names, camelCase) below the current field: the
    same answer wherever the same operation reaches the same field, so it is worked out once
    (strawberry's ``selected_fields`` converts the field's whole selection, arguments and all)."""
    operation = info.operation
    kept = _ANSWERS.get(id(operation))
    if kept is None or kept[0] is not operation:
        kept = _ANSWERS[id(operation)] = (operation, {})
        if len(_ANSWERS) > _OPERATIONS_KEPT:
            _ANSWERS.popitem(last=False)
    else:
        _ANSWERS.move_to_end(id(operation))
    # The same place may hold other nodes when @skip or @include chose among them: theirs are the key too.
    place = (*_place(info.path), *map(id, field_nodes(info)), path)
    answer = kept[1].get(place)
    if answer is None:
        answer = kept[1][place] = _selects(info, path)
    return answer


def _place(path: Any) -> Iterator[tuple[str, str | None]]:
    """Where a field is in the operation: the response keys down to it and their parents' types,
    list indices left out (every item of a list is at the same place)."""
    while path is not None:
        if isinstance(path.key, str):
            yield path.key, path.typename
        path = path.prev


def _selects(info: strawberry.Info, path: tuple[str, ...]) -> bool:
    fields: list[SelectedField] = [f for f in info.selected_fields if isinstance(f, SelectedField)]
    for name in path:
        fields = [child for field in fields for child in _fields_named(field.selections, name)]
        if not fields:
            return False
    return True


def _fields_named(selections: Iterable[Selection], name: str) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == name:
                yield selection
        else:  # an inline fragment or a fragment's spread, its selections already read from the document
            yield from _fields_named(selection.selections, name)
