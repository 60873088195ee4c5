"""Which GraphQL documents a request may run, and the ways clients name them.

A client sends a document's text, or an id it was given for it: an Apollo
persisted-query manifest id or a GraphQL Codegen persisted-document hash
(``extensions.persistedQuery.sha256Hash``, or ``documentId`` as the
GraphQL-over-HTTP draft has it), or the SHA-256 of the text itself under
Apollo's automatic persisted queries (APQ).

In production only trusted documents run: the project's operations
(``clients/operations``) and the manifests configured beside them
(``COEDU_TRUSTED_DOCUMENTS``). A text is trusted when it equals a trusted
document once what clients add is taken away: ``__typename`` selections
(Apollo's cache adds them everywhere), whitespace and comments, the order of
definitions, fragments the operation does not use. The client's own text is
then executed, so that its cache gets the ``__typename`` it asked for.

APQ: a hash alone is looked up among the trusted ids and the hashes learnt
so far; unknown, it answers PERSISTED_QUERY_NOT_FOUND (HTTP 200, as Apollo's
mobile clients expect), and the client sends the text with the hash. In
development that registers any text; in production only a trusted one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    print_ast,
    visit,
)
from graphql.language import Visitor

#: Largest document a client may send, in tokens (the schema's own limit applies again at validation).
MAX_TOKENS = 5000
_HEX64 = re.compile(r"[0-9a-f]{64}")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class DocumentRefused(Exception):  # noqa: N818 - a refusal, with its code and HTTP status
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


# --------------------------------------------------------------------------
# The canonical form: what is left of a document once clients' additions are taken away.


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.names.add(node.name.value)


class _WithoutTypename(Visitor):
    """Drops ``__typename`` selections, except where one is all a selection set holds."""

    def enter_selection_set(self, node: SelectionSetNode, *_: object) -> SelectionSetNode | None:
        kept = tuple(s for s in node.selections if not (isinstance(s, FieldNode) and s.name.value == "__typename"))
        if kept and len(kept) != len(node.selections):
            return SelectionSetNode(selections=kept)
        return None


def _used_fragments(node: Node, fragments: dict[str, FragmentDefinitionNode]) -> list[FragmentDefinitionNode]:
    wanted: set[str] = set()
    todo: list[Node] = [node]
    while todo:
        spreads = _Spreads()
        visit(todo.pop(), spreads)
        for name in spreads.names - wanted:
            if name in fragments:
                wanted.add(name)
                todo.append(fragments[name])
    return [fragments[name] for name in sorted(wanted)]


def operations(document: DocumentNode, *, strip_typename: bool = False) -> dict[str | None, str]:
    """Each operation of a document with the fragments it uses (sorted), printed, by name."""
    if strip_typename:
        document = visit(document, _WithoutTypename())
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    printed: dict[str | None, str] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            minimal = DocumentNode(definitions=(definition, *_used_fragments(definition, fragments)))
            printed[definition.name.value if definition.name else None] = print_ast(minimal)
    return printed


def canonical(text: str, operation_name: str | None) -> str | None:
    """The canonical text of the operation a request runs, or None if it names none or does not parse."""
    try:
        found = operations(parse(text, max_tokens=MAX_TOKENS), strip_typename=True)
    except GraphQLError:
        return None
    if operation_name is None and len(found) == 1:
        operation_name = next(iter(found))
    return found.get(operation_name)


# --------------------------------------------------------------------------
# Where trusted documents come from.


def _from_graphql_file(path: Path) -> list[tuple[str | None, str]]:
    return [(None, text) for text in operations(parse(path.read_text(encoding="utf-8"))).values()]


def _from_manifest(path: Path) -> list[tuple[str | None, str]]:
    """An Apollo persisted-query manifest, or GraphQL Codegen's persisted-documents map."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and data.get("format") == "apollo-persisted-query-manifest":
        return [(str(op["id"]), str(op["body"])) for op in data.get("operations", [])]
    if isinstance(data, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        return [(key.removeprefix("sha256:"), body) for key, body in data.items()]
    raise ValueError(f"{path}: neither an Apollo persisted-query manifest nor a persisted-documents map")


def trusted_sources(paths: list[Path]) -> list[tuple[str | None, str]]:
    """(id, text) of every trusted document under ``paths``: folders of .graphql files, .graphql
    files, and manifests (.json)."""
    found: list[tuple[str | None, str]] = []
    for path in paths:
        files = sorted(path.glob("*.graphql")) + sorted(path.glob("*.json")) if path.is_dir() else [path]
        for file in files:
            found += _from_manifest(file) if file.suffix == ".json" else _from_graphql_file(file)
    if not found:
        raise ValueError(f"no GraphQL operations found in {', '.join(map(str, paths))}")
    return found


# --------------------------------------------------------------------------
# The registry a process consults for every operation it is asked to run.


@dataclass(frozen=True)
class Request:
    query: str | None
    operation_name: str | None
    extensions: dict | None
    document_id: str | None = None


class DocumentRegistry:
    """Resolves what a request names to the text to execute, or refuses it."""

    def __init__(self, sources: list[tuple[str | None, str]] | None, *, learnt_limit: int = 2000) -> None:
        #: None: every document may run (development).
        self._trusted: set[str] | None = None
        self._by_id: dict[str, str] = {}
        if sources is not None:
            self._trusted = set()
            for document_id, text in sources:
                for name, printed in operations(parse(text, max_tokens=MAX_TOKENS)).items():
                    form = canonical(printed, name)
                    assert form is not None
                    self._trusted.add(form)
                    self._by_id.setdefault(sha256(form), printed)
                    self._by_id.setdefault(sha256(printed), printed)
                if document_id is not None:
                    self._by_id[document_id] = text
                self._by_id.setdefault(sha256(text), text)
        #: APQ hashes learnt from clients (the text under its hash), bounded.
        self._learnt: OrderedDict[str, str] = OrderedDict()
        self._learnt_limit = learnt_limit
        self._canonical_cache: OrderedDict[tuple[str, str | None], str | None] = OrderedDict()

    @classmethod
    def load(cls, paths: list[Path] | None) -> DocumentRegistry:
        return cls(trusted_sources(paths) if paths else None)

    @property
    def enforcing(self) -> bool:
        return self._trusted is not None

    def __len__(self) -> int:
        return len(self._trusted or ())

    def resolve(self, request: Request) -> str:
        """The text to execute for ``request``; DocumentRefused says why there is none."""
        persisted = (request.extensions or {}).get("persistedQuery")
        if request.document_id is not None:
            if request.query is not None:
                raise DocumentRefused("BAD_REQUEST", "Send either documentId or query, not both.")
            return self._known(request.document_id.removeprefix("sha256:"))
        if persisted is not None:
            return self._automatic(persisted, request)
        if not request.query:
            raise DocumentRefused("BAD_REQUEST", "No GraphQL query in the request.")
        if self.is_trusted(request.query, request.operation_name):
            return request.query
        raise DocumentRefused("UNTRUSTED_DOCUMENT", "Only the apps' registered operations are accepted.")

    def is_trusted(self, text: str, operation_name: str | None) -> bool:
        return self._trusted is None or self._canonical(text, operation_name) in self._trusted

    def _known(self, document_id: str) -> str:
        text = self._by_id.get(document_id) or self._learnt.get(document_id)
        if text is None:
            raise DocumentRefused("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound", status=200)
        return text

    def _automatic(self, persisted: object, request: Request) -> str:
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise DocumentRefused("PERSISTED_QUERY_NOT_SUPPORTED", "PersistedQueryNotSupported", status=200)
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise DocumentRefused("BAD_REQUEST", "persistedQuery.sha256Hash must be 64 lowercase hex digits.")
        if request.query is None:
            return self._known(digest)
        if sha256(request.query) != digest and self._by_id.get(digest) is None:
            raise DocumentRefused("PERSISTED_QUERY_HASH_MISMATCH", "The hash is not the SHA-256 of the query.")
        if not self.is_trusted(request.query, request.operation_name):
            raise DocumentRefused("UNTRUSTED_DOCUMENT", "Only the apps' registered operations are accepted.")
        if sha256(request.query) == digest:
            self._learn(digest, request.query)
        return request.query

    def _learn(self, digest: str, text: str) -> None:
        self._learnt[digest] = text
        self._learnt.move_to_end(digest)
        while len(self._learnt) > self._learnt_limit:
            self._learnt.popitem(last=False)

    def _canonical(self, text: str, operation_name: str | None) -> str | None:
        key = (text, operation_name)
        if key in self._canonical_cache:
            self._canonical_cache.move_to_end(key)
            return self._canonical_cache[key]
        form = canonical(text, operation_name)
        self._canonical_cache[key] = form
        while len(self._canonical_cache) > 512:
            self._canonical_cache.popitem(last=False)
        return form


# --------------------------------------------------------------------------
# Manifests of the project's operations, for the apps' build.


class _WithTypename(Visitor):
    """Adds ``__typename`` to every selection set below the operation, as Apollo's cache does."""

    def enter_selection_set(self, node: SelectionSetNode, key: object, parent: object, *_: object
                            ) -> SelectionSetNode | None:
        if isinstance(parent, OperationDefinitionNode):
            return None
        if any(isinstance(s, FieldNode) and s.name.value == "__typename" and s.alias is None
               for s in node.selections):
            return None
        from graphql import NameNode

        return SelectionSetNode(selections=(*node.selections, FieldNode(name=NameNode(value="__typename"))))


def manifest(folder: Path, *, style: str = "apollo") -> dict:
    """The project's operations as an Apollo persisted-query manifest (bodies as Apollo Client
    sends them: ``__typename`` added, definitions sorted) or a GraphQL Codegen persisted-documents
    map. Each id is the SHA-256 of its body."""
    entries = []
    for path in sorted(folder.glob("*.graphql")):
        for name, text in operations(parse(path.read_text(encoding="utf-8"))).items():
            document = parse(text)
            if style == "apollo":
                document = visit(document, _WithTypename())
            operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
            fragments = sorted((d for d in document.definitions if isinstance(d, FragmentDefinitionNode)),
                               key=lambda d: d.name.value)
            body = print_ast(DocumentNode(definitions=(operation, *fragments)))
            entries.append({"id": sha256(body), "name": name, "type": operation.operation.value, "body": body})
    if style == "apollo":
        return {"format": "apollo-persisted-query-manifest", "version": 1, "operations": entries}
    return {entry["id"]: entry["body"] for entry in entries}
