"""The live feed never skips an event: one that fails to render is tried again, and if it still
fails the connection closes with a code graphql-ws reconnects on, and a resume replays it."""

from __future__ import annotations

import pytest

from services.enums import AlertCategory, AlertSeverity, AlertSource
from services.identity import principals
from services.wellbeing import alerts, queries
from tests.helpers import contract_operation
from tests.ws import WsClient

EVENTS = contract_operation("wellbeing.graphql", "AlertEvents")


async def _raise(world, summary: str):
    teacher = await principals.of_user(world["teacher_a"].user.id)
    return await alerts.raise_alert(teacher, student_id=world.students["a"].id, severity=AlertSeverity.HIGH,
                                    category=AlertCategory.OTHER, source=AlertSource.TEACHER_OBSERVATION,
                                    summary=summary, details=None)


def _failing(monkeypatch, times: int | None) -> list[int]:
    """queries.summary fails ``times`` times (None: until the test ends), as a lost connection would."""
    real, calls = queries.summary, []

    def flaky(alert):
        calls.append(1)
        if times is None or len(calls) <= times:
            raise ConnectionResetError("connection reset while rendering")
        return real(alert)

    monkeypatch.setattr(queries, "summary", flaky)
    return calls


async def test_an_event_that_fails_to_render_is_tried_again(api, world, monkeypatch):
    ws = await WsClient.connect(api.address, world["counsellor_a"].token)
    await ws.subscribe(EVENTS)
    calls = _failing(monkeypatch, times=2)
    await _raise(world, "第一次渲染失败")
    event = (await ws.next_data(5))["wellbeingAlertEvents"]
    assert (event["kind"], event["alert"]["summary"]) == ("RAISED", "第一次渲染失败")
    assert len(calls) == 3
    await ws.close()


async def test_an_event_that_cannot_be_rendered_closes_the_socket_and_a_resume_replays_it(api, world, monkeypatch):
    ws = await WsClient.connect(api.address, world["counsellor_a"].token)
    await ws.subscribe(EVENTS)
    await _raise(world, "先到的预警")
    seen = (await ws.next_data(5))["wellbeingAlertEvents"]
    failing = pytest.MonkeyPatch()
    _failing(failing, times=None)
    await _raise(world, "渲染不出的预警")
    assert await ws.closed(within=5) == 1013  # Try Again Later: graphql-ws reconnects
    failing.undo()
    resumed = await WsClient.connect(api.address, world["counsellor_a"].token)
    await resumed.subscribe(EVENTS, {"after": seen["cursor"]})
    event = (await resumed.next_data(5))["wellbeingAlertEvents"]
    assert (event["kind"], event["alert"]["summary"]) == ("RAISED", "渲染不出的预警")
    await resumed.nothing_within(0.5)
    await resumed.close()
