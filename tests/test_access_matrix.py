"""The authorization matrix: every root operation × every role × own and someone else's data.

The list of operations comes from the schema the server serves: an operation
added without a row here (or without a rule in services.access) fails the
first test. Outcomes:

OK         the operation ran (data present, no userErrors)
UNAUTH     top-level UNAUTHENTICATED
DENIED     top-level FORBIDDEN
NULL       the field is null: the object is not visible (same as missing)
NOT_FOUND  a mutation's userErrors say NOT_FOUND (not visible, same as missing)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from schema import schema
from schema.common.engine_internals import graphql_schema
from schema.common.ids import to_global_id
from services import access
from services.enums import Role
from services.identity.accounts import invite_if_inactive
from services.notifications.models import Notification
from services.organisation.models import SchoolClass
from tests.helpers import (
    PASSWORD,
    World,
    contract_operation,
    error_codes,
    make_person,
    make_student,
    next_phone,
)

ROLES = {
    "anonymous": None,
    "parent": "parent_a",
    "teacher": "teacher_a",
    "counsellor": "counsellor_a",
    "district_counsellor": "district_counsellor_a",
    "city_counsellor": "city_counsellor",
    "school_admin": "school_admin_a",
    "district_admin": "district_admin_a",
    "city_admin": "city_admin",
    "instructor": "instructor",
    "station_staff": "station_staff",
}
SIGNED_IN = [r for r in ROLES if r != "anonymous"]

Builder = Callable[[World, str, str], Awaitable[dict[str, Any]]]


@dataclass
class Case:
    document: str
    #: variables for data on the given side: "own" (district A, school A, …) or "other" (district B, …)
    variables: Builder
    #: role -> (outcome on own data, outcome on other data)
    expect: dict[str, tuple[str, str]]


def _everyone(own: str, other: str, anonymous: str = "UNAUTH") -> dict[str, tuple[str, str]]:
    return {"anonymous": (anonymous, anonymous)} | dict.fromkeys(SIGNED_IN, (own, other))


def _only(allowed: dict[str, tuple[str, str]],
          rest: tuple[str, str] = ("DENIED", "DENIED")) -> dict[str, tuple[str, str]]:
    return {"anonymous": ("UNAUTH", "UNAUTH")} | {r: allowed.get(r, rest) for r in SIGNED_IN}


def side(world: World, which: str) -> dict[str, Any]:
    if which == "own":
        return {"district": world.district_a, "school": world.school_a, "class": world.class_a1,
                "class2": world.class_a2, "student": world.students["a"]}
    return {"district": world.district_b, "school": world.school_b, "class": world.class_b1,
            "class2": None, "student": world.students["b"]}


def static(variables: dict[str, Any] | None = None) -> Builder:
    async def build(world: World, which: str, role: str) -> dict[str, Any]:
        return dict(variables or {})

    return build


async def _teacher_at(school) -> Any:
    return await make_person("临时老师", (Role.TEACHER, {"school_id": school.id}), sign_in=False)


async def node_student(world, which, role):
    return {"id": world.gid(side(world, which)["student"])}


async def _shared_alert(world, which):
    """An alert (HIGH, still at school level) on the side's student, with a message shared with its guardians."""
    from services.enums import AlertCategory, AlertSeverity, AlertSource
    from services.identity import principals
    from services.wellbeing import alerts as alerts_service

    student = side(world, which)["student"]
    teacher = await principals.of_user(world["teacher_a" if which == "own" else "teacher_b"].user.id)
    counsellor = await principals.of_user(world["counsellor_a" if which == "own" else "counsellor_b"].user.id)
    alert = await alerts_service.raise_alert(teacher, student_id=student.id, severity=AlertSeverity.HIGH,
                                             category=AlertCategory.OTHER, source=AlertSource.TEACHER_OBSERVATION,
                                             summary="矩阵", details=None)
    await alerts_service.share_with_guardians(counsellor, alert.id, "请多陪伴孩子。")
    return student


async def share_node(world, which, role):
    from services.wellbeing.models import AlertShare

    student = await _shared_alert(world, which)
    share = await AlertShare.filter(student_id=student.id).order_by("-shared_at").first()
    return {"id": to_global_id("WellbeingShare", share.id)}


async def shares_of_student(world, which, role):
    return {"id": world.gid(await _shared_alert(world, which))}


async def own_notification(world, which, role):
    """A notification of the caller's own ("own"), or of someone else ("other")."""
    from services.notifications.service import notify

    owner = world[ROLES[role] or "parent_a"] if which == "own" else world["parent_b"]
    async with in_transaction() as tx:
        await notify([owner.user.id], kind="ALERT", title_key="alert_title", body_key="alert_body",
                     params={"school": "x", "severity": "x", "level": "x"}, using=tx)
    row = await Notification.filter(user_id=owner.user.id).order_by("-created_at").first()
    return {"id": to_global_id("Notification", row.id)}


async def own_device(world, which, role):
    from services.access import Principal
    from services.notifications.service import register_device

    owner = world[ROLES[role] or "parent_a"] if which == "own" else world["parent_b"]
    device = await register_device(Principal(user_id=owner.user.id, session_id=owner.user.id, display_name="x",
                                             grants=()), "IOS", f"matrix-{role}-{which}")
    return {"id": to_global_id("PushDevice", device.id)}


async def schools_in_district(world, which, role):
    return {"first": 10, "filter": {"districtId": world.gid(side(world, which)["district"])}}


async def login(world, which, role):
    person = await make_person("登录者")
    return {"phone": person.phone, "password": PASSWORD}


async def activate(world, which, role):
    from tortoise.transactions import in_transaction

    person = await make_person("受邀者", password=None, sign_in=False)
    async with in_transaction() as tx:
        invitation = await invite_if_inactive(person.user, invited_by=None, using=tx)
    return {"phone": person.phone, "code": invitation.code, "password": "Activate-2026-ok"}


async def refresh(world, which, role):
    return {"refreshToken": (await make_person("刷新者")).refresh_token}


async def logout(world, which, role):
    return {"refreshToken": (await make_person("退出者")).refresh_token, "allDevices": False}


async def change_password(world, which, role):
    return {"current": PASSWORD, "new": f"Changed-{which}-2026"}


async def create_school(world, which, role):
    return {"input": {"districtId": world.gid(side(world, which)["district"]), "name": f"{role}{which}新学校",
                      "stage": "PRIMARY", "isFamilyEducationPilot": False}}


async def update_school(world, which, role):
    return {"input": {"schoolId": world.gid(side(world, which)["school"]), "address": f"{role} {which}"}}


async def create_class(world, which, role):
    return {"input": {"schoolId": world.gid(side(world, which)["school"]), "grade": 2, "name": f"{role}{which}班"}}


async def assign_class_teacher(world, which, role):
    place = side(world, which)
    teacher = await _teacher_at(place["school"])
    return {"schoolClassId": world.gid(place["class"]), "teacherId": teacher.id, "subject": "体育"}


async def assign_role(world, which, role):
    return {"input": {"phone": next_phone(), "displayName": "新老师", "role": "TEACHER",
                      "schoolId": world.gid(side(world, which)["school"])}}


async def revoke_role(world, which, role):
    school = side(world, which)["school"]
    teacher = await _teacher_at(school)
    return {"input": {"userId": teacher.id, "role": "TEACHER", "schoolId": world.gid(school)}}


async def enroll(world, which, role):
    from tests.helpers import _numbers  # the same counter make_student uses, so numbers never collide

    return {"input": {"schoolClassId": world.gid(side(world, which)["class"]), "displayName": "新生",
                      "gender": "MALE", "birthDate": "2018-03-01", "studentNumber": f"M{next(_numbers):012d}"}}


async def link_guardian(world, which, role):
    return {"input": {"studentId": world.gid(side(world, which)["student"]), "phone": next_phone(),
                      "displayName": "新家长", "relationship": "OTHER", "isPrimary": False}}


async def transfer(world, which, role):
    place = side(world, which)
    student = await make_student("转学生", place["class"])
    target = place["class2"] or await SchoolClass.create(school_id=place["school"].id, grade=3,
                                                         name=f"{role}{which}转入班")
    return {"input": {"studentId": world.gid(student), "toSchoolClassId": world.gid(target), "reason": "调班"}}


async def audit_events(world, which, role):
    await _alert(world, which)  # a change, so the trail has a row
    return {"first": 5}


# --- wellbeing: an alert on the student of each side, raised by that side's teacher (HIGH, school level)

async def _alert(world: World, which: str) -> str:
    from services.enums import AlertCategory, AlertSeverity, AlertSource
    from services.identity import principals
    from services.wellbeing import alerts

    teacher = world["teacher_a" if which == "own" else "teacher_b"]
    raiser = await principals.of_user(teacher.user.id)
    row = await alerts.raise_alert(raiser, student_id=side(world, which)["student"].id, severity=AlertSeverity.HIGH,
                                   category=AlertCategory.BULLYING, source=AlertSource.TEACHER_OBSERVATION,
                                   summary="被同学孤立", details=None)
    return world.gid(row)


async def alerts_of_student(world, which, role):
    await _alert(world, which)
    return {"first": 10, "filter": {"studentId": world.gid(side(world, which)["student"])}}


async def raise_about(world, which, role):
    source = {"parent": "GUARDIAN_REPORT", "instructor": "INSTRUCTOR"}.get(role, "TEACHER_OBSERVATION")
    if role in ("counsellor", "district_counsellor", "city_counsellor"):
        source = "COUNSELLOR"
    return {"input": {"studentId": world.gid(side(world, which)["student"]), "severity": "LOW",
                      "category": "OTHER", "source": source, "summary": "需要关注"}}


def on_alert(**extra: Any) -> Builder:
    async def build(world: World, which: str, role: str) -> dict[str, Any]:
        variables = {"alertId": await _alert(world, which), **extra}
        if "assigneeId" in variables:
            variables["assigneeId"] = world["counsellor_a" if which == "own" else "counsellor_b"].id
        return variables

    return build


async def policy(world, which, role):
    return {"severity": "LOW", "acknowledgeWithinMinutes": 4000 if which == "own" else 4320}


async def push_device(world, which, role):
    return {"platform": "ANDROID", "token": f"{role}-{which}-token"}


async def mark_all_read(world, which, role):
    return {"all": True}


_visit_times = itertools.count()

# --- home visits: a fresh student on each side (one open visit per student), visited by that side's teacher


async def _visit(world: World, which: str, stage: str = "proposed") -> tuple[str, dict[str, Any]]:
    from services.enums import HomeVisitDecision
    from services.home_visits import service as visits
    from services.home_visits.rules import Window
    from services.identity import principals
    from tests.home_visits.helpers import move_into_past, slot

    place = side(world, which)
    parent = world["parent_a" if which == "own" else "parent_b"]
    student = await make_student("家访对象", place["class"], parent)
    teacher = await principals.of_user(world["teacher_a" if which == "own" else "teacher_b"].user.id)
    n = next(_visit_times)  # each visit its own time: a teacher's confirmed visits never overlap
    chosen = slot(2 + n // 6, 8 + 2 * (n % 6))
    window = Window(dt.datetime.fromisoformat(chosen["startsAt"]), dt.datetime.fromisoformat(chosen["endsAt"]))
    visit = await visits.propose(teacher, visits.Proposal(student.id, [window], "了解情况", [], "某路 1 号"))
    if stage in ("confirmed", "completed"):
        family = await principals.of_user(parent.user.id)
        await visits.respond(family, visit.id, HomeVisitDecision.ACCEPT, window, None, None)
        await move_into_past(world.gid(visit))
    if stage == "completed":
        await visits.record(teacher, visit.id, visits.VisitRecord(30, ["学习"], "顺利", False))
    return world.gid(visit), {"slot": chosen, "student": world.gid(student)}


async def propose_visit(world, which, role):
    from tests.home_visits.helpers import slot

    place = side(world, which)
    student = await make_student("家访对象", place["class"], world["parent_a" if which == "own" else "parent_b"])
    return {"input": {"studentId": world.gid(student), "slots": [slot(2, 10)], "purpose": "家访", "address": "某路"}}


async def respond_visit(world, which, role):
    visit, extra = await _visit(world, which)
    return {"input": {"homeVisitId": visit, "decision": "ACCEPT", "acceptedSlot": extra["slot"]}}


async def reschedule_visit(world, which, role):
    from tests.home_visits.helpers import slot

    visit, _ = await _visit(world, which)
    return {"homeVisitId": visit, "slots": [slot(4, 15)]}


async def cancel_visit(world, which, role):
    visit, _ = await _visit(world, which)
    return {"homeVisitId": visit, "reason": "临时有事"}


async def record_visit(world, which, role):
    visit, _ = await _visit(world, which, "confirmed")
    return {"input": {"homeVisitId": visit, "durationMinutes": 30, "topics": ["学习"], "summary": "顺利",
                      "followUpNeeded": False}}


async def feedback_visit(world, which, role):
    visit, _ = await _visit(world, which, "completed")
    return {"homeVisitId": visit, "stars": 5}


async def visits_of_student(world, which, role):
    _, extra = await _visit(world, which)
    return {"first": 10, "filter": {"studentId": extra["student"]}}


async def dashboard_of_district(world, which, role):
    return {"year": 2026, "districtId": world.gid(side(world, which)["district"])}


async def coverage_of_school(world, which, role):
    return {"year": 2026, "schoolId": world.gid(side(world, which)["school"])}


# --- family education: the own side is station A, the world's instructor and parent A; the other side
# a pilot school, a station and an instructor of district B, and parent B.

_fe_times = itertools.count()
FE = "family-education.graphql"
FE_NEXT = "family-education-next.graphql"


@dataclass
class _FamilyEducation:
    course: Any
    lesson: Any
    pilot_b: Any
    station_b: Any
    instructor_b: Any


async def _fe(world: World) -> _FamilyEducation:
    """What the family-education rows need, made once per world."""
    from services.enums import CourseCategory, LessonKind
    from services.family_education.models import AvailabilitySlot, Course, Instructor, InstructorStation, Lesson
    from services.organisation.models import School, ServiceStation

    made = getattr(world, "_fe", None)
    if made is not None:
        return made
    course = await Course.create(title="家庭教育入门", summary="入门", category=CourseCategory.PARENTING, min_grade=1,
                                 max_grade=9, search_terms=[])
    lesson = await Lesson.create(course_id=course.id, position=1, title="第一课", kind=LessonKind.VIDEO,
                                 duration_minutes=20)
    pilot_b = await School.create(district_id=world.district_b.id, name="青山区试点小学", stage="PRIMARY",
                                  is_family_education_pilot=True)
    station_b = await ServiceStation.create(district_id=world.district_b.id, name="青山服务站", latitude=40.63,
                                            longitude=109.87)
    person = await make_person("青山指导师", (Role.INSTRUCTOR, {"district_id": world.district_b.id}))
    world.people["instructor_b"] = person
    instructor_b = await Instructor.create(user_id=person.user.id, certificate_number="BTJY-2025-0002",
                                           certified_on=dt.date(2025, 1, 1), expires_on=dt.date(2099, 1, 1),
                                           specialties=["学习"], district_id=world.district_b.id)
    await InstructorStation.create(instructor_id=instructor_b.id, station_id=station_b.id)
    for instructor in (world.instructor, instructor_b):
        await AvailabilitySlot.bulk_create([AvailabilitySlot(instructor_id=instructor.id, weekday=day,
                                                             start_time=dt.time(8), end_time=dt.time(20))
                                            for day in range(1, 8)])
    made = _FamilyEducation(course, lesson, pilot_b, station_b, instructor_b)
    world._fe = made  # type: ignore[attr-defined]
    return made


def _fe_slot(*, hours: int = 1) -> tuple[Any, Any]:
    """A time of its own, inside the availability above (08:00–20:00 local, from ten days ahead)."""
    from tests.family_education.helpers import local

    n = next(_fe_times)
    starts = local(10 + n // 10, 8 + n % 10)
    return starts, starts + dt.timedelta(hours=hours)


async def _fe_side(world: World, which: str) -> dict[str, Any]:
    fe = await _fe(world)
    if which == "own":
        return {"district": world.district_a, "school": world.school_a, "station": world.station_a,
                "instructor": world.instructor, "parent": world["parent_a"], "other_station": fe.station_b}
    return {"district": world.district_b, "school": fe.pilot_b, "station": fe.station_b,
            "instructor": fe.instructor_b, "parent": world["parent_b"], "other_station": world.station_a}


async def _consultation(world: World, which: str, status: str = "REQUESTED", *, past: bool = False) -> Any:
    from services.family_education.models import Consultation

    place = await _fe_side(world, which)
    starts, ends = _fe_slot()
    if past:
        starts, ends = starts - dt.timedelta(days=30), ends - dt.timedelta(days=30)
    from services.family_education.consultations import _seal
    from services.ids import new_id

    consultation_id = new_id()
    return await Consultation.create(id=consultation_id, instructor_id=place["instructor"].id,
                                     guardian_id=place["parent"].user.id, mode="PHONE",
                                     topic_sealed=_seal("亲子沟通", "topic", consultation_id), starts_at=starts,
                                     ends_at=ends, status=status)


async def _session(world: World, which: str, *, starts_in_minutes: int | None = None) -> Any:
    from services.family_education.models import CourseSession

    place, fe = await _fe_side(world, which), await _fe(world)
    starts, ends = _fe_slot(hours=2)
    if starts_in_minutes is not None:
        starts = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=starts_in_minutes)
        ends = starts + dt.timedelta(hours=2)
    return await CourseSession.create(course_id=fe.course.id, starts_at=starts, ends_at=ends,
                                      station_id=place["station"].id, capacity=100, check_in_code="123456")


async def _registration(world: World, which: str, *, starts_in_minutes: int | None = None) -> Any:
    from services.family_education.models import CourseSession, SessionRegistration

    session = await _session(world, which, starts_in_minutes=starts_in_minutes)
    await CourseSession.filter(id=session.id).update(registered=1)
    registration = await SessionRegistration.create(session_id=session.id,
                                                    guardian_id=(await _fe_side(world, which))["parent"].user.id)
    return session, registration


async def fe_courses(world, which, role):
    await _fe(world)
    return {"first": 5, "filter": {"category": "PARENTING"}}


async def _fresh_course() -> Any:
    from services.enums import CourseCategory
    from services.family_education.models import Course

    return await Course.create(title="又一门课", summary="x", category=CourseCategory.HEALTH, min_grade=1,
                               max_grade=9, search_terms=[])


async def fe_verify(world, which, role):
    from services.family_education.models import Enrollment

    if which == "other":
        return {"number": "JTJY-2026-NOSUCH00"}
    number = f"JTJY-2026-{next(_fe_times):08d}"
    await Enrollment.create(course_id=(await _fresh_course()).id, guardian_id=world["parent_b"].user.id,
                            completed_lessons=1, completed_at=dt.datetime.now(dt.UTC), certificate_number=number)
    return {"number": number}


async def fe_create_course(world, which, role):
    return {"input": {"title": f"{role}{which}课程", "summary": "x", "category": "HEALTH", "minGrade": 1,
                      "maxGrade": 6, "lessons": [{"title": "一", "kind": "ARTICLE", "durationMinutes": 10}]}}


async def fe_offer(world, which, role):
    fe = await _fe(world)
    return {"courseId": world.gid(fe.course), "schoolId": world.gid((await _fe_side(world, which))["school"])}


async def fe_schedule(world, which, role):
    fe, place = await _fe(world), await _fe_side(world, which)
    starts, ends = _fe_slot(hours=2)
    return {"input": {"courseId": world.gid(fe.course), "startsAt": starts.isoformat(), "endsAt": ends.isoformat(),
                      "stationId": world.gid(place["station"]), "instructorId": world.gid(place["instructor"]),
                      "capacity": 20}}


async def fe_enroll(world, which, role):
    return {"courseId": world.gid((await _fe(world)).course)}


async def fe_teacher_course(world, which, role):
    """A TEACHER course (one per side, so that enrolling on one side leaves the other untouched)."""
    from services.enums import CourseAudience, CourseCategory
    from services.family_education.models import Course

    course = await Course.create(title="家庭教育指导能力提升", summary="教师培训", category=CourseCategory.PARENTING,
                                 min_grade=1, max_grade=12, audience=CourseAudience.TEACHER, credit_hours=8,
                                 search_terms=[])
    return {"courseId": world.gid(course)}


async def school_of_side(world, which, role):
    return {"id": world.gid(side(world, which)["school"])}


async def _side_episode(world: World, which: str) -> Any:
    """A published 静待花开 episode for the side's district."""
    from services.column.models import ColumnEpisode
    from services.enums import ColumnEpisodeStatus

    return await ColumnEpisode.create(
        title="矩阵", summary="矩阵", format="VIDEO", topics=[], grade_bands=["LOWER_PRIMARY"], duration_seconds=60,
        media_url="https://tv.baotou.example/m.mp4", district_id=side(world, which)["district"].id,
        status=ColumnEpisodeStatus.PUBLISHED, published_at=dt.datetime.now(dt.UTC), search_terms=[])


async def column_of_side(world, which, role):
    await _side_episode(world, which)
    return {"first": 5, "filter": {"districtId": world.gid(side(world, which)["district"])}}


async def column_create(world, which, role):
    return {"input": {"title": "新节目", "summary": "简介", "format": "ARTICLE", "topics": [],
                      "gradeBands": ["UPPER_PRIMARY"], "durationSeconds": 300,
                      "mediaUrl": "https://tv.baotou.example/a.html", "publish": False,
                      "districtId": world.gid(side(world, which)["district"])}}


async def column_update(world, which, role):
    return {"input": {"episodeId": to_global_id("ColumnEpisode", (await _side_episode(world, which)).id),
                      "title": "改名"}}


async def column_episode_id(world, which, role):
    return {"episodeId": to_global_id("ColumnEpisode", (await _side_episode(world, which)).id)}


async def column_progress(world, which, role):
    return {"episodeId": to_global_id("ColumnEpisode", (await _side_episode(world, which)).id), "positionSeconds": 5}


async def _side_notice(world: World, which: str, *, minutes_ago: int = 0) -> Any:
    """A CONFIRM notice of the side's homeroom teacher to the side's class, delivered to its parent."""
    from services.enums import NoticeAudienceKind, NoticeConfirmationMode, NoticeStatus
    from services.notices.models import Notice, NoticeChild, NoticeReceipt

    place = side(world, which)
    teacher, parent = (world["teacher_a"], world["parent_a"]) if which == "own" else (world["teacher_b"],
                                                                                      world["parent_b"])
    sent = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
    notice = await Notice.create(
        sender_id=teacher.user.id, title="矩阵通知", body="矩阵", confirmation_mode=NoticeConfirmationMode.CONFIRM,
        audience_kind=NoticeAudienceKind.SCHOOL_CLASSES, class_ids=[str(place["class"].id)],
        school_id=place["school"].id, district_id=place["district"].id, status=NoticeStatus.SENT, sent_at=sent,
        delivered_at=sent)
    await NoticeReceipt.create(notice_id=notice.id, guardian_id=parent.user.id)
    await NoticeChild.create(notice_id=notice.id, guardian_id=parent.user.id, student_id=place["student"].id,
                             school_class_id=place["class"].id)
    return notice


async def notice_send(world, which, role):
    return {"input": {"title": "通知", "body": "内容", "confirmationMode": "READ_ONLY",
                      "audience": {"schoolClassIds": [world.gid(side(world, which)["class"])]}}}


async def notice_id(world, which, role):
    return {"noticeId": to_global_id("Notice", (await _side_notice(world, which, minutes_ago=6)).id)}


async def notice_confirm(world, which, role):
    return {"input": {"noticeId": to_global_id("Notice", (await _side_notice(world, which)).id)}}


async def notice_node(world, which, role):
    return {"id": to_global_id("Notice", (await _side_notice(world, which)).id)}


async def fe_complete_lesson(world, which, role):
    from services.family_education.models import Enrollment

    fe, place = await _fe(world), await _fe_side(world, which)
    enrolment, _ = await Enrollment.get_or_create(course_id=fe.course.id, guardian_id=place["parent"].user.id)
    return {"enrollmentId": world.gid(enrolment), "lessonId": world.gid(fe.lesson)}


async def fe_rate(world, which, role):
    from services.family_education.models import Enrollment

    # the own side: a course parent A enrolled in; the other side: one only parent B did
    course = await _fresh_course()
    await Enrollment.create(course_id=course.id, guardian_id=(await _fe_side(world, which))["parent"].user.id)
    return {"courseId": world.gid(course), "stars": 4}


async def fe_register(world, which, role):
    return {"sessionId": world.gid(await _session(world, which))}


async def fe_cancel_registration(world, which, role):
    _, registration = await _registration(world, which)
    return {"registrationId": world.gid(registration)}


async def _full_session(world: World, which: str) -> Any:
    """A session of the side whose one seat a stranger holds."""
    from services.family_education.models import CourseSession, SessionRegistration

    session = await _session(world, which)
    await CourseSession.filter(id=session.id).update(capacity=1, registered=1)
    await SessionRegistration.create(session_id=session.id, guardian_id=(await make_person("占座家长")).user.id)
    return session


async def fe_join_waitlist(world, which, role):
    return {"sessionId": world.gid(await _full_session(world, which))}


async def fe_leave_waitlist(world, which, role):
    from services.family_education.models import SessionWaitlistEntry

    entry = await SessionWaitlistEntry.create(session_id=(await _full_session(world, which)).id,
                                              guardian_id=(await _fe_side(world, which))["parent"].user.id)
    return {"waitlistEntryId": to_global_id("CourseSessionWaitlistEntry", entry.id)}


async def fe_check_in(world, which, role):
    session, _ = await _registration(world, which, starts_in_minutes=10)
    return {"sessionId": world.gid(session), "code": "123456"}


async def fe_near(world, which, role):
    return {"latitude": 40.65, "longitude": 109.84, "radiusKm": 20, "first": 5}


async def fe_create_station(world, which, role):
    return {"input": {"districtId": world.gid((await _fe_side(world, which))["district"]), "name": f"{role}服务站",
                      "community": "某社区", "address": "某路 1 号", "latitude": 40.6, "longitude": 109.8,
                      "services": ["咨询"], "openingHours": [{"weekday": 1, "opensAt": "09:00", "closesAt": "17:00"}]}}


async def fe_assign(world, which, role):
    place = await _fe_side(world, which)
    return {"instructorId": world.gid(place["instructor"]), "stationId": world.gid(place["station"])}


async def fe_instructors(world, which, role):
    return {"first": 5, "filter": {"districtId": world.gid((await _fe_side(world, which))["district"])}}


async def fe_certify(world, which, role):
    return {"input": {"phone": next_phone(), "displayName": "新指导师", "certificateNumber": f"C-{next(_fe_times)}",
                      "certifiedOn": "2026-01-01", "expiresOn": "2028-12-31", "specialties": ["亲子"],
                      "districtId": world.gid((await _fe_side(world, which))["district"])}}


async def fe_suspend(world, which, role):
    from services.family_education.models import Instructor

    district = (await _fe_side(world, which))["district"]
    person = await make_person("待暂停指导师", (Role.INSTRUCTOR, {"district_id": district.id}), sign_in=False)
    instructor = await Instructor.create(user_id=person.user.id, certificate_number=f"S-{next(_fe_times)}",
                                         certified_on=dt.date(2025, 1, 1), expires_on=dt.date(2099, 1, 1),
                                         specialties=["x"], district_id=district.id)
    return {"id": world.gid(instructor)}


async def fe_availability(world, which, role):
    # the own side names a station the instructor is on duty at; the other side one they are not
    place = await _fe_side(world, which)
    station = world.station_a if which == "own" else place["station"]
    return {"slots": [{"weekday": 1, "startTime": "09:00", "endTime": "12:00", "stationId": world.gid(station)}]}


async def fe_consultations(world, which, role):
    row = await _consultation(world, which)
    return {"first": 10, "filter": {"from": row.starts_at.isoformat(), "to": row.ends_at.isoformat()}}


async def fe_book(world, which, role):
    starts, _ = _fe_slot()
    return {"input": {"instructorId": world.gid((await _fe_side(world, which))["instructor"]),
                      "startsAt": starts.isoformat(), "durationMinutes": 60, "mode": "PHONE", "topic": "沟通"}}


async def fe_respond(world, which, role):
    return {"consultationId": world.gid(await _consultation(world, which)), "accept": True}


async def fe_cancel_consultation(world, which, role):
    return {"consultationId": world.gid(await _consultation(world, which)), "reason": "有事"}


async def fe_complete_consultation(world, which, role):
    row = await _consultation(world, which, "CONFIRMED", past=True)
    return {"input": {"consultationId": world.gid(row), "notes": "私密", "guardianSummary": "多倾听",
                      "followUpRecommended": False}}


async def fe_rate_consultation(world, which, role):
    row = await _consultation(world, which, "COMPLETED", past=True)
    return {"id": world.gid(row), "stars": 5}


SUSPEND = """mutation Suspend($id: ID!) { suspendInstructor(input: {instructorId: $id, suspended: true}) {
  instructor { certificationStatus } userErrors { code } } }"""
RATE_CONSULTATION = """mutation RateConsultation($id: ID!, $stars: Int!) {
  rateConsultation(input: {consultationId: $id, stars: $stars}) {
    consultation { ratingStars } userErrors { code } } }"""
CONSULTATIONS = """query Consultations($first: Int!, $filter: ConsultationFilter) {
  consultations(first: $first, filter: $filter) { totalCount nodes { id guardianSummary } } }"""
VERIFY = """query Verify($number: String!) { verifyCourseCertificate(number: $number) { holderName } }"""
DISTRICT_ADMINS = {"city_admin": ("OK", "OK"), "district_admin": ("OK", "DENIED")}


COUNSELLOR_ON_OWN_ALERT = {"counsellor": ("OK", "NOT_FOUND"), "district_counsellor": ("NOT_FOUND", "NOT_FOUND"),
                           "city_counsellor": ("NOT_FOUND", "NOT_FOUND")}


# The student of the own side is in the teacher's class and the counsellor's school and district.
STUDENT_VISIBILITY = {
    "anonymous": ("UNAUTH", "UNAUTH"),
    "parent": ("OK", "NULL"),
    "teacher": ("OK", "NULL"),
    "counsellor": ("OK", "NULL"),
    "district_counsellor": ("OK", "NULL"),
    "city_counsellor": ("OK", "OK"),
    "school_admin": ("OK", "NULL"),
    "district_admin": ("OK", "NULL"),
    "city_admin": ("OK", "OK"),
    "instructor": ("NULL", "NULL"),
    "station_staff": ("NULL", "NULL"),
}
ADMINS_IN_SCOPE = {"city_admin": ("OK", "OK"), "district_admin": ("OK", "DENIED"), "school_admin": ("OK", "DENIED")}
ADMINS_IN_SCOPE_OR_NULL = {"city_admin": ("OK", "OK"), "district_admin": ("OK", "NULL"),
                           "school_admin": ("OK", "NULL")}
ADMINS_SEEING = {"city_admin": ("OK", "OK"), "district_admin": ("OK", "NOT_FOUND"), "school_admin": ("OK", "NOT_FOUND")}

#: Rows that are not root operations: objects reached by node(id:) or under another object.
BY_ID = ("shareNode", "sharesOfStudent", "notificationNode", "deviceNode", "enrollInTeacherCourse", "teacherCourseNode",
         "schoolTeacherTraining", "noticeNode", "rosterImportNode")


async def roster_file(world, which, role):
    """A file in the roster folder: whose schools it holds is checked by the import's job (tests/roster)."""
    from services import runtime

    folder = runtime.current().roster_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "roster.zip").write_bytes(b"")
    return {"input": {"file": "roster.zip", "dryRun": True}}


async def roster_run_of_side(world, which, role):
    from services.roster.models import RosterRun

    run = await RosterRun.create(direction="IMPORT", format="ONEROSTER", digest="", file_name="roster.zip",
                                 districts=[str(side(world, which)["district"].id)])
    return {"id": to_global_id("RosterImport", run.id)}

MATRIX: dict[str, Case] = {
    # queries
    "viewer": Case(contract_operation("account.graphql", "Viewer"), static(), _everyone("OK", "OK")),
    "privacyNotice": Case("query { privacyNotice { version } }", static(), _everyone("OK", "OK", anonymous="OK")),
    "node": Case("query Node($id: ID!) { node(id: $id) { id } }", node_student, STUDENT_VISIBILITY),
    # a message shared with a child's guardians follows its alert's tiers, by id and on the child
    "shareNode": Case("query Share($id: ID!) { shareNode: node(id: $id) { id } }", share_node,
                      _everyone("NULL", "NULL") | {"parent": ("OK", "NULL"), "counsellor": ("OK", "NULL")}),
    "sharesOfStudent": Case(
        "query Shares($id: ID!) { sharesOfStudent: node(id: $id) { ... on Student { wellbeingSharesWithGuardians "
        "{ id message } } } }", shares_of_student,
        STUDENT_VISIBILITY
        | dict.fromkeys(("teacher", "district_counsellor", "school_admin", "district_admin"), ("EMPTY", "NULL"))
        | {"city_counsellor": ("EMPTY", "EMPTY"), "city_admin": ("EMPTY", "EMPTY")}),
    "notificationNode": Case("query N($id: ID!) { notificationNode: node(id: $id) { id } }", own_notification,
                             _everyone("OK", "NULL")),
    "deviceNode": Case("query D($id: ID!) { deviceNode: node(id: $id) { id } }", own_device,
                       _everyone("OK", "NULL")),
    "districts": Case(contract_operation("organisation.graphql", "Districts"), static(), _everyone("OK", "OK")),
    "schools": Case(contract_operation("organisation.graphql", "Schools"), schools_in_district, _everyone("OK", "OK")),
    "auditEvents": Case(contract_operation("wellbeing.graphql", "AuditTrail"), audit_events,
                        _only({"city_admin": ("OK", "OK")})),
    # account mutations
    "login": Case(contract_operation("account.graphql", "Login"), login, _everyone("OK", "OK", anonymous="OK")),
    "activateAccount": Case(contract_operation("account.graphql", "ActivateAccount"), activate,
                            _everyone("OK", "OK", anonymous="OK")),
    "refreshSession": Case(contract_operation("account.graphql", "RefreshSession"), refresh,
                           _everyone("OK", "OK", anonymous="OK")),
    "logout": Case(contract_operation("account.graphql", "Logout"), logout, _everyone("OK", "OK", anonymous="OK")),
    "changePassword": Case(contract_operation("account.graphql", "ChangePassword"), change_password,
                           _everyone("OK", "INVALID_CREDENTIALS")),
    # organisation mutations
    "createSchool": Case(contract_operation("organisation.graphql", "CreateSchool"), create_school,
                         _only({"city_admin": ("OK", "OK"), "district_admin": ("OK", "DENIED")})),
    "updateSchool": Case(contract_operation("organisation.graphql", "UpdateSchool"), update_school,
                         _only(ADMINS_IN_SCOPE)),
    "createSchoolClass": Case(contract_operation("organisation.graphql", "CreateSchoolClass"), create_class,
                              _only(ADMINS_IN_SCOPE)),
    "assignClassTeacher": Case(contract_operation("organisation.graphql", "AssignClassTeacher"),
                               assign_class_teacher, _only(ADMINS_IN_SCOPE)),
    "assignRole": Case(contract_operation("organisation.graphql", "AssignRole"), assign_role, _only(ADMINS_IN_SCOPE)),
    "revokeRole": Case(contract_operation("organisation.graphql", "RevokeRole"), revoke_role, _only(ADMINS_SEEING)),
    "enrollStudent": Case(contract_operation("organisation.graphql", "EnrollStudent"), enroll, _only(ADMINS_IN_SCOPE)),
    "linkGuardian": Case(contract_operation("organisation.graphql", "LinkGuardian"), link_guardian,
                         _only(ADMINS_SEEING | {"teacher": ("OK", "NOT_FOUND")})),
    "transferStudent": Case(contract_operation("organisation.graphql", "TransferStudent"), transfer,
                            _only(ADMINS_SEEING)),
    # wellbeing
    "wellbeingAlerts": Case(contract_operation("wellbeing.graphql", "AlertQueue"), alerts_of_student,
                            _everyone("EMPTY", "EMPTY") | {"teacher": ("OK", "EMPTY"), "counsellor": ("OK", "EMPTY")}),
    "raiseWellbeingAlert": Case(contract_operation("wellbeing.graphql", "RaiseWellbeingAlert"), raise_about, _only({
        "parent": ("OK", "NOT_FOUND"), "teacher": ("OK", "NOT_FOUND"), "counsellor": ("OK", "NOT_FOUND"),
        "district_counsellor": ("OK", "NOT_FOUND"), "city_counsellor": ("OK", "OK"),
        "instructor": ("NOT_FOUND", "NOT_FOUND")})),
    "acknowledgeWellbeingAlert": Case(contract_operation("wellbeing.graphql", "AcknowledgeAlert"), on_alert(),
                                      _only(COUNSELLOR_ON_OWN_ALERT)),
    "escalateWellbeingAlert": Case(contract_operation("wellbeing.graphql", "EscalateAlert"),
                                   on_alert(reason="需要上级介入"), _only(COUNSELLOR_ON_OWN_ALERT)),
    "assignWellbeingAlert": Case(contract_operation("wellbeing.graphql", "AssignAlert"),
                                 on_alert(assigneeId=None), _only(COUNSELLOR_ON_OWN_ALERT)),
    "addWellbeingAlertNote": Case(contract_operation("wellbeing.graphql", "AddAlertNote"), on_alert(body="记录"),
                                  _only(COUNSELLOR_ON_OWN_ALERT)),
    "resolveWellbeingAlert": Case(contract_operation("wellbeing.graphql", "ResolveAlert"),
                                  on_alert(resolution="已解决", outcome="NO_ACTION_NEEDED"),
                                  _only(COUNSELLOR_ON_OWN_ALERT)),
    "shareWellbeingAlertWithGuardians": Case(contract_operation("wellbeing.graphql", "ShareAlertWithGuardians"),
                                             on_alert(message="请多关注孩子"), _only(COUNSELLOR_ON_OWN_ALERT)),
    "escalationPolicies": Case(contract_operation("wellbeing.graphql", "EscalationPolicies"), static(),
                               _everyone("OK", "OK")),
    "setEscalationPolicy": Case(contract_operation("wellbeing.graphql", "SetEscalationPolicy"), policy,
                                _only({"city_admin": ("OK", "OK")})),
    # home visits
    "proposeHomeVisit": Case(contract_operation("home-visits.graphql", "ProposeHomeVisit"), propose_visit,
                             _only({"teacher": ("OK", "NOT_FOUND"), "school_admin": ("OK", "NOT_FOUND")})),
    "respondToHomeVisit": Case(contract_operation("home-visits.graphql", "RespondToHomeVisit"), respond_visit,
                               _only({"parent": ("OK", "NOT_FOUND")})),
    "rescheduleHomeVisit": Case(contract_operation("home-visits.graphql", "RescheduleHomeVisit"), reschedule_visit,
                                _only({"teacher": ("OK", "NOT_FOUND"), "school_admin": ("DENIED", "NOT_FOUND")})),
    "cancelHomeVisit": Case(contract_operation("home-visits.graphql", "CancelHomeVisit"), cancel_visit, _only({
        "teacher": ("OK", "NOT_FOUND"), "parent": ("OK", "NOT_FOUND"), "school_admin": ("DENIED", "NOT_FOUND")})),
    "recordHomeVisit": Case(contract_operation("home-visits.graphql", "RecordHomeVisit"), record_visit,
                            _only({"teacher": ("OK", "NOT_FOUND"), "school_admin": ("DENIED", "NOT_FOUND")})),
    "giveHomeVisitFeedback": Case(contract_operation("home-visits.graphql", "GiveHomeVisitFeedback"),
                                  feedback_visit, _only({"parent": ("OK", "NOT_FOUND")})),
    "homeVisits": Case(
        """query Visits($filter: HomeVisitFilter, $first: Int!) {
             homeVisits(filter: $filter, first: $first) { totalCount nodes { id } } }""",
        visits_of_student,
        _everyone("EMPTY", "EMPTY") | {"city_admin": ("OK", "OK")}
        | dict.fromkeys(("parent", "teacher", "counsellor", "school_admin", "district_admin"), ("OK", "EMPTY"))),
    "homeVisitCoverage": Case("""query Coverage($year: Int!, $schoolId: ID) {
        homeVisitCoverage(year: $year, schoolId: $schoolId) { visitsCompleted } }""", coverage_of_school,
                              _only(ADMINS_IN_SCOPE)),
    "resetHomeVisitCalendarUrl": Case("mutation { resetHomeVisitCalendarUrl { url userErrors { code } } }", static(),
                                      _only({"teacher": ("OK", "OK"), "school_admin": ("OK", "OK")})),
    "programmeDashboard": Case(contract_operation("screens.graphql", "ProgrammeDashboard"), dashboard_of_district,
                               _only(DISTRICT_ADMINS)),
    # family education
    "courses": Case(contract_operation(FE, "CourseCatalogue"), fe_courses, _everyone("OK", "OK")),
    "verifyCourseCertificate": Case(VERIFY, fe_verify, _everyone("OK", "NULL") | {"anonymous": ("OK", "NULL")}),
    "createCourse": Case(contract_operation(FE, "CreateCourse"), fe_create_course,
                         _only({"city_admin": ("OK", "OK"), "district_admin": ("OK", "OK")})),
    "offerCourseAtSchool": Case(contract_operation(FE, "OfferCourseAtSchool"), fe_offer, _only(ADMINS_IN_SCOPE)),
    "scheduleCourseSession": Case(contract_operation(FE, "ScheduleCourseSession"), fe_schedule, _only(
        DISTRICT_ADMINS | {"station_staff": ("OK", "DENIED"), "school_admin": ("DENIED", "DENIED")})),
    "enrollInCourse": Case(contract_operation(FE, "EnrollInCourse"), fe_enroll, _only({"parent": ("OK", "OK")})),
    # teachers take the guidance training: with a parent's enrolment or seat they find nothing of theirs
    "completeLesson": Case(contract_operation(FE, "CompleteLesson"), fe_complete_lesson,
                           _only({"parent": ("OK", "NOT_FOUND"), "teacher": ("NOT_FOUND", "NOT_FOUND")})),
    "rateCourse": Case(contract_operation(FE, "RateCourse"), fe_rate, _only({"parent": ("OK", "INVALID_STATE")})),
    "registerForCourseSession": Case(contract_operation(FE, "RegisterForCourseSession"), fe_register,
                                     _only({"parent": ("OK", "OK")})),
    "cancelCourseSessionRegistration": Case(contract_operation(FE, "CancelCourseSessionRegistration"),
                                            fe_cancel_registration, _only({
                                                "parent": ("OK", "NOT_FOUND"), "teacher": ("NOT_FOUND", "NOT_FOUND")})),
    "checkInToCourseSession": Case(contract_operation(FE, "CheckInToCourseSession"), fe_check_in, _only({
        "parent": ("OK", "INVALID_STATE"), "teacher": ("INVALID_STATE", "INVALID_STATE")})),
    "joinCourseSessionWaitlist": Case(contract_operation(FE_NEXT, "JoinCourseSessionWaitlist"),
                                      fe_join_waitlist, _only({"parent": ("OK", "OK")})),
    "leaveCourseSessionWaitlist": Case(contract_operation(FE_NEXT, "LeaveCourseSessionWaitlist"),
                                       fe_leave_waitlist, _only({"parent": ("OK", "NOT_FOUND"),
                                                                 "teacher": ("NOT_FOUND", "NOT_FOUND")})),
    # teachers' guidance training: for teachers; counsellors and administrators see it, nobody else
    "enrollInTeacherCourse": Case(
        "mutation E($courseId: ID!) { enrollInTeacherCourse: enrollInCourse(input: {courseId: $courseId}) "
        "{ enrollment { id } userErrors { code field message } } }", fe_teacher_course, _only(
            dict.fromkeys(("counsellor", "district_counsellor", "city_counsellor", "school_admin", "district_admin",
                           "city_admin"), ("INVALID_STATE", "INVALID_STATE"))
            | {"teacher": ("OK", "OK"), "parent": ("NOT_FOUND", "NOT_FOUND")})),
    "teacherCourseNode": Case("query C($courseId: ID!) { teacherCourseNode: node(id: $courseId) { id } }",
                              fe_teacher_course, _everyone("OK", "OK") | dict.fromkeys(
                                  ("parent", "instructor", "station_staff"), ("NULL", "NULL"))),
    "schoolTeacherTraining": Case(
        "query T($id: ID!) { schoolTeacherTraining: node(id: $id) { ... on School { teacherTraining(year: 2026) "
        "{ teachers } } } }", school_of_side, _everyone("NULL", "NULL") | ADMINS_IN_SCOPE_OR_NULL),
    "serviceStationsNear": Case(contract_operation(FE, "StationsNear"), fe_near, _everyone("OK", "OK")),
    "createServiceStation": Case(contract_operation(FE, "CreateServiceStation"), fe_create_station,
                                 _only(DISTRICT_ADMINS)),
    "assignInstructorToStation": Case(contract_operation(FE, "AssignInstructorToStation"), fe_assign,
                                      _only(DISTRICT_ADMINS | {"station_staff": ("OK", "DENIED")})),
    "instructors": Case(contract_operation(FE, "FindInstructors"), fe_instructors, _everyone("OK", "OK")),
    "certifyInstructor": Case(contract_operation(FE, "CertifyInstructor"), fe_certify, _only(DISTRICT_ADMINS)),
    "suspendInstructor": Case(SUSPEND, fe_suspend, _only(DISTRICT_ADMINS)),
    "setInstructorAvailability": Case(contract_operation(FE, "SetAvailability"), fe_availability,
                                      _only({"instructor": ("OK", "INVALID_INPUT")})),
    "consultations": Case(CONSULTATIONS, fe_consultations,
        _everyone("EMPTY", "EMPTY") | {"parent": ("OK", "EMPTY"), "instructor": ("OK", "EMPTY")}),
    "bookConsultation": Case(contract_operation(FE, "BookConsultation"), fe_book, _only({"parent": ("OK", "OK")})),
    "respondToConsultation": Case(contract_operation(FE, "RespondToConsultation"), fe_respond,
                                  _only({"instructor": ("OK", "NOT_FOUND")})),
    "cancelConsultation": Case(contract_operation(FE, "CancelConsultation"), fe_cancel_consultation,
                               _only({"parent": ("OK", "NOT_FOUND"), "instructor": ("OK", "NOT_FOUND")})),
    "completeConsultation": Case(contract_operation(FE, "CompleteConsultation"), fe_complete_consultation,
                                 _only({"instructor": ("OK", "NOT_FOUND")})),
    "rateConsultation": Case(RATE_CONSULTATION, fe_rate_consultation, _only({"parent": ("OK", "NOT_FOUND")})),
    # notifications
    "registerPushDevice": Case(contract_operation("notifications.graphql", "RegisterPushDevice"), push_device,
                               _everyone("OK", "OK")),
    "markNotificationsRead": Case(contract_operation("notifications.graphql", "MarkNotificationsRead"),
                                  mark_all_read, _everyone("OK", "OK")),
    # school notices: the sender's, and their recipients'
    "sendNotice": Case(contract_operation("notices.graphql", "SendNotice"), notice_send, _only({
        "teacher": ("OK", "NOT_FOUND"), "school_admin": ("OK", "NOT_FOUND"),
        "district_admin": ("NOT_FOUND", "NOT_FOUND")})),
    "readNotice": Case(contract_operation("notices.graphql", "ReadNotice"), notice_id,
                       _only({"parent": ("OK", "NOT_FOUND")})),
    "confirmNotice": Case(contract_operation("notices.graphql", "ConfirmNotice"), notice_confirm,
                          _only({"parent": ("OK", "NOT_FOUND")})),
    "remindUnconfirmedNotice": Case(contract_operation("notices.graphql", "RemindUnconfirmedNotice"), notice_id,
                                    _only(dict.fromkeys(("school_admin", "district_admin"), ("NOT_FOUND", "NOT_FOUND"))
                                          | {"teacher": ("OK", "NOT_FOUND")})),
    "recallNotice": Case(contract_operation("notices.graphql", "RecallNotice"), notice_id,
                         _only(dict.fromkeys(("school_admin", "district_admin"), ("NOT_FOUND", "NOT_FOUND"))
                               | {"teacher": ("OK", "NOT_FOUND")})),
    "noticeNode": Case("query N($id: ID!) { noticeNode: node(id: $id) { id } }", notice_node,
                       _everyone("NULL", "NULL") | {"parent": ("OK", "NULL"), "teacher": ("OK", "NULL")}),
    # the 静待花开 column: a district's episodes reach its people; its administrators and the city's edit them
    "columnEpisodes": Case(contract_operation("column.graphql", "ColumnEpisodes"), column_of_side,
                           _everyone("OK", "EMPTY") | {"city_admin": ("OK", "OK"),
                                                       "city_counsellor": ("EMPTY", "EMPTY")}),
    "columnFacets": Case(contract_operation("column.graphql", "ColumnFacets"), static(), _everyone("OK", "OK")),
    "createColumnEpisode": Case(contract_operation("column.graphql", "CreateColumnEpisode"), column_create,
                                _only({"city_admin": ("OK", "OK"), "district_admin": ("OK", "DENIED")})),
    "updateColumnEpisode": Case(contract_operation("column.graphql", "UpdateColumnEpisode"), column_update,
                                _only({"city_admin": ("OK", "OK"), "district_admin": ("OK", "NOT_FOUND")})),
    "setColumnEpisodePublished": Case(contract_operation("column.graphql", "UnpublishColumnEpisode"),
                                      column_episode_id,
                                      _only({"city_admin": ("OK", "OK"), "district_admin": ("OK", "NOT_FOUND")})),
    "recordColumnEpisodeProgress": Case(contract_operation("column.graphql", "RecordColumnEpisodeProgress"),
                                        column_progress, _everyone("OK", "NOT_FOUND") | {
                                            "city_admin": ("OK", "OK"),
                                            "city_counsellor": ("NOT_FOUND", "NOT_FOUND")}),
    # the roster sync: the city's administrators, and a district's for its schools (checked by the job)
    "startRosterImport": Case("""mutation R($input: StartRosterImportInput!) {
        startRosterImport(input: $input) { rosterImport { id status } userErrors { code } } }""", roster_file,
                              _only({"city_admin": ("OK", "OK"), "district_admin": ("OK", "OK")})),
    "rosterImports": Case("query { rosterImports { id status } }", static(),
                          _only({"city_admin": ("OK", "OK"), "district_admin": ("OK", "OK")})),
    "rosterImportNode": Case("query N($id: ID!) { rosterImportNode: node(id: $id) { id } }", roster_run_of_side,
                             _everyone("NULL", "NULL") | DISTRICT_ADMINS | {"district_admin": ("OK", "NULL")}),
    # the family's home address: always one's own (who reads it: tests/home_visits/test_home_address.py)
    "setHomeAddress": Case(contract_operation("home-address.graphql", "SetHomeAddress"),
                           static({"address": "昆都仑区钢铁大街 1 号"}), _only({"parent": ("OK", "OK")})),
}


def root_fields() -> list[str]:
    names = []
    served = graphql_schema(schema)
    for root in (served.query_type, served.mutation_type, served.subscription_type):
        if root is not None:
            names += list(root.fields)
    return names


def test_every_root_operation_has_a_rule_and_a_row():
    fields = set(root_fields())
    rows = set(MATRIX) | set(SUBSCRIPTIONS)
    assert sorted(fields - set(access.OPERATIONS)) == [], "add a rule to services.access.OPERATIONS"
    assert sorted(fields - rows) == [], "add a row to the authorization matrix"
    assert sorted(rows - fields) == sorted(BY_ID)  # rows of types reached by id or through a parent
    assert all(set(case.expect) == set(ROLES) for case in [*MATRIX.values(), *SUBSCRIPTIONS.values()])


def _outcome(body: dict[str, Any], field: str) -> str:
    codes = error_codes(body)
    if codes:
        assert len(codes) == 1, body
        return {"UNAUTHENTICATED": "UNAUTH", "FORBIDDEN": "DENIED"}[codes[0]]
    value = body["data"][field]
    if value is None:
        return "NULL"
    if isinstance(value, dict) and value.get("totalCount") == 0:
        return "EMPTY"
    if isinstance(value, dict) and len(value) == 1 and next(iter(value.values())) == []:
        return "EMPTY"  # a list under the object (a child's shared messages) that is empty for this viewer
    if isinstance(value, dict) and len(value) == 1 and next(iter(value.values())) is None:
        return "NULL"  # a figure under the object (a school's training) withheld from this viewer
    if isinstance(value, dict) and "userErrors" in value:
        return value["userErrors"][0]["code"] if value["userErrors"] else "OK"
    return "OK"


@pytest.mark.parametrize("operation", sorted(MATRIX))
async def test_operation_by_role(api, world, operation):
    case = MATRIX[operation]
    seen = {}
    for role, person_key in ROLES.items():
        token = world[person_key].token if person_key else None
        results = []
        for which in ("own", "other"):
            variables = await case.variables(world, which, role)
            body = await api.gql(case.document, variables, token=token)
            results.append(_outcome(body, operation))
        seen[role] = tuple(results)
    assert seen == case.expect


# --------------------------------------------------------------------------
# Subscriptions: every role subscribes at once; then something happens on the own side, then on
# the other side, and each role's outcome is whether it was told (OK) or not (NONE).


@dataclass
class SubscriptionCase:
    document: str
    #: makes something happen on a side; receives every subscribed person
    trigger: Callable[[World, str, list[Any]], Awaitable[None]]
    expect: dict[str, tuple[str, str]]


async def alert_on_side(world: World, which: str, people: list[Any]) -> None:
    await _alert(world, which)


async def notify_people(world: World, which: str, people: list[Any]) -> None:
    from tortoise.transactions import in_transaction

    from services import outbox
    from services.enums import NotificationKind
    from services.notifications.service import notify

    recipients = [p.user.id for p in people] if which == "own" else [(await make_person("旁人")).user.id]
    async with in_transaction() as tx:
        wakeups = await notify(recipients, kind=NotificationKind.SYSTEM, title_key="alert_title",
                               body_key="alert_title", using=tx)
    await outbox.flush(wakeups)


SUBSCRIPTIONS: dict[str, SubscriptionCase] = {
    "wellbeingAlertEvents": SubscriptionCase(
        contract_operation("wellbeing.graphql", "AlertEvents"), alert_on_side,
        _only({"counsellor": ("OK", "NONE"), "district_counsellor": ("NONE", "NONE"),
               "city_counsellor": ("NONE", "NONE")}),
    ),
    "notificationReceived": SubscriptionCase(
        contract_operation("notifications.graphql", "NotificationReceived"), notify_people,
        _everyone("OK", "NONE"),
    ),
}


async def _drain(client: Any, seconds: float) -> list[dict[str, Any]]:
    messages = []
    while True:
        try:
            messages.append(await client.receive(seconds))
        except TimeoutError:
            return messages


@pytest.mark.parametrize("operation", sorted(SUBSCRIPTIONS))
async def test_subscription_by_role(api, world, operation):
    from websockets.exceptions import ConnectionClosed

    from tests.ws import WsClient

    case = SUBSCRIPTIONS[operation]
    seen: dict[str, list[str]] = {"anonymous": []}
    try:
        await WsClient.connect(api.address, "no-token")
    except (AssertionError, ConnectionClosed):
        seen["anonymous"] = ["UNAUTH", "UNAUTH"]
    clients = {role: await WsClient.connect(api.address, world[key].token) for role, key in ROLES.items() if key}
    for client in clients.values():
        await client.subscribe(case.document)
    firsts = await asyncio.gather(*(_drain(client, 0.3) for client in clients.values()))
    for role, first in zip(clients, firsts, strict=True):
        seen[role] = ["DENIED", "DENIED"] if any(m["type"] == "error" or "errors" in m.get("payload", {})
                                                for m in first) else []
    subscribed = [world[ROLES[role]] for role in clients if not seen[role]]
    listening = [role for role in clients if not seen[role]]
    for which in ("own", "other"):
        await case.trigger(world, which, subscribed)
        received = await asyncio.gather(*(_drain(clients[role], 0.6) for role in listening))
        for role, messages in zip(listening, received, strict=True):
            seen[role].append("OK" if any(m["type"] == "next" for m in messages) else "NONE")
    for client in clients.values():
        await client.close()
    assert {role: tuple(outcomes) for role, outcomes in seen.items()} == case.expect
