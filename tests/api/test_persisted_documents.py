"""Documents the way clients make them: __typename added, manifests with their ids, automatic
persisted queries, documentId; the same rules on HTTP and on the WebSocket."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys

import httpx
import pytest
from graphql import parse, print_ast, visit

from api.documents import _WithTypename
from tests.conftest import RunningServer
from tests.helpers import CLIENTS, Api, contract_operation, error_codes
from tests.ws import WsClient

VIEWER = contract_operation("account.graphql", "Viewer")
EVENTS = contract_operation("wellbeing.graphql", "AlertEvents")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _as_apollo_sends_it(text: str) -> str:
    """The document as Apollo Client's cache hands it to the link: __typename everywhere."""
    return print_ast(visit(parse(text), _WithTypename()))


@pytest.fixture
async def production(settings, tmp_path):
    """A production server (the only one in this process) trusting the project's operations and a
    GraphQL Codegen manifest of them; with the world built on its database."""
    manifest = subprocess.run([sys.executable, "-m", "api.cli", "persisted-documents", "--format", "codegen",  # noqa: ASYNC221
                               "--operations", str(CLIENTS / "operations")], capture_output=True, text=True,
                              check=True).stdout
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "codegen.json").write_text(manifest, encoding="utf-8")
    running = RunningServer(dataclasses.replace(
        settings, environment="production", trusted_documents=(CLIENTS / "operations", tmp_path / "manifests")))
    address = await running.start()
    from tests.helpers import build_world

    world = await build_world()
    async with httpx.AsyncClient(base_url=f"http://{address}") as client:
        yield Api(client, address), json.loads(manifest), world
    await running.stop()


async def test_production_runs_a_trusted_document_with_what_clients_add(production):
    api, _, world = production
    token = world["teacher_a"].token
    with_typename = _as_apollo_sends_it(VIEWER)
    body = await api.gql(with_typename, token=token)
    assert body["data"]["viewer"]["__typename"] == "User"  # the client's own text ran, __typename and all
    reordered = "\n".join(reversed(VIEWER.split("\n\n"))) if "\n\nfragment" in VIEWER else VIEWER
    assert "errors" not in await api.gql("  " + reordered.replace("\n", " \n\n "), token=token)
    untrusted = await api.post("query Viewer { viewer { id phoneMasked roles { role } } }", token=token)
    assert untrusted.status_code == 400 and error_codes(untrusted.json()) == ["UNTRUSTED_DOCUMENT"]


async def test_production_takes_manifest_ids_as_persisted_queries_and_document_ids(production):
    api, manifest, world = production
    viewer_id = next(key for key, body in manifest.items() if body.startswith("query Viewer"))
    headers = {"authorization": f"Bearer {world['teacher_a'].token}"}
    by_extension = await api.client.post("/graphql", headers=headers, json={
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": viewer_id}}})
    by_document_id = await api.client.post("/graphql", headers=headers, json={"documentId": f"sha256:{viewer_id}"})
    assert by_extension.json() == by_document_id.json()
    assert by_extension.json()["data"]["viewer"]["displayName"] == "王老师"
    missing = await api.client.post("/graphql", headers=headers, json={"documentId": "sha256:" + "0" * 64})
    assert error_codes(missing.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_automatic_persisted_queries_in_production_learn_trusted_texts_only(production):
    api, _, world = production
    headers = {"authorization": f"Bearer {world['teacher_a'].token}"}
    text = _as_apollo_sends_it(VIEWER)
    apq = {"persistedQuery": {"version": 1, "sha256Hash": _sha256(text)}}
    first = await api.client.post("/graphql", headers=headers, json={"extensions": apq})
    assert first.status_code == 200 and error_codes(first.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    sent = await api.client.post("/graphql", headers=headers, json={"query": text, "extensions": apq})
    assert sent.json()["data"]["viewer"]["__typename"] == "User"
    again = await api.client.post("/graphql", headers=headers, json={"extensions": apq})
    assert again.json() == sent.json()
    # an untrusted text is never learnt, whatever hash comes with it
    evil = "query Viewer { viewer { id } }"
    refused = await api.client.post("/graphql", headers=headers, json={
        "query": evil, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha256(evil)}}})
    assert error_codes(refused.json()) == ["UNTRUSTED_DOCUMENT"]
    mismatch = await api.client.post("/graphql", headers=headers, json={
        "query": text, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "1" * 64}}})
    assert error_codes(mismatch.json()) == ["PERSISTED_QUERY_HASH_MISMATCH"]
    unsupported = await api.client.post("/graphql", headers=headers, json={
        "extensions": {"persistedQuery": {"version": 2, "sha256Hash": _sha256(text)}}})
    assert error_codes(unsupported.json()) == ["PERSISTED_QUERY_NOT_SUPPORTED"]


async def test_in_development_automatic_persisted_queries_learn_any_text(api, world):
    text = "query Mine { viewer { displayName } }"
    apq = {"persistedQuery": {"version": 1, "sha256Hash": _sha256(text)}}
    headers = {"authorization": f"Bearer {world['teacher_a'].token}"}
    assert error_codes((await api.client.post("/graphql", headers=headers, json={"extensions": apq})).json()) == [
        "PERSISTED_QUERY_NOT_FOUND"]
    await api.client.post("/graphql", headers=headers, json={"query": text, "extensions": apq})
    again = await api.client.post("/graphql", headers=headers, json={"extensions": apq})
    assert again.json() == {"data": {"viewer": {"displayName": "王老师"}}}


async def test_the_websocket_runs_trusted_documents_only_in_production(production):
    api, manifest, world = production
    client = await WsClient.connect(api.address, world["counsellor_a"].token)
    await client.subscribe("query Anything { viewer { id phoneMasked } }")
    refused = await client.receive()
    assert refused["type"] == "error" and refused["payload"][0]["extensions"]["code"] == "UNTRUSTED_DOCUMENT"
    await client.subscribe(_as_apollo_sends_it(VIEWER))
    answer = await client.receive()
    assert answer["type"] == "next" and answer["payload"]["data"]["viewer"]["__typename"] == "User"
    assert (await client.receive())["type"] == "complete"
    events_id = next(key for key, body in manifest.items() if body.startswith("subscription AlertEvents"))
    operation_id = "by-id"
    await client.connection.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": {
        "query": None, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": events_id}}}}))
    await client.nothing_within(0.5)  # subscribed, waiting for events (no error)
    await client.connection.close()
