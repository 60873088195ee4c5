"""The live counsellor feed and the live inbox, over graphql-transport-ws."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import uuid

import httpx
import jwt
import pytest
from tortoise import connections
from websockets.exceptions import ConnectionClosed

from api.embedded import EmbeddedRedis
from tests.helpers import Api, contract_operation, hold_subscribe, make_person
from tests.wellbeing.helpers import ACKNOWLEDGE, raise_alert
from tests.ws import WsClient

EVENTS = contract_operation("wellbeing.graphql", "AlertEvents")
NOTIFICATIONS = contract_operation("notifications.graphql", "NotificationReceived")
NOTE = contract_operation("wellbeing.graphql", "AddAlertNote")
LOGOUT = contract_operation("account.graphql", "Logout")


async def test_a_counsellor_receives_events_on_alerts_they_may_see_and_no_others(api, world):
    mine = await WsClient.connect(api.address, world["counsellor_a"].token)
    other_school = await WsClient.connect(api.address, world["counsellor_b"].token)
    await mine.subscribe(EVENTS)
    await other_school.subscribe(EVENTS)
    await asyncio.sleep(0.2)
    alert = await raise_alert(api, world)
    received = [await mine.next_data()]
    assert [e["wellbeingAlertEvents"]["kind"] for e in received] == ["RAISED"]
    card = received[0]["wellbeingAlertEvents"]["alert"]
    assert card["id"] == alert["id"] and card["student"]["displayName"] == "张小明"
    assert card["student"]["school"]["district"]["name"] == "昆都仑区"
    await other_school.nothing_within(0.5)
    await api.data(ACKNOWLEDGE, {"alertId": alert["id"]}, token=world["counsellor_a"].token)
    acknowledged = await mine.next_data()
    assert acknowledged["wellbeingAlertEvents"]["kind"] == "ACKNOWLEDGED"
    assert acknowledged["wellbeingAlertEvents"]["alert"]["status"] == "ACKNOWLEDGED"
    await mine.close()
    await other_school.close()


async def test_after_replays_what_was_missed_in_order_then_continues_live(api, world):
    client = await WsClient.connect(api.address, world["counsellor_a"].token)
    await client.subscribe(EVENTS)
    await asyncio.sleep(0.2)
    alert = await raise_alert(api, world)
    seen = [await client.next_data()]
    cursor = seen[-1]["wellbeingAlertEvents"]["cursor"]
    await client.close()
    # while the app is away: three notes
    for body in ("第一次谈话", "第二次谈话", "第三次谈话"):
        await api.data(NOTE, {"alertId": alert["id"], "body": body}, token=world["counsellor_a"].token)
    back = await WsClient.connect(api.address, world["counsellor_a"].token)
    await back.subscribe(EVENTS, {"after": cursor})
    replayed = [await back.next_data() for _ in range(3)]
    assert [e["wellbeingAlertEvents"]["kind"] for e in replayed] == ["NOTE_ADDED"] * 3
    cursors = [cursor] + [e["wellbeingAlertEvents"]["cursor"] for e in replayed]
    assert len(set(cursors)) == 4
    # then live, with nothing repeated at the seam
    await api.data(ACKNOWLEDGE, {"alertId": alert["id"]}, token=world["counsellor_a"].token)
    live = await back.next_data()
    assert live["wellbeingAlertEvents"]["kind"] == "ACKNOWLEDGED"
    await back.nothing_within(0.5)
    await back.close()


async def test_events_cross_processes_through_redis(api, world, server_processes):
    (other,) = await server_processes("other")
    client = await WsClient.connect(other.address, world["counsellor_a"].token)
    await client.subscribe(EVENTS)
    await asyncio.sleep(0.3)
    alert = await raise_alert(api, world)  # raised on this process, delivered by the other
    event = await client.next_data()
    assert event["wellbeingAlertEvents"]["alert"]["id"] == alert["id"]
    await client.close()


async def test_a_subscription_ends_when_its_session_is_revoked(api, world):
    client = await WsClient.connect(api.address, world["counsellor_a"].token)
    await client.subscribe(EVENTS)
    await asyncio.sleep(0.2)
    await api.data(LOGOUT, {"refreshToken": world["counsellor_a"].refresh_token, "allDevices": True})
    assert await client.closed(within=3) == 4403


async def test_a_subscription_outlives_its_access_token_while_the_session_holds(api, world, keys, monkeypatch):
    from api import graphql_ws

    monkeypatch.setattr(graphql_ws, "ACCESS_RECHECK_SECONDS", 0.5)  # the session is checked twice a second
    token = world["counsellor_a"].token
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["exp"] = int(dt.datetime.now(dt.UTC).timestamp()) - 8  # expired, but within the 10 s clock leeway
    kid = jwt.get_unverified_header(token)["kid"]
    short = jwt.encode(claims, keys.signing_key, algorithm="EdDSA", headers={"kid": kid})
    client = await WsClient.connect(api.address, short)
    await client.subscribe(EVENTS)
    await asyncio.sleep(3)  # past the token's expiry and leeway, and several session checks later
    alert = await raise_alert(api, world)
    event = (await client.next_data())["wellbeingAlertEvents"]
    assert (event["kind"], event["alert"]["id"]) == ("RAISED", alert["id"])
    # ... but a new connection with the expired token is refused, and signing out closes this one
    with pytest.raises(ConnectionClosed) as refused:
        await WsClient.connect(api.address, short)
    assert refused.value.rcvd.code == 4403
    await api.data(LOGOUT, {"refreshToken": world["counsellor_a"].refresh_token, "allDevices": True})
    assert await client.closed(within=3) == 4403


async def test_other_users_access_changes_do_not_put_off_the_session_check(api, world, monkeypatch):
    """Every user's access change reaches every connection: a busy channel must not keep a connection
    from re-checking its own session, the safety net for a message that was lost."""
    from api import graphql_ws
    from services import runtime
    from services.identity import principals
    from services.identity.tokens import verify_access_token

    monkeypatch.setattr(graphql_ws, "ACCESS_RECHECK_SECONDS", 1.0)
    person = await make_person("会话将结束的家长")
    client = await WsClient.connect(api.address, person.token)
    await client.subscribe(NOTIFICATIONS)
    await asyncio.sleep(0.2)
    claims = verify_access_token(person.token)
    assert claims is not None
    # The session ends and its message is lost: only the periodic check can notice.
    await connections.get("default").execute_query(
        "UPDATE auth_session SET revoked_at = now() WHERE id = $1", [claims.session_id])
    rt = runtime.current()
    await rt.redis.delete(rt.key("principal", claims.session_id))

    async def others_changing() -> None:
        while True:
            await rt.redis.publish(principals.access_channel(), str(uuid.uuid4()))
            await asyncio.sleep(0.1)

    chatter = asyncio.create_task(others_changing())
    try:
        assert await client.closed(within=4) == 4403
    finally:
        chatter.cancel()


async def test_a_connection_carries_at_most_ten_subscriptions(api, world):
    client = await WsClient.connect(api.address, world["counsellor_a"].token)
    for _ in range(10):
        await client.subscribe(EVENTS)
    eleventh = await client.subscribe(EVENTS)
    refused = await client.receive()
    assert refused == {"id": eleventh, "type": "error", "payload": [{"message": "Subscription limit reached"}]}
    await asyncio.sleep(0.2)
    await raise_alert(api, world)
    deliveries = [await client.next_data() for _ in range(10)]  # RAISED on each of the ten
    assert {d["wellbeingAlertEvents"]["kind"] for d in deliveries} == {"RAISED"}
    await client.close()


async def test_only_counsellors_subscribe_to_the_feed(api, world):
    client = await WsClient.connect(api.address, world["teacher_a"].token)
    await client.subscribe(EVENTS)
    message = await client.receive()
    assert message["type"] in ("error", "next")
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    await client.close()


async def test_the_live_inbox_delivers_new_notifications(api, world):
    client = await WsClient.connect(api.address, world["counsellor_a"].token)
    await client.subscribe(NOTIFICATIONS)
    await asyncio.sleep(0.2)
    alert = await raise_alert(api, world)
    received = (await client.next_data())["notificationReceived"]
    assert received["kind"] == "ALERT" and received["subject"]["id"] == alert["id"]
    assert received["title"] == "心理健康预警"
    await client.close()


@pytest.mark.private_redis
async def test_without_redis_alerts_work_and_subscribers_catch_up_after(api, world, private_redis, tmp_path):
    client = await WsClient.connect(api.address, world["counsellor_a"].token)
    await client.subscribe(EVENTS)
    await asyncio.sleep(0.2)
    # Redis really stops
    socket_path = private_redis.socket_path
    private_redis.stop()
    alert = await raise_alert(api, world)
    acknowledged = await api.data(ACKNOWLEDGE, {"alertId": alert["id"]}, token=world["counsellor_a"].token)
    assert acknowledged["acknowledgeWellbeingAlert"]["alert"]["status"] == "ACKNOWLEDGED"
    # and comes back on the same socket: the subscriber gets everything, in order
    restarted = EmbeddedRedis(tmp_path / "private-redis")
    assert restarted.socket_path == socket_path
    try:
        kinds = [(await client.next_data(within=15))["wellbeingAlertEvents"]["kind"] for _ in range(2)]
        assert kinds == ["RAISED", "ACKNOWLEDGED"]
    finally:
        restarted.stop()
        await client.close()


@pytest.mark.private_redis
async def test_the_live_inbox_reads_postgresql_while_redis_is_stopped(api, world, private_redis):
    """No wake-up can come: an inbox open before the outage (told by the hub) and one opened during
    it (the hub is not healthy) look at PostgreSQL every few seconds."""
    from services.notifications.service import DEGRADED_POLL_SECONDS

    before = await WsClient.connect(api.address, world["counsellor_a"].token)
    await before.subscribe(NOTIFICATIONS)
    await asyncio.sleep(0.2)
    private_redis.stop()
    await asyncio.sleep(1)  # the hub has lost its subscription
    during = await WsClient.connect(api.address, world["counsellor_a"].token)
    await during.subscribe(NOTIFICATIONS)
    await asyncio.sleep(0.2)
    alert = await raise_alert(api, world)
    try:
        for client in (before, during):
            received = (await client.next_data(within=DEGRADED_POLL_SECONDS + 3))["notificationReceived"]
            assert received["kind"] == "ALERT" and received["subject"]["id"] == alert["id"]
    finally:
        await before.close()
        await during.close()


async def test_a_new_inbox_catches_up_once_redis_has_its_channel_however_late(server, settings):
    """A wake-up published before Redis has a new inbox's channel goes to no one: the inbox reads
    back when the hub's subscription is known to deliver the channel, not after a guessed delay."""
    from services import redis_breaker
    from services.enums import NotificationKind
    from services.events import Hub
    from services.notifications import service
    from services.notifications.models import Notification

    person = await make_person("刚打开应用的家长")
    inbox_channel = service.channel(person.user.id)
    redis = redis_breaker.connect(settings.redis_url)
    asked, release, stopping = asyncio.Event(), asyncio.Event(), asyncio.Event()
    hold_subscribe(redis, inbox_channel, asked, release)
    hub = Hub(redis)
    hub_loop = asyncio.create_task(hub.run(lambda: None, stopping))
    await asyncio.wait_for(hub.connected.wait(), 5)  # subscribed to what the process listened to before
    inbox = service.live(hub, person.user.id)
    first = asyncio.ensure_future(anext(inbox))
    try:
        await asyncio.wait_for(asked.wait(), 5)
        await asyncio.sleep(1.5)  # the channel is still not subscribed (the hub's loop is held in SUBSCRIBE)
        made = await Notification.create(user_id=person.user.id, kind=NotificationKind.SYSTEM,
                                         title_key="session_reminder_title", body_key="session_reminder_body")
        assert await redis.publish(inbox_channel, str(made.id)) == 0  # the wake-up reaches no one
        assert not first.done()
        release.set()
        received = await asyncio.wait_for(first, 2)  # well before a poll's wait (DEGRADED_POLL_SECONDS)
        assert received.id == made.id
    finally:
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await first
        await inbox.aclose()
        release.set()
        stopping.set()
        await hub_loop
        await redis.aclose()


async def test_an_inbox_that_never_started_leaves_no_listener_behind(server):
    """Cancelled while it asks PostgreSQL the time (the client gone, a request deadline), the inbox
    still closes its listener: else its channel stayed subscribed and its buffer filled for good."""
    from services.events import Hub
    from services.notifications import service

    hub = Hub(redis=None)  # type: ignore[arg-type]  # its loop does not run: only its listeners count
    person = await make_person("刚打开就关掉的家长")
    inbox = service.live(hub, person.user.id)
    first = asyncio.ensure_future(anext(inbox))
    await asyncio.sleep(0)  # the inbox listens and waits for PostgreSQL
    assert hub._listeners
    first.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await first
    assert not hub._listeners


async def test_a_stranger_cannot_open_the_feed_without_signing_in(api, world):
    import websockets

    connection = await websockets.connect(f"ws://{api.address}/graphql", subprotocols=["graphql-transport-ws"])
    await connection.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}}))
    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        await asyncio.wait_for(connection.recv(), 5)
    assert closed.value.rcvd.code == 4401  # subscribe before connection_init: unauthorized


async def test_a_second_process_also_serves_http(api, world, server_processes):
    (other,) = await server_processes("http")
    async with httpx.AsyncClient(base_url=f"http://{other.address}") as client:
        remote = Api(client, other.address)
        person = await make_person("另一进程")
        body = await remote.data("{ viewer { displayName } }", token=person.token)
    assert body["viewer"]["displayName"] == "另一进程"
