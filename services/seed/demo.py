"""The demo: sample data, accounts to sign in with, and one family with something in every app.

The family's story is played through the services themselves, as the apps would: the homeroom
teacher proposes a home visit and raises a wellbeing alert about the child; the parent enrols in a
course offered at the child's pilot school, takes a seat at a session and books a consultation.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from services import runtime
from services.clock import PROGRAMME_ZONE, today
from services.enums import AlertCategory, AlertSeverity, AlertSource, ConsultationMode
from services.errors import UserErrors
from services.family_education import consultations, courses, instructors, sessions, waitlists
from services.family_education.models import CourseOffering, CourseSession, Instructor
from services.home_visits import service as home_visits
from services.home_visits.rules import Window
from services.identity import principals
from services.identity.models import User
from services.identity.passwords import hash_password
from services.organisation.models import Student
from services.progress import Progress
from services.seed import DEMO, Generated, seed
from services.wellbeing import alerts

#: Every demo account signs in with this password (the demo is for trying the apps, never production).
DEMO_PASSWORD = "Coedu-Demo-2026"

#: Who the demo accounts are, in the order they are printed.
ROLES = (
    ("city_admin", "市管理员 CITY_ADMIN"),
    ("district_admin", "区管理员 DISTRICT_ADMIN (昆都仑区)"),
    ("school_admin", "校管理员 SCHOOL_ADMIN"),
    ("teacher", "班主任 TEACHER"),
    ("parent", "家长 PARENT"),
    ("school_counsellor", "心理老师 COUNSELLOR (学校)"),
    ("district_counsellor", "区心理中心 COUNSELLOR (昆都仑区)"),
    ("city_counsellor", "市心理中心 COUNSELLOR (市级)"),
    ("instructor", "指导师 INSTRUCTOR"),
    ("station_staff", "服务站 STATION_STAFF"),
)


@dataclass(frozen=True)
class DemoAccount:
    role: str
    name: str
    phone: str


async def seed_demo(seed_number: int = 2026, *, progress: Progress | None = None) -> list[DemoAccount]:
    generated = await seed(DEMO, seed_number, progress=progress)
    accounts = await _activate(generated)
    await _family_story(generated)
    return accounts


async def _activate(generated: Generated) -> list[DemoAccount]:
    password_hash = await hash_password(DEMO_PASSWORD)
    sealer = runtime.current().crypto.sealer
    accounts = []
    for key, role in ROLES:
        user = await User.get(id=generated.people[key])
        await User.filter(id=user.id).update(password_hash=password_hash, activated_at=dt.datetime.now(dt.UTC))
        phone = sealer.open(user.phone_sealed, table="app_user", column="phone", row=user.id)
        accounts.append(DemoAccount(role, user.display_name, phone))
    return accounts


async def _as(user_id: uuid.UUID) -> principals.Principal:
    principal = await principals.of_user(user_id)
    assert principal is not None
    return principal


async def _family_story(generated: Generated) -> None:
    teacher, parent = await _as(generated.people["teacher"]), await _as(generated.people["parent"])
    child = await Student.get(id=generated.showcase_child)
    soon = dt.datetime.now(PROGRAMME_ZONE).date()
    slots = [Window(start, start + dt.timedelta(hours=1)) for start in (
        dt.datetime.combine(soon + dt.timedelta(days=days), dt.time(16, 30), tzinfo=PROGRAMME_ZONE)
        for days in (3, 5))]
    # at the family's home on file (the seed gives the first guardian of each family one, shared)
    await home_visits.propose(teacher, home_visits.Proposal(
        child.id, slots, "了解孩子在家的学习和生活情况", [], address_guardian_id=parent.user_id,
        names_address_guardian=True))
    await alerts.raise_alert(teacher, student_id=child.id, severity=AlertSeverity.MEDIUM,
                             category=AlertCategory.ANXIETY_DEPRESSION, source=AlertSource.TEACHER_OBSERVATION,
                             summary="近两周上课走神、情绪低落", details="作业多次未交，与同学交流变少。")
    offered = await CourseOffering.filter(school_id=child.school_id).first()
    if offered is not None:
        enrollment = await courses.enroll(parent, offered.course_id)
        first = (await courses.lessons_of([offered.course_id]))[0][0]
        await courses.complete_lesson(parent, enrollment.id, first.id)
    upcoming = await CourseSession.filter(starts_at__gt=dt.datetime.now(dt.UTC), closed_at__isnull=True).order_by(
        "starts_at").first()
    if upcoming is not None:
        await sessions.register(parent, upcoming.id)
    # and waits for a seat at another, full, session (its capacity brought down to the seats taken)
    other = await CourseSession.filter(starts_at__gt=dt.datetime.now(dt.UTC), closed_at__isnull=True,
                                       registered__gt=0).exclude(id=upcoming.id if upcoming else None).order_by(
        "starts_at").first()
    if other is not None:
        await CourseSession.filter(id=other.id).update(capacity=other.registered)
        await waitlists.join(parent, other.id)
    await _book_consultation(generated, parent, child.id)


async def _book_consultation(generated: Generated, parent: principals.Principal, child_id: uuid.UUID) -> None:
    instructor = await Instructor.get(user_id=generated.people["instructor"])
    start = today() + dt.timedelta(days=1)
    for slot in await instructors.open_slots(instructor, start, start + dt.timedelta(days=13), 60):
        try:
            await consultations.book(parent, consultations.Booking(
                instructor_id=instructor.id, starts_at=slot.starts_at, duration_minutes=60,
                mode=ConsultationMode.IN_PERSON if slot.station_id else ConsultationMode.PHONE,
                topic="孩子最近情绪低落，想请教如何沟通", student_id=child_id, station_id=None,
                student_given=True, station_given=False))
            return
        except UserErrors:
            continue  # taken by a booking the generator made: the next slot
