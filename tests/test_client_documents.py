"""The documents the apps send live in the project (clients/), and the served schema honours them.

The team's contract (../shared/contract) is where new client operations come
from; the project keeps its own copy so that a fresh clone builds, runs and
tests alone. Where the team's contract is beside the checkout, the copy is
checked against it: every operation there is here, unchanged.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLNonNull,
    build_ast_schema,
    build_schema,
    parse,
    validate,
)

from tests.helpers import CLIENTS, TEAM_CONTRACT

ROOT = Path(__file__).resolve().parents[1]


def _served():
    return build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))


def _operation_files() -> list[Path]:
    return sorted((CLIENTS / "operations").glob("*.graphql"))


def test_every_client_operation_validates_against_the_served_schema():
    schema = _served()
    problems = {path.name: [e.message for e in validate(schema, parse(path.read_text(encoding="utf-8")))]
                for path in _operation_files()}
    assert {name: found for name, found in problems.items() if found} == {}
    assert [p.stem for p in _operation_files()] == [
        "account", "column", "family-education-next", "family-education", "home-address", "home-visits", "notices",
        "notifications", "organisation", "screens-next", "screens", "wellbeing"]


team_contract = pytest.mark.skipif(not (TEAM_CONTRACT / "operations").is_dir(),
                                   reason="the team's contract is not beside this checkout (../shared/contract)")


#: Types and values of clients/next/vocabulary.graphql whose features are still being built; each
#: feature that lands takes its names off this list (all have landed).
PENDING_VOCABULARY: set[str] = set()


def _vocabulary_problems() -> list[tuple[str, str]]:
    """(the type, or type.member, at fault; what is wrong) for the whole vocabulary, next/ included."""
    schema = _served()
    vocabulary = build_ast_schema(parse("\n".join(
        (CLIENTS / path).read_text(encoding="utf-8") for path in ("vocabulary.graphql", "next/vocabulary.graphql"))))
    problems = []
    for name, wanted in vocabulary.type_map.items():
        actual = schema.type_map.get(name)
        if isinstance(wanted, GraphQLInputObjectType):
            if not isinstance(actual, GraphQLInputObjectType):
                problems.append((name, f"input {name} is missing"))
                continue
            for field, spec in wanted.fields.items():
                have = actual.fields.get(field)
                if have is None or str(have.type) != str(spec.type):
                    problems.append((f"{name}.{field}", f"{name}.{field}: {have and have.type} instead of {spec.type}"))
            problems += [(f"{name}.{field}", f"{name}.{field} is required but the clients do not send it")
                         for field, have in actual.fields.items()
                         if field not in wanted.fields and isinstance(have.type, GraphQLNonNull)
                         and have.default_value is None]
        elif isinstance(wanted, GraphQLEnumType) and not name.startswith("__"):
            if not isinstance(actual, GraphQLEnumType):
                problems.append((name, f"enum {name} is missing"))
            else:
                problems += [(f"{name}.{value}", f"{name}.{value} is missing")
                             for value in set(wanted.values) - set(actual.values)]
    return problems


def test_the_schema_has_every_input_and_enum_the_clients_build():
    """Each input type of the vocabulary exists with at least its fields, of the same types (fields
    the server adds are optional); each enum with at least its values. The vocabulary of features
    still being built is exempt, name by name, and only while it is missing."""
    problems = _vocabulary_problems()
    assert [message for at, message in problems if at not in PENDING_VOCABULARY] == []
    assert PENDING_VOCABULARY <= {at for at, _ in problems}, "a feature landed: take its names off the list"


@team_contract
def test_every_next_operation_of_the_team_is_here_unchanged():
    """Features being built: the team's next/ files, here in clients/next until served, then in
    clients/operations (the contract's own rule: they move unchanged once the schema serves them;
    named <file>-next.graphql where operations/ has a file of that name already)."""
    for path in sorted((TEAM_CONTRACT / "next").glob("*.graphql")):
        served = [CLIENTS / "operations" / path.name, CLIENTS / "operations" / f"{path.stem}-next.graphql"]
        theirs = path.read_text(encoding="utf-8")
        assert theirs in {f.read_text(encoding="utf-8") for f in (*served, CLIENTS / "next" / path.name)
                          if f.exists()}, path.name


def test_every_served_next_operation_validates_and_the_pending_ones_do_not_yet():
    schema = _served()
    for path in sorted((CLIENTS / "next").glob("*.graphql")):
        if path.name != "vocabulary.graphql":
            assert validate(schema, parse(path.read_text(encoding="utf-8"))), f"{path.name} is served: move it"


@team_contract
def test_the_project_holds_the_team_contract_unchanged():
    for path in sorted((TEAM_CONTRACT / "operations").glob("*.graphql")):
        ours = CLIENTS / "operations" / path.name
        assert ours.exists(), f"copy {path} into clients/operations"
        assert ours.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), f"{ours} differs from {path}"
    vocabulary = (TEAM_CONTRACT / "vocabulary.graphql").read_text(encoding="utf-8")
    assert (CLIENTS / "vocabulary.graphql").read_text(encoding="utf-8") == vocabulary


@team_contract
@pytest.mark.parametrize("next_too", [False, True])
def test_the_team_contract_check_passes_on_the_served_schema(next_too):
    result = subprocess.run([sys.executable, str(TEAM_CONTRACT / "check.py"), *(["--next"] if next_too else []),
                             str(ROOT / "schema.graphql")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 problems" in result.stdout
