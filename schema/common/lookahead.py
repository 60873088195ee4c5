"""What the query asks for below the field being resolved, read from the document itself.

A list resolver can then load, alongside its rows, what every row's nested
fields will ask for, so that those resolve at once instead of each waiting on
a loader. Directives (@skip, @include) are not evaluated: a field they leave
out still counts as asked for, which at worst loads a row for nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode


def selects(info: Any, *path: str) -> bool:
    """Whether the query selects ``path`` (field names, camelCase) below the current field."""
    raw = info._raw_info
    nodes: list[FieldNode] = list(raw.field_nodes)
    for name in path:
        nodes = [child for node in nodes for child in _fields_named(node.selection_set, name, raw.fragments)]
        if not nodes:
            return False
    return True


def _fields_named(selection_set: SelectionSetNode | None, name: str,
                  fragments: Mapping[str, FragmentDefinitionNode]) -> Iterator[FieldNode]:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value == name:
                yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields_named(selection.selection_set, name, fragments)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            yield from _fields_named(fragments[selection.name.value].selection_set, name, fragments)
