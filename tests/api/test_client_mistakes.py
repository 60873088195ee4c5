"""A client's mistake is a client error: the right code, the request's language, and no values in the log."""

from __future__ import annotations

import logging

from tests.helpers import contract_operation, error_codes

PROPOSE = contract_operation("home-visits.graphql", "ProposeHomeVisit")
LOGIN = contract_operation("account.graphql", "Login")
DASHBOARD = contract_operation("screens.graphql", "ProgrammeDashboard")
NEAR = contract_operation("family-education.graphql", "StationsNear")


def _proposal(world, starts_at: str) -> dict:
    return {"input": {"studentId": world.gid(world.students["a"]), "purpose": "了解孩子在家学习情况",
                      "slots": [{"startsAt": starts_at, "endsAt": "2026-12-10T11:00:00+08:00"}]}}


async def test_a_time_without_an_offset_is_the_clients_mistake(api, world):
    body = await api.gql(PROPOSE, _proposal(world, "2026-12-10T10:00:00"), token=world["teacher_a"].token)
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.slots[0].startsAt"}
    assert error["message"] == "输入值无效（input.slots[0].startsAt），请检查后重试。"
    english = await api.gql(PROPOSE, _proposal(world, "2026-12-10"), token=world["teacher_a"].token,
                            headers={"accept-language": "en"})
    assert english["errors"][0]["message"].startswith("An input value is not valid (input.slots[0].startsAt)")


async def test_wrong_and_missing_variables_and_unknown_enum_values(api, world):
    token = world["city_admin"].token
    assert error_codes(await api.gql(DASHBOARD, {"year": "2026"}, token=token)) == ["BAD_USER_INPUT"]
    assert error_codes(await api.gql(DASHBOARD, {}, token=token)) == ["BAD_USER_INPUT"]
    assert error_codes(await api.gql(DASHBOARD, {"year": None}, token=token)) == ["BAD_USER_INPUT"]
    literal = await api.gql("query { wellbeingAlerts(first: 1, filter: {severity: [SEVERE]}) { totalCount } }",
                            token=token)
    assert error_codes(literal) == ["GRAPHQL_VALIDATION_FAILED"]
    variable = await api.gql("query Q($s: [AlertSeverity!]) { wellbeingAlerts(first: 1, filter: {severity: $s}) "
                             "{ totalCount } }", {"s": ["SEVERE"]}, token=token)
    assert error_codes(variable) == ["BAD_USER_INPUT"]


async def test_boundary_values_are_refused_or_answered_never_crash(api, world):
    token = world["city_admin"].token
    year_zero = await api.gql(DASHBOARD, {"year": 0}, token=token)
    assert year_zero["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "year"}
    assert (await api.data('{ node(id: "=======================") { id } }', token=token)) == {"node": None}
    anonymous = await api.data('query { verifyCourseCertificate(number: "JTJY\\u0000") { courseTitle } }')
    assert anonymous == {"verifyCourseCertificate": None}
    tiny = await api.gql(NEAR, {"latitude": 40.6, "longitude": 109.8, "radiusKm": 5e-324, "first": 5}, token=token)
    assert "INTERNAL_ERROR" not in error_codes(tiny)


async def test_a_refused_value_is_logged_at_info_without_the_value(api, world, caplog):
    with caplog.at_level(logging.INFO):
        body = await api.gql(LOGIN, {"phone": 13800000000, "password": "S3cret-Pass!"})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    refused = [r for r in caplog.records if r.getMessage() == "client input refused"]
    assert [r.levelname for r in refused] == ["INFO"]
    logged = " ".join(f"{r.getMessage()} {r.args} {vars(r)}" for r in caplog.records)
    assert "13800000000" not in logged and "S3cret" not in logged
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
