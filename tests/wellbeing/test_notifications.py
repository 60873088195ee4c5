"""The inbox, push devices and push delivery through the gateway."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tortoise import connections

from services.notifications.service import quiet_hours_release
from tests.conftest import RunningServer
from tests.helpers import Api, contract_operation, make_person, metric, user_error_codes
from tests.wellbeing.helpers import eventually, raise_alert, row_id

INBOX = contract_operation("notifications.graphql", "Inbox")
MARK_READ = contract_operation("notifications.graphql", "MarkNotificationsRead")
REGISTER = contract_operation("notifications.graphql", "RegisterPushDevice")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


async def test_the_inbox_pages_and_marks_read(api, world):
    for _ in range(3):
        await raise_alert(api, world, severity="LOW")
    token = world["counsellor_a"].token
    page = await api.data(INBOX, {"first": 2}, token=token)
    inbox = page["viewer"]
    assert inbox["unreadNotificationCount"] == 3
    assert inbox["notifications"]["totalCount"] == 3 and inbox["notifications"]["pageInfo"]["hasNextPage"] is True
    first_id = inbox["notifications"]["edges"][0]["node"]["id"]
    others = (await api.data(INBOX, {"first": 5}, token=world["parent_a"].token))["viewer"]
    marked = await api.data(MARK_READ, {"ids": [first_id]}, token=token)
    assert marked["markNotificationsRead"] == {"unreadCount": 2, "userErrors": []}
    unread = (await api.data(INBOX, {"first": 5, "unreadOnly": True}, token=token))["viewer"]["notifications"]
    assert unread["totalCount"] == 2 and first_id not in [e["node"]["id"] for e in unread["edges"]]
    # someone else's ids are not the viewer's to mark
    assert (await api.data(MARK_READ, {"ids": [first_id]}, token=world["parent_a"].token)
            )["markNotificationsRead"]["unreadCount"] == others["unreadNotificationCount"]
    everything = await api.data(MARK_READ, {"all": True}, token=token)
    assert everything["markNotificationsRead"]["unreadCount"] == 0
    nothing = await api.data(MARK_READ, {}, token=token)
    assert user_error_codes(nothing["markNotificationsRead"]) == [("INVALID_INPUT", "ids")]


async def test_notifications_speak_the_readers_language(api, world):
    await raise_alert(api, world)
    english = await api.data(INBOX, {"first": 1}, token=world["counsellor_a"].token,
                             headers={"accept-language": "en"})
    node = english["viewer"]["notifications"]["edges"][0]["node"]
    assert node["title"] == "Wellbeing alert"
    assert node["body"] == "昆都仑区第一小学: a high alert at school level needs acknowledging."


async def test_registering_a_token_again_is_harmless_and_a_token_moves_with_its_phone(api, world):
    token = world["counsellor_a"].token
    first = await api.data(REGISTER, {"platform": "ANDROID", "token": "push-token-1"}, token=token)
    again = await api.data(REGISTER, {"platform": "ANDROID", "token": "push-token-1"}, token=token)
    assert first["registerPushDevice"]["device"] == again["registerPushDevice"]["device"]
    moved = await api.data(REGISTER, {"platform": "HARMONY", "token": "push-token-1"}, token=world["teacher_a"].token)
    assert moved["registerPushDevice"]["device"]["id"] == first["registerPushDevice"]["device"]["id"]
    assert moved["registerPushDevice"]["device"]["platform"] == "HARMONY"
    mine = await api.data("query($id: ID!) { node(id: $id) { id } }",
                          {"id": first["registerPushDevice"]["device"]["id"]}, token=token)
    assert mine["node"] is None  # it is the teacher's phone now


@pytest.mark.parametrize(("local", "released"), [
    (dt.datetime(2026, 11, 28, 12, 0, tzinfo=SHANGHAI), dt.datetime(2026, 11, 28, 12, 0, tzinfo=SHANGHAI)),
    (dt.datetime(2026, 11, 28, 21, 59, tzinfo=SHANGHAI), dt.datetime(2026, 11, 28, 21, 59, tzinfo=SHANGHAI)),
    (dt.datetime(2026, 11, 28, 22, 0, tzinfo=SHANGHAI), dt.datetime(2026, 11, 29, 7, 0, tzinfo=SHANGHAI)),
    (dt.datetime(2026, 11, 28, 23, 30, tzinfo=SHANGHAI), dt.datetime(2026, 11, 29, 7, 0, tzinfo=SHANGHAI)),
    (dt.datetime(2026, 11, 29, 6, 59, tzinfo=SHANGHAI), dt.datetime(2026, 11, 29, 7, 0, tzinfo=SHANGHAI)),
    (dt.datetime(2026, 11, 29, 7, 0, tzinfo=SHANGHAI), dt.datetime(2026, 11, 29, 7, 0, tzinfo=SHANGHAI)),
])
def test_quiet_hours_hold_pushes_until_morning(local, released):
    assert quiet_hours_release(local.astimezone(dt.UTC)) == released.astimezone(dt.UTC)


class Gateway:
    """A push gateway that answers with the given statuses, in turn, and records what it got."""

    def __init__(self, statuses: list[int], *, answers_after: float = 0) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict, str]] = []

        async def push(request: Request) -> JSONResponse:
            await asyncio.sleep(answers_after)
            self.received.append((await request.json(), request.headers.get("idempotency-key", "")))
            status = self.statuses.pop(0) if self.statuses else 200
            return JSONResponse({}, status_code=status)

        self.server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/push", push, methods=["POST"])]),
                                                    host="127.0.0.1", port=0, log_config=None, lifespan="off"))

    async def __aenter__(self) -> str:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
            await asyncio.sleep(0.01)
        return f"http://127.0.0.1:{self.server.servers[0].sockets[0].getsockname()[1]}/push"

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        await self.task


async def test_alert_pushes_reach_the_gateway_with_retries_and_one_idempotency_key(settings):
    gateway = Gateway([503])  # the first attempt fails; the retry succeeds
    async with gateway as url:
        running = RunningServer(dataclasses.replace(settings, push_gateway_url=url))
        address = await running.start()
        try:
            from tests.helpers import build_world

            world = await build_world()
            async with httpx.AsyncClient(base_url=f"http://{address}") as client:
                api = Api(client, address)
                before = (await client.get("/metrics")).text
                await api.data(REGISTER, {"platform": "IOS", "token": "apns-token-xyz"},
                               token=world["counsellor_a"].token)
                await raise_alert(api, world)
                await eventually(lambda: _count(gateway, 2), within=10)

                async def delivered() -> bool:
                    now = (await client.get("/metrics")).text
                    return metric(now, "coedu_push_deliveries_total", result="delivered") > metric(
                        before, "coedu_push_deliveries_total", result="delivered")

                await eventually(delivered, within=5)
                after = (await client.get("/metrics")).text
        finally:
            await running.stop()
    for result in ("retried", "delivered"):  # the outcomes, as an on-call team sees them
        assert (metric(after, "coedu_push_deliveries_total", result=result)
                - metric(before, "coedu_push_deliveries_total", result=result)) == 1, result
    (first, first_key), (second, second_key) = gateway.received
    assert first == second and first_key == second_key == first["deliveryId"]
    assert first["token"] == "apns-token-xyz" and first["platform"] == "IOS" and first["urgent"] is True
    assert first["title"] == "心理健康预警" and "张小明" not in first["body"]


async def _count(gateway: Gateway, n: int) -> bool:
    return len(gateway.received) >= n


async def test_a_slow_push_gateway_never_delays_a_deadline(settings):
    from tests.wellbeing.helpers import make_due_in

    gateway = Gateway([], answers_after=3)  # every push takes 3 s
    async with gateway as url:
        running = RunningServer(dataclasses.replace(settings, push_gateway_url=url))
        address = await running.start()
        try:
            from tests.helpers import build_world

            world = await build_world()
            async with httpx.AsyncClient(base_url=f"http://{address}") as client:
                api = Api(client, address)
                for who in ("counsellor_a", "district_counsellor_a"):
                    for device in range(3):
                        await api.data(REGISTER, {"platform": "ANDROID", "token": f"{who}-{device}"},
                                       token=world[who].token)
                alert = await raise_alert(api, world, severity="CRITICAL")  # six urgent pushes, 18 s of gateway
                # The deadline falls due while the pushes, due first, are still being delivered.
                due = await make_due_in(alert["id"], 1)
                await eventually(lambda: _escalated(alert["id"]), within=10)
                lateness = await connections.get("default").execute_query_dict(
                    "SELECT max(at) - $2 AS late FROM wellbeing_alert_event WHERE alert_id = $1 AND kind = 'ESCALATED'",
                    [row_id(alert["id"]), due])
                assert lateness[0]["late"] < dt.timedelta(seconds=1)
                assert len(gateway.received) < 6  # the pushes were indeed still under way
        finally:
            await running.stop()


async def _escalated(alert_gid: str) -> bool:
    from tests.wellbeing.helpers import event_kinds

    return "ESCALATED" in await event_kinds(alert_gid)


async def test_without_a_gateway_pushes_are_skipped(api, world):
    person = await make_person("有手机的心理老师", ("COUNSELLOR", {"school_id": world.school_a.id}))
    await api.data(REGISTER, {"platform": "ANDROID", "token": "fcm-token"}, token=person.token)
    await raise_alert(api, world)
    from services.notifications.models import PushDelivery

    async def skipped() -> bool:
        return await PushDelivery.filter(status="skipped").count() == 1

    await eventually(skipped, within=5)


async def test_pushes_speak_the_language_of_the_app_that_registered_the_device(settings):
    gateway = Gateway([])
    async with gateway as url:
        running = RunningServer(dataclasses.replace(settings, push_gateway_url=url))
        address = await running.start()
        try:
            from tests.helpers import build_world

            world = await build_world()
            async with httpx.AsyncClient(base_url=f"http://{address}") as client:
                api = Api(client, address)
                await api.data(REGISTER, {"platform": "IOS", "token": "english-phone"},
                               token=world["counsellor_a"].token, headers={"accept-language": "en-GB,en;q=0.9"})
                await api.data(REGISTER, {"platform": "ANDROID", "token": "chinese-phone"},
                               token=world["counsellor_a"].token, headers={"accept-language": "en;q=0, zh-CN"})
                await raise_alert(api, world)
                await eventually(lambda: _count(gateway, 2), within=10)
        finally:
            await running.stop()
    titles = {payload["token"]: payload["title"] for payload, _ in gateway.received}
    assert titles == {"english-phone": "Wellbeing alert", "chinese-phone": "心理健康预警"}
