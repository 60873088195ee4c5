"""What the query asks for below the field being resolved, read from the document itself.

A list resolver can then load, alongside its rows, what every row's nested
fields will ask for, so that those resolve at once instead of each waiting on
a loader. Directives (@skip, @include) are not evaluated: a field they leave
out still counts as asked for, which at worst loads a row for nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import strawberry
from strawberry.types.nodes import SelectedField, Selection


def selects(info: strawberry.Info, *path: str) -> bool:
    """Whether the query selects ``path`` (field names, camelCase) below the current field."""
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
