"""The HTTP transport refuses what it must (OWASP GraphQL cheat sheet)."""

from __future__ import annotations

import dataclasses

import pytest

from tests.conftest import RunningServer
from tests.helpers import CLIENTS, Api, contract_operation, error_codes

VIEWER = "query Viewer { viewer { id } }"


async def test_queries_run_by_post_or_get_and_mutations_only_by_post(api, world):
    get = await api.client.get("/graphql", params={"query": "{ privacyNotice { version } }"})
    assert get.status_code == 200 and get.json()["data"]["privacyNotice"]["version"]
    mutation = "mutation { refreshSession(input: {refreshToken: \"x\"}) { userErrors { code } } }"
    refused = await api.client.get("/graphql", params={"query": mutation})
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
    assert (await api.client.put("/graphql", json={"query": "{ __typename }"})).status_code == 405
    form = await api.client.post("/graphql", data={"query": "{ privacyNotice { version } }"})
    assert form.status_code == 415
    multipart = await api.client.post("/graphql", files={"operations": ("o.json", b"{}")})
    assert multipart.status_code == 415
    text = await api.client.post("/graphql", content=b'{"query":"{ privacyNotice { version } }"}',
                                 headers={"content-type": "text/plain"})
    assert text.status_code == 415


async def test_get_takes_variables_and_extensions_as_json(api, world):
    query = ("query Near($km: Float!) { serviceStationsNear(latitude: 40.6, longitude: 109.8, radiusKm: $km, "
             "first: 5) { __typename } }")
    ok = await api.client.get("/graphql", params={"query": query, "variables": '{"km": 5}'})
    assert ok.status_code == 200 and error_codes(ok.json()) == ["UNAUTHENTICATED"]  # the variables were taken
    bad = await api.client.get("/graphql", params={"query": query, "variables": "{nope"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_responses_follow_the_media_type_the_client_accepts(api, world):
    accept = {"accept": "application/graphql-response+json, application/json;q=0.9"}
    ok = await api.client.post("/graphql", json={"query": "{ privacyNotice { version } }"}, headers=accept)
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("application/graphql-response+json")
    invalid = await api.client.post("/graphql", json={"query": "{ nothing }"}, headers=accept)
    assert invalid.status_code == 400 and "data" not in invalid.json()  # a request error: no execution
    legacy = await api.client.post("/graphql", json={"query": "{ nothing }"})
    assert legacy.status_code == 200 and legacy.headers["content-type"].startswith("application/json")
    assert "data" not in legacy.json() and legacy.json()["errors"][0]["extensions"]["code"] == \
        "GRAPHQL_VALIDATION_FAILED"


async def test_the_operation_name_must_name_an_operation(api, world):
    two = "query A { privacyNotice { version } } query B { __typename }"
    unnamed = await api.client.post("/graphql", json={"query": two})
    assert unnamed.status_code == 400 and unnamed.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    unknown = await api.client.post("/graphql", json={"query": two, "operationName": "C"})
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    chosen = await api.client.post("/graphql", json={"query": two, "operationName": "B"})
    assert chosen.json() == {"data": {"__typename": "Query"}}
    empty = await api.client.post("/graphql", json={"query": "{ __typename }", "operationName": ""})
    assert empty.json() == {"data": {"__typename": "Query"}}


async def test_graphiql_answers_a_browser_in_development(api, world):
    page = await api.client.get("/graphql", headers={"accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


async def test_batched_requests_are_refused(api, world):
    response = await api.client.post("/graphql", json=[{"query": "{ privacyNotice { version } }"}] * 2)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BATCH_NOT_SUPPORTED"


async def test_large_bodies_are_refused(api, world):
    response = await api.client.post("/graphql", json={"query": "{ privacyNotice { version } }", "variables": {
        "padding": "x" * 70_000}})
    assert response.status_code == 413


async def test_malformed_bodies_are_refused(api, world):
    assert (await api.client.post("/graphql", content=b"{nope", headers={"content-type": "application/json"})
            ).status_code == 400
    assert (await api.client.post("/graphql", json={"query": 5})).status_code == 400
    assert (await api.client.post("/graphql", json={"variables": {}})).status_code == 400


async def test_subscriptions_are_not_served_over_http(api, world):
    response = await api.client.post("/graphql", json={"query": "subscription { x }"})
    assert response.status_code in (200, 400)
    assert response.json()["errors"]


async def test_deep_queries_are_refused(api, world):
    deep = "query { viewer { classes { students(first: 1) { nodes { schoolClass { students(first: 1) { nodes { " \
           "schoolClass { homeroomTeacher { roles { school { district { id } } } } } } } } } } } } }"
    body = await api.gql(deep, token=world["teacher_a"].token)
    assert body.get("data") is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_too_many_aliases_are_refused(api, world):
    query = "query { " + " ".join(f"a{i}: privacyNotice {{ version }}" for i in range(20)) + " }"
    body = await api.gql(query)
    assert "aliases found" in body["errors"][0]["message"]


async def test_too_many_tokens_are_refused(api, world):
    query = "query { " + " ".join("privacyNotice { version }" for _ in range(400)) + " }"
    body = await api.gql(query)
    assert body.get("data") is None and body["errors"]


async def test_costly_queries_are_refused(api, world):
    query = """query { a: schools(first: 100) { nodes { id } }
      viewer { classes { students(first: 100) { nodes { guardians { guardian { roles { school { id } } } }
        homeVisits(first: 100) { nodes { companions { roles { school { id } } } } } } } } } }"""
    body = await api.gql(query, token=world["teacher_a"].token)
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]


async def test_at_most_five_errors_come_back(api, world):
    query = "query { " + " ".join(f"n{i}: nothing{i}" for i in range(10)) + " }"
    body = await api.gql(query)
    assert len(body["errors"]) == 5


async def test_in_development_field_suggestions_and_introspection_help(api, world):
    body = await api.gql("query { privacyNotic { version } }")
    assert "Did you mean" in body["errors"][0]["message"]
    introspection = await api.gql("query { __schema { queryType { name } } }")
    assert introspection["data"]["__schema"]["queryType"]["name"] == "Query"


@pytest.fixture
async def production_api(settings):
    production = dataclasses.replace(settings, environment="production",
                                     trusted_documents=(CLIENTS / "operations",))
    running = RunningServer(production)
    address = await running.start()
    import httpx

    async with httpx.AsyncClient(base_url=f"http://{address}") as client:
        yield Api(client, address)
    await running.stop()


async def test_production_runs_only_trusted_documents(production_api):
    api = production_api
    trusted = contract_operation("organisation.graphql", "Districts")
    body = await api.gql(trusted)
    assert error_codes(body) == ["UNAUTHENTICATED"]  # trusted, so it ran (and needs a token)
    reformatted = "  query   Districts {districts{id name code}}"
    assert error_codes(await api.gql(reformatted)) == ["UNAUTHENTICATED"]
    untrusted = await api.post("query { districts { id } }")
    assert untrusted.status_code == 400
    assert untrusted.json()["errors"][0]["extensions"]["code"] == "UNTRUSTED_DOCUMENT"
    introspection = await api.post("query { __schema { types { name } } }")
    assert introspection.status_code == 400


async def test_production_accepts_a_persisted_query_hash(production_api):
    import hashlib

    text = contract_operation("account.graphql", "Viewer")
    digest = hashlib.sha256(text.encode()).hexdigest()
    response = await production_api.client.post("/graphql", json={
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}})
    assert response.status_code == 200
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]
    unknown = await production_api.client.post("/graphql", json={
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}})
    assert unknown.status_code == 200  # as Apollo's clients expect, so that they send the text
    assert error_codes(unknown.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_production_masks_suggestions(production_api, settings):
    from api.documents import DocumentRegistry

    assert len(DocumentRegistry.load([CLIENTS / "operations"])) > 50
    body = await production_api.post("query { privacyNotic { version } }")
    assert body.status_code == 400  # not even validated: untrusted


async def test_every_response_carries_a_request_id(api, world):
    response = await api.post("{ privacyNotice { version } }", headers={"x-request-id": "abc-12345-xyz"})
    assert response.headers["x-request-id"] == "abc-12345-xyz"
    generated = await api.post("{ privacyNotice { version } }")
    assert len(generated.headers["x-request-id"]) == 16


async def test_an_allowed_origin_may_call_the_api_from_a_browser(settings):
    console = "https://console.example.edu.cn"
    running = RunningServer(dataclasses.replace(settings, allowed_origins=(console,)))
    address = await running.start()
    try:
        import httpx

        async with httpx.AsyncClient(base_url=f"http://{address}") as client:
            preflight = await client.options("/graphql", headers={
                "origin": console, "access-control-request-method": "POST",
                "access-control-request-headers": "authorization, content-type, idempotency-key"})
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == console
            assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
            answer = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"origin": console})
            assert answer.headers["access-control-allow-origin"] == console
            assert "x-request-id" in answer.headers["access-control-expose-headers"].lower()
            stranger = await client.post("/graphql", json={"query": "{ __typename }"},
                                         headers={"origin": "https://evil.example"})
            assert "access-control-allow-origin" not in stranger.headers
    finally:
        await running.stop()


async def test_without_allowed_origins_no_browser_elsewhere_is_let_in(api, world):
    answer = await api.client.post("/graphql", json={"query": "{ __typename }"},
                                   headers={"origin": "https://console.example.edu.cn"})
    assert "access-control-allow-origin" not in answer.headers


async def test_english_is_chosen_only_when_it_is_wanted(api, world):
    unwanted = await api.gql(DASHBOARD_YEAR_ZERO, headers={"accept-language": "en;q=0, zh-CN"},
                             token=world["city_admin"].token)
    wanted = await api.gql(DASHBOARD_YEAR_ZERO, headers={"accept-language": "en-US"}, token=world["city_admin"].token)
    assert unwanted["errors"][0]["message"].startswith("取值应在")
    assert wanted["errors"][0]["message"].startswith("Must be between")
    # a header of many tags (longer than the few the handler remembers) is read all the same, each time
    many = ", ".join(f"x-{number};q=0.{number % 9 + 1}" for number in range(60)) + ", en;q=1"
    for _ in range(2):
        long = await api.gql(DASHBOARD_YEAR_ZERO, headers={"accept-language": many}, token=world["city_admin"].token)
        assert long["errors"][0]["message"].startswith("Must be between")


DASHBOARD_YEAR_ZERO = "query { programmeDashboard(year: 0) { pilotSchools { actual } } }"
