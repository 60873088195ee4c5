"""The teacher's secret, revocable iCalendar feed of confirmed home visits.

The phone's calendar subscribes to a URL that carries its own token (no
sign-in). Each visit keeps one UID for life, so a moved visit updates the
phone's event instead of adding another. The feed names the class, never the
child, and carries no address: calendars sync to third-party clouds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from services import access, runtime
from services.access import Principal
from services.enums import HomeVisitStatus
from services.home_visits.models import CalendarFeed, HomeVisit, HomeVisitCompanion
from services.ids import new_id
from services.organisation.models import SchoolClass, Student

ZONE = ZoneInfo("Asia/Shanghai")
#: Past visits stay in the feed this long, so yesterday's visit does not vanish from the phone.
KEEP_PAST = dt.timedelta(days=30)


def _digest(token: str) -> str:
    return runtime.current().crypto.token_digest("calendar:" + token)


def _url(token: str) -> str:
    return f"{runtime.current().public_url}/calendar/{token}.ics"


async def _issue(user_id: uuid.UUID) -> str:
    token = secrets.token_urlsafe(24)
    feed_id = new_id()
    sealed = runtime.current().crypto.sealer.seal(token, table="calendar_feed", column="token", row=feed_id)
    await CalendarFeed.create(id=feed_id, user_id=user_id, token_digest=_digest(token), token_sealed=sealed)
    return token


async def feed_url(viewer: Principal) -> str | None:
    """The viewer's feed address, made on first use; teachers (and school administrators) only."""
    if not access.may_have_calendar_feed(viewer):
        return None
    async with in_transaction() as tx:
        await tx.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))", [f"calendar:{viewer.user_id}"])
        feed = await CalendarFeed.filter(access.own_rows(viewer), revoked_at__isnull=True).using_db(tx).first()
        if feed is not None:
            token = runtime.current().crypto.sealer.open(feed.token_sealed, table="calendar_feed", column="token",
                                                         row=feed.id)
            return _url(token)
        return _url(await _issue(viewer.user_id))


async def reset(viewer: Principal) -> str:
    """Revoke the current address (a lost phone) and make a new one."""
    async with in_transaction() as tx:
        await tx.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))", [f"calendar:{viewer.user_id}"])
        now = (await tx.execute_query_dict("SELECT now() AS now"))[0]["now"]
        await CalendarFeed.filter(access.own_rows(viewer), revoked_at__isnull=True).using_db(tx).update(revoked_at=now)
        return _url(await _issue(viewer.user_id))


@dataclass(frozen=True)
class Feed:
    ics: bytes
    #: the latest change of any visit in it (for Last-Modified); None for an empty feed
    last_modified: dt.datetime | None

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.ics).hexdigest()[:32] + '"'


async def render(token: str) -> Feed | None:
    """The feed behind a token, or None for an unknown or revoked one. A cancelled visit stays in it,
    marked cancelled, so that the phone shows the visit called off rather than silently gone."""
    if not token or len(token) > 64:
        return None
    feed = await CalendarFeed.get_or_none(token_digest=_digest(token), revoked_at__isnull=True)
    if feed is None:
        return None
    teacher_id = feed.user_id
    companion_of = Subquery(HomeVisitCompanion.filter(teacher_id=teacher_id).values("visit_id"))
    since = dt.datetime.now(dt.UTC) - KEEP_PAST
    visits = await HomeVisit.filter(
        Q(lead_teacher_id=teacher_id) | Q(id__in=companion_of),
        status__in=[HomeVisitStatus.CONFIRMED, HomeVisitStatus.COMPLETED, HomeVisitStatus.CANCELLED],
        scheduled_start__gte=since,
    ).order_by("scheduled_start")
    students = {s.id: s for s in await Student.filter(id__in={v.student_id for v in visits})}
    classes = {c.id: c for c in await SchoolClass.filter(id__in={s.school_class_id for s in students.values()})}
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Baotou co-education//home visits//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "家访日程")
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    for visit in visits:
        school_class = classes[students[visit.student_id].school_class_id]
        event = icalendar.Event()
        event.add("uid", f"home-visit-{visit.id}@coedu")
        event.add("dtstamp", visit.updated_at)
        event.add("last-modified", visit.updated_at)
        event.add("sequence", visit.round)
        starts, ends = visit.scheduled_start, visit.scheduled_end
        assert starts is not None  # read by scheduled_start; a visit's times are set and cleared together
        assert ends is not None
        event.add("dtstart", starts.astimezone(ZONE))
        event.add("dtend", ends.astimezone(ZONE))
        event.add("summary", f"家访（{school_class.name}）")
        event.add("status", "CANCELLED" if visit.status == HomeVisitStatus.CANCELLED else "CONFIRMED")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return Feed(calendar.to_ical(), max((v.updated_at for v in visits), default=None))
