"""The live counsellor feed, fanned out inside each process.

One Redis subscription per process (services.events.Hub) wakes the feed;
the feed reads the new events from PostgreSQL once, with what visibility
needs, and hands them to every local subscriber, which checks each event
against its own principal. Redis is only the doorbell: if it is down, or a
wake-up is lost, the feed catches up from the database (on reconnection,
every few seconds, and every half second while Redis is unavailable), so no
event is skipped and none is delivered twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from tortoise import connections

from services import access
from services.access import AlertFacts, AlertTier, Principal
from services.events import RECONNECTED, Hub, Listener
from services.loops import Beat, first_of
from services.organisation.models import District, School, Student
from services.wellbeing import events
from services.wellbeing.models import AlertEvent, WellbeingAlert

BATCH = 500
#: Even with no wake-up at all, the feed looks at the database this often ...
SAFETY_POLL_SECONDS = 5.0
#: ... and this often while Redis is unavailable, so that events still arrive within a second.
DEGRADED_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class FeedEvent:
    """An event with the rows its subscribers need, read once for all of them."""

    event: AlertEvent
    alert: WellbeingAlert
    student: Student
    school: School
    district: District
    #: Filled by the API: the event rendered once per audience (see schema.common.shared_render).
    renders: dict = field(default_factory=dict, compare=False)

    @property
    def cursor(self) -> int:
        return self.event.id


async def events_after(cursor: int, limit: int = BATCH) -> list[FeedEvent]:
    """The next events with their alerts, students, schools and districts: four statements a batch."""
    rows = await AlertEvent.filter(id__gt=cursor).order_by("id").limit(limit).select_related("alert")
    if not rows:
        return []
    students = {s.id: s for s in await Student.filter(id__in={r.alert.student_id for r in rows})}
    schools = {s.id: s for s in await School.filter(id__in={s.school_id for s in students.values()})}
    districts = {d.id: d for d in await District.filter(id__in={s.district_id for s in schools.values()})}
    batch = []
    for row in rows:
        student = students[row.alert.student_id]
        school = schools[student.school_id]
        batch.append(FeedEvent(row, row.alert, student, school, districts[school.district_id]))
    return batch


async def head() -> int:
    rows = await connections.get("default").execute_query_dict(
        "SELECT coalesce(max(id), 0) AS head FROM wellbeing_alert_event")
    return rows[0]["head"]


class Subscription:
    def __init__(self, feed: AlertFeed) -> None:
        self._feed = feed
        self.queue: asyncio.Queue[list[FeedEvent] | str] = asyncio.Queue(maxsize=1000)

    def offer(self, item: list[FeedEvent] | str) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            # Too slow to keep up: drop the backlog and let it catch up from the database.
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RECONNECTED)

    def close(self) -> None:
        self._feed.subscribers.discard(self)


class AlertFeed:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.subscribers: set[Subscription] = set()
        #: The last event handed to subscribers; None until the loop has read the head once.
        self.cursor: int | None = None
        self._listener: Listener | None = None

    def subscribe(self) -> Subscription:
        subscription = Subscription(self)
        self.subscribers.add(subscription)
        return subscription

    async def run(self, beat: Beat, stopping: asyncio.Event) -> None:
        """The feed's loop (services.loops). Its cursor outlives a failure: after a restart the
        feed goes on from the last event it handed out, so a PostgreSQL outage delays events
        for live subscribers and skips none."""
        # The wake-up listener outlives failures too: closing and reopening it would unsubscribe
        # the channel for a moment, and a wake-up sent then would wait for the safety poll.
        if self._listener is None:
            self._listener = self.hub.listen(events.channel())
        listener = self._listener
        try:
            if self.cursor is None:
                self.cursor = await head()
            while not stopping.is_set():
                await self._dispatch_new()
                read_at = time.monotonic()
                beat()
                # Until a wake-up, the safety poll, or (Redis down or hung, so no wake-up will come)
                # the next half second.
                while not await first_of(listener.get(), stopping.wait(), within=DEGRADED_POLL_SECONDS):
                    beat()
                    if not self.hub.healthy or time.monotonic() - read_at >= SAFETY_POLL_SECONDS:
                        break
        finally:
            if stopping.is_set():
                listener.close()
                self._listener = None

    async def _dispatch_new(self) -> None:
        assert self.cursor is not None
        while True:
            batch = await events_after(self.cursor)
            if not batch:
                return
            self.cursor = batch[-1].cursor
            for subscription in list(self.subscribers):
                subscription.offer(batch)
            if len(batch) < BATCH:
                return


async def replay_then_live(feed: AlertFeed, after: int | None) -> AsyncIterator[FeedEvent]:
    """Events after ``after`` (or from now), in order, then live ones, without a gap or a repeat.

    The live subscription is opened before the history is read, and anything already seen is
    skipped by cursor, so the seam between the two loses and repeats nothing.
    """
    subscription = feed.subscribe()
    try:
        last = after if after is not None else max(feed.cursor or 0, await head())
        caught_up = False
        while True:
            if not caught_up:
                batch = await events_after(last)
                for item in batch:
                    last = item.cursor
                    yield item
                caught_up = len(batch) < BATCH
                continue
            received = await subscription.queue.get()
            if isinstance(received, str):  # RECONNECTED: read what may have been missed
                caught_up = False
                continue
            for feed_event in received:
                if feed_event.cursor > last:
                    last = feed_event.cursor
                    yield feed_event
    finally:
        subscription.close()


def tier_for(viewer: Principal, item: FeedEvent) -> AlertTier | None:
    """Who may receive an event is decided per event, on the alert as it is now."""
    facts = AlertFacts(item.school.id, item.district.id, item.alert.level, item.alert.severity,
                       item.alert.raised_by_id)
    return access.alert_tier(viewer, facts)
