"""Notifications for every domain: the inbox, live delivery and push.

``notify`` runs inside the transaction of the change it reports: the inbox
rows, one push delivery per device (a scheduled job) and the live wake-up (an
outbox entry) commit with the change or not at all. Pushes leave afterwards,
from the scheduler, never inside a request's transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence

import httpx
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from services import access, db, outbox, paging, runtime, scheduler, telemetry
from services.access import Principal
from services.clock import PROGRAMME_ZONE
from services.enums import DevicePlatform, NotificationKind
from services.errors import Checks
from services.events import DEGRADED, RECONNECTED, Hub, Listener
from services.ids import new_id
from services.messages import Language, as_language, translate
from services.notifications.models import Notification, PushDelivery, PushDevice

log = logging.getLogger(__name__)

QUIET_FROM, QUIET_UNTIL = dt.time(22, 0), dt.time(7, 0)
PUSH_JOB = "push"
MAX_PUSH_ATTEMPTS = 8


def channel(user_id: uuid.UUID | str) -> str:
    """A user's channel; ``channel("")`` is the prefix the SQL of ``notify`` appends ids to."""
    return runtime.current().key("notifications", user_id)


def quiet_hours_release(now: dt.datetime) -> dt.datetime:
    """When a non-urgent push may leave: now, or 07:00 local after a night (22:00–07:00)."""
    local = now.astimezone(PROGRAMME_ZONE)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return now
    morning = local.date() + (dt.timedelta(days=1) if local.time() >= QUIET_FROM else dt.timedelta(0))
    return dt.datetime.combine(morning, QUIET_UNTIL, tzinfo=PROGRAMME_ZONE).astimezone(dt.UTC)


async def notify(
    user_ids: Iterable[uuid.UUID],
    *,
    kind: NotificationKind,
    title_key: str,
    body_key: str,
    params: dict[str, object] | None = None,
    subject: tuple[str, uuid.UUID] | None = None,
    urgent: bool = False,
    using: BaseDBAsyncClient,
) -> list[outbox.RedisOutbox]:
    """Put a notification in each person's inbox and queue its pushes; flush the returned entries
    after the commit to wake the live inboxes."""
    recipients = list(dict.fromkeys(user_ids))
    if not recipients:
        return []
    now = (await using.execute_query_dict("SELECT now() AS now"))[0]["now"]
    notifications = [
        Notification(user_id=user_id, kind=kind, title_key=title_key, body_key=body_key, params=params or {},
                     subject_type=subject[0] if subject else None, subject_id=subject[1] if subject else None,
                     is_urgent=urgent)
        for user_id in recipients
    ]
    await Notification.bulk_create(notifications, using_db=using)
    by_user = {n.user_id: n for n in notifications}
    devices = await PushDevice.filter(user_id__in=recipients).using_db(using)
    release = now if urgent else quiet_hours_release(now)
    for device in devices:
        delivery = await PushDelivery.create(notification_id=by_user[device.user_id].id,
                                             device_id=device.id, using_db=using)
        await scheduler.schedule(PUSH_JOB, delivery.id, at=release, using=using)
    return [await outbox.enqueue_publish(channel(n.user_id), str(n.id), using=using)
            for n in notifications]


# Thousands at once (a notice to a district's guardians): inbox rows, a push delivery per device with its
# scheduled job, and each inbox's wake-up, in one statement. The wake-ups are left to the outbox relay.
_NOTIFY_MANY = """
WITH made AS (
    INSERT INTO notification (id, user_id, kind, title_key, body_key, params, subject_type, subject_id, is_urgent,
                              created_at)
    SELECT gen_random_uuid(), u, $2, $3, $4, $5::jsonb, $6, $7, false, now() FROM unnest($1::uuid[]) AS u
    RETURNING id, user_id
), deliveries AS (
    INSERT INTO push_delivery (id, notification_id, device_id, attempts, status, created_at)
    SELECT gen_random_uuid(), m.id, d.id, 0, 'pending', now() FROM made m JOIN push_device d ON d.user_id = m.user_id
    RETURNING id
), jobs AS (
    INSERT INTO scheduled_job (kind, subject_id, due_at, attempts) SELECT $8, id, $9, 0 FROM deliveries
), wakeups AS (
    INSERT INTO redis_outbox (id, command, target, payload, created_at)
    SELECT gen_random_uuid(), 'publish', $10 || m.user_id::text, m.id::text, now() FROM made m
)
SELECT count(*) AS n FROM made
"""


async def notify_many(user_ids: Sequence[uuid.UUID], *, kind: NotificationKind, title_key: str, body_key: str,
                      params: dict[str, object] | None = None, subject: tuple[str, uuid.UUID] | None = None,
                      using: BaseDBAsyncClient) -> int:
    """``notify`` for a batch of thousands, in one statement; the relay rings the live inboxes once it
    commits. Not urgent: pushes wait out the quiet hours."""
    if not user_ids:
        return 0
    now = (await using.execute_query_dict("SELECT now() AS now"))[0]["now"]
    rows = await using.execute_query_dict(_NOTIFY_MANY, [
        list(dict.fromkeys(user_ids)), kind.value, title_key, body_key, json.dumps(params or {}, ensure_ascii=False),
        subject[0] if subject else None, subject[1] if subject else None, PUSH_JOB, quiet_hours_release(now),
        channel("")])
    return rows[0]["n"]


def render(notification: Notification, language: Language) -> tuple[str, str]:
    params = notification.params or {}
    return (translate(notification.title_key, language, params), translate(notification.body_key, language, params))


# --------------------------------------------------------------------------
# The inbox.


async def inbox(viewer: Principal, *, unread_only: bool, first: int, after: paging.Position | None
                ) -> paging.Page[Notification]:
    query = Notification.filter(access.own_rows(viewer))
    if unread_only:
        query = query.filter(read_at__isnull=True)
    return await paging.fetch(query, order=("-created_at", "-id"), first=first, after=after)


# Written out: the badge is on every home screen, and the query builder's count costs more to
# compile than the statement takes to run.
_UNREAD = "SELECT count(*) AS n FROM notification WHERE user_id = $1 AND read_at IS NULL"


async def unread_count(user_id: uuid.UUID) -> int:
    return (await db.read(_UNREAD, [user_id]))[1][0][0]


async def mark_read(viewer: Principal, *, ids: Sequence[uuid.UUID | None] | None, everything: bool) -> int:
    """Mark the viewer's notifications read (others' ids are ignored, as if missing); returns the unread count."""
    checks = Checks()
    if not everything and not ids:
        checks.invalid("ids", "required")
    if ids is not None and len(ids) > 100:
        checks.invalid("ids", "too_many_items", max=100)
    checks.raise_if_any()
    async with in_transaction() as tx:
        now = (await tx.execute_query_dict("SELECT now() AS now"))[0]["now"]
        mine = Notification.filter(access.own_rows(viewer), read_at__isnull=True).using_db(tx)
        if not everything:
            mine = mine.filter(id__in=[i for i in ids or () if i is not None])
        await mine.update(read_at=now)
    return await unread_count(viewer.user_id)


async def notifications_after(user_id: uuid.UUID, since: dt.datetime | None, ids: Sequence[uuid.UUID] = ()
                              ) -> list[Notification]:
    """New notifications of a user for the live inbox: by id (a wake-up) or created after ``since``."""
    query = Notification.filter(user_id=user_id)
    if ids:
        query = query.filter(id__in=list(ids))
    elif since is not None:
        query = query.filter(created_at__gt=since)
    else:
        return []
    return await query.order_by("created_at", "id")


#: While Redis cannot ring the doorbell, a live inbox looks at PostgreSQL this often.
DEGRADED_POLL_SECONDS = 5.0
#: Rows of one transaction share a timestamp: catching up reads back this far, skipping ids seen.
_CATCH_UP_MARGIN = dt.timedelta(seconds=5)


async def live(hub: Hub, user_id: uuid.UUID) -> AsyncIterator[Notification]:
    """A user's new notifications as they arrive. Wake-ups come through Redis; once Redis is known to
    deliver the inbox's channel (a wake-up published before went to no one), after a Redis outage,
    and every few seconds while Redis is unavailable, what arrived meanwhile is read back from
    PostgreSQL. The first read-back also hands out what arrived in the ``_CATCH_UP_MARGIN`` before
    the inbox started: what the app's own query of its inbox, just before, may not have seen yet
    (the app keys notifications by id)."""
    listener = hub.listen(channel(user_id))
    try:
        since = (await connections.get("default").execute_query_dict("SELECT now() AS now"))[0]["now"]
        #: Notifications handed out lately, not to repeat them when catching up; made with the first
        #: (most live inboxes stay idle for hours, and a thousand of them would hold 750 KB of empty deques).
        delivered: deque[uuid.UUID] | None = None
        loop = asyncio.get_running_loop()
        #: When the inbox next reads back unasked: at once if Redis delivers its channel already (another
        #: inbox of the user's here), else when the hub says it does (RECONNECTED) or, failing that,
        #: after a poll's wait; then only while wake-ups cannot be counted on (the hub says DEGRADED, or
        #: is not healthy). None while they can, and no timer runs.
        read_back_at: float | None = loop.time() + (0 if hub.delivers(listener.channel) else DEGRADED_POLL_SECONDS)
        while True:
            message = await _next_wake_up(listener, read_back_at)
            if message == DEGRADED:
                read_back_at = loop.time() + DEGRADED_POLL_SECONDS
                continue
            if message is None or message == RECONNECTED:  # time to read back, or Redis delivers again
                read_back_at = None if hub.delivers(listener.channel) else loop.time() + DEGRADED_POLL_SECONDS
                rows = await notifications_after(user_id, since - _CATCH_UP_MARGIN)
            else:
                rows = await notifications_after(user_id, None, [uuid.UUID(message)])
            for row in rows:
                if delivered is None:
                    delivered = deque(maxlen=500)
                elif row.id in delivered:
                    continue
                delivered.append(row.id)
                since = max(since, row.created_at)
                yield row
    finally:
        listener.close()


async def _next_wake_up(listener: Listener, read_back_at: float | None) -> str | None:
    """The listener's next message; None when ``read_back_at`` (the loop's clock) came first."""
    if read_back_at is None:
        return await listener.get()
    try:
        async with asyncio.timeout_at(read_back_at):
            return await listener.get()
    except TimeoutError:
        return None


async def notification_of(viewer: Principal, notification_id: uuid.UUID) -> Notification | None:
    """One of the viewer's notifications (anyone else's is not found)."""
    return await Notification.filter(access.own_rows(viewer), id=notification_id).first()


async def device_of(viewer: Principal, device_id: uuid.UUID) -> PushDevice | None:
    """One of the viewer's push devices."""
    return await PushDevice.filter(access.own_rows(viewer), id=device_id).first()


# --------------------------------------------------------------------------
# Push.


async def register_device(viewer: Principal, platform: DevicePlatform, token: str, language: Language = "zh"
                          ) -> PushDevice:
    """Register (or re-register) a push token for the viewer, with the language of the app that
    registers it (pushes are written in it); a token moves to whoever registers it."""
    checks = Checks()
    clean = checks.text("token", token, max_length=512)
    checks.raise_if_any()
    assert clean is not None
    crypto = runtime.current().crypto
    digest = crypto.blind_index.digest("push-token", clean)
    async with in_transaction() as tx:
        await tx.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))", [digest])
        device = await PushDevice.get_or_none(token_digest=digest, using_db=tx)
        if device is None:
            device_id = new_id()
            sealed = crypto.sealer.seal(clean, table="push_device", column="token", row=device_id)
            return await PushDevice.create(id=device_id, user_id=viewer.user_id, platform=platform,
                                           token_digest=digest, token_sealed=sealed, language=language, using_db=tx)
        if (device.user_id != viewer.user_id or device.platform != platform
                or device.language != language):
            await PushDevice.filter(id=device.id).using_db(tx).update(user_id=viewer.user_id, platform=platform,
                                                                      language=language)
            await device.refresh_from_db(using_db=tx)
        return device


class PushRejected(Exception):
    """The gateway refused the push for good (4xx): retrying will not help."""


@scheduler.handler(PUSH_JOB)
async def deliver_push(job: scheduler.Job, tx: BaseDBAsyncClient) -> None:
    delivery = await PushDelivery.get_or_none(id=job.subject_id, using_db=tx).select_related("notification", "device")
    if delivery is None or delivery.status != "pending":
        return
    rt = runtime.current()
    if rt.push_gateway_url is None:
        await PushDelivery.filter(id=delivery.id).using_db(tx).update(status="skipped")
        telemetry.pushes.add("skipped")
        return
    device, notification = delivery.device, delivery.notification
    title, body = render(notification, as_language(device.language))
    token = rt.crypto.sealer.open(device.token_sealed, table="push_device", column="token", row=device.id)
    payload = {
        "deliveryId": str(delivery.id),
        "platform": device.platform,
        "token": token,
        "title": title,
        "body": body,
        "data": {"kind": notification.kind, "notificationId": str(notification.id)},
        "urgent": notification.is_urgent,
    }
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            # The delivery id is the idempotency key: a retry after a lost answer is not sent twice.
            response = await client.post(rt.push_gateway_url, json=payload,
                                         headers={"Idempotency-Key": str(delivery.id)})
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            raise PushRejected(str(response.status_code))
        response.raise_for_status()
    except PushRejected:
        await PushDelivery.filter(id=delivery.id).using_db(tx).update(status="failed", attempts=job.attempts + 1)
        telemetry.pushes.add("rejected")
        return
    except httpx.HTTPError:
        if job.attempts + 1 >= MAX_PUSH_ATTEMPTS:
            await PushDelivery.filter(id=delivery.id).using_db(tx).update(status="failed", attempts=job.attempts + 1)
            telemetry.pushes.add("gave_up")
            return
        telemetry.pushes.add("retried")
        raise  # the scheduler retries with backoff
    await PushDelivery.filter(id=delivery.id).using_db(tx).update(
        status="delivered", attempts=job.attempts + 1,
        delivered_at=(await tx.execute_query_dict("SELECT now() AS now"))[0]["now"],
    )
    telemetry.pushes.add("delivered")
