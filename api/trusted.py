"""Trusted documents: in production only the clients' own operations execute.

The operations are loaded at start from a folder of ``.graphql`` files (the
contract's ``operations/``). Each operation, with the fragments it uses, is
put in a canonical printed form and keyed by its SHA-256. A request names a
document either by that hash (``extensions.persistedQuery.sha256Hash``) or by
sending its text, which must canonicalise to a known one. Anything else is
refused before validation.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    OperationDefinitionNode,
    parse,
    print_ast,
    visit,
)
from graphql.language import Visitor


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.names.add(node.name.value)


def _used_fragments(node: object, fragments: dict[str, FragmentDefinitionNode]) -> list[FragmentDefinitionNode]:
    wanted: set[str] = set()
    todo = [node]
    while todo:
        spreads = _Spreads()
        visit(todo.pop(), spreads)  # type: ignore[arg-type]
        for name in spreads.names - wanted:
            if name in fragments:
                wanted.add(name)
                todo.append(fragments[name])
    return [fragments[name] for name in sorted(wanted)]


def canonical_operations(document: DocumentNode) -> dict[str | None, str]:
    """Each operation of the document, with its fragments, in canonical text, by operation name."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    result: dict[str | None, str] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            minimal = DocumentNode(definitions=(definition, *_used_fragments(definition, fragments)))
            result[definition.name.value if definition.name else None] = print_ast(minimal)
    return result


class TrustedDocuments:
    def __init__(self, by_hash: dict[str, str]) -> None:
        self._by_hash = by_hash

    @classmethod
    def load(cls, folder: Path) -> TrustedDocuments:
        by_hash: dict[str, str] = {}
        for path in sorted(folder.glob("*.graphql")):
            for text in canonical_operations(parse(path.read_text(encoding="utf-8"))).values():
                by_hash[_sha256(text)] = text
        if not by_hash:
            raise ValueError(f"no GraphQL operations found in {folder}")
        return cls(by_hash)

    def __len__(self) -> int:
        return len(self._by_hash)

    def resolve(self, query: str | None, operation_name: str | None, extensions: dict | None) -> str | None:
        """The trusted text to execute for this request, or None if it is not trusted."""
        persisted = (extensions or {}).get("persistedQuery")
        if isinstance(persisted, dict) and isinstance(persisted.get("sha256Hash"), str):
            text = self._by_hash.get(persisted["sha256Hash"])
            if text is not None and (query is None or self._matches(query, operation_name, text)):
                return text
            return None
        if query is None:
            return None
        exact = self._by_hash.get(_sha256(query))
        if exact is not None:
            return exact
        return self._canonical_match(query, operation_name)

    def _canonical_match(self, query: str, operation_name: str | None) -> str | None:
        try:
            operations = canonical_operations(parse(query, max_tokens=5000))
        except GraphQLError:
            return None
        if operation_name is None and len(operations) == 1:
            operation_name = next(iter(operations))
        text = operations.get(operation_name)
        return self._by_hash.get(_sha256(text)) if text is not None else None

    def _matches(self, query: str, operation_name: str | None, trusted: str) -> bool:
        return self._canonical_match(query, operation_name) == trusted
