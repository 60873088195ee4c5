"""Talking to the server the way the apps do, and building a small organisation to talk about."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tortoise.transactions import in_transaction

from schema.common.ids import to_global_id
from services import outbox, runtime
from services.enums import Gender, GuardianRelationship, Role, SchoolStage
from services.family_education.models import Instructor, InstructorStation
from services.identity import accounts, sessions
from services.identity.models import User
from services.identity.passwords import hash_password
from services.organisation.models import (
    ClassTeacher,
    District,
    Guardianship,
    RoleAssignment,
    School,
    SchoolClass,
    ServiceStation,
    Student,
)
from services.organisation.service import student_number_index

#: The documents the apps send, kept in the project (their origin is the team's contract).
CLIENTS = Path(__file__).resolve().parents[1] / "clients"
#: The team's contract, where a checkout has it beside the project (never needed to build or test).
TEAM_CONTRACT = Path(__file__).resolve().parents[2] / "shared" / "contract"


class Api:
    def __init__(self, client: httpx.AsyncClient, address: str) -> None:
        self.client = client
        self.address = address

    async def post(self, query: str, variables: dict | None = None, *, token: str | None = None,
                   headers: dict[str, str] | None = None, operation_name: str | None = None) -> httpx.Response:
        all_headers = {"content-type": "application/json", **(headers or {})}
        if token:
            all_headers["authorization"] = f"Bearer {token}"
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation_name:
            body["operationName"] = operation_name
        return await self.client.post("/graphql", json=body, headers=all_headers)

    async def gql(self, query: str, variables: dict | None = None, *, token: str | None = None,
                  headers: dict[str, str] | None = None, operation_name: str | None = None) -> dict[str, Any]:
        """The JSON of a 200 response."""
        response = await self.post(query, variables, token=token, headers=headers, operation_name=operation_name)
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict | None = None, *, token: str | None = None,
                   headers: dict[str, str] | None = None) -> dict[str, Any]:
        """The data of a response that must have no top-level errors."""
        body = await self.gql(query, variables, token=token, headers=headers)
        assert "errors" not in body, body["errors"]
        return body["data"]


async def statement_count(api: Api, query: str, variables: dict[str, Any], token: str) -> int:
    """SQL statements of one request in steady use (the server's dev header): requested until two in a
    row agree, since a change just made may still be invalidating the cached principal."""
    counts: list[int] = []
    while len(counts) < 2 or counts[-1] != counts[-2]:
        assert len(counts) < 8, f"the statement count does not settle: {counts}"
        response = await api.post(query, variables, token=token)
        assert "errors" not in response.json(), response.json()
        counts.append(int(response.headers["x-sql-statements"]))
    return counts[-1]


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def user_error_codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


_phones = itertools.count(13800000001)


def next_phone() -> str:
    return str(next(_phones))


PASSWORD = "Coedu-2026-secret"


@dataclass
class Person:
    user: User
    phone: str
    token: str = ""
    refresh_token: str = ""

    @property
    def id(self) -> str:
        return to_global_id("User", self.user.id)


async def make_person(name: str, *grants: tuple[Role, dict[str, Any]], password: str | None = PASSWORD,
                      sign_in: bool = True) -> Person:
    """An activated account with these role grants, signed in (fast path, straight into the services)."""
    phone = next_phone()
    async with in_transaction() as tx:
        user, _ = await accounts.find_or_create_user(phone, name, using=tx)
        if password is not None:
            user.password_hash = await hash_password(password)
            user.activated_at = dt.datetime.now(dt.UTC)
            await user.save(using_db=tx)
        for role, scope in grants:
            await RoleAssignment.create(user_id=user.id, role=role, using_db=tx, **scope)
        issued = await sessions.start(user.id, using=tx) if sign_in else None
    person = Person(user, phone)
    if issued:
        person.token, person.refresh_token = issued.access_token, issued.refresh_token
    return person


_numbers = itertools.count(1)


async def make_student(name: str, school_class: SchoolClass, *guardians: Person,
                       relationship: GuardianRelationship = GuardianRelationship.MOTHER) -> Student:
    from services.ids import new_id

    number = f"G{next(_numbers):012d}"
    student_id = new_id()
    sealed = runtime.current().crypto.sealer.seal(number, table="student", column="student_number", row=student_id)
    student = await Student.create(
        id=student_id, display_name=name, gender=Gender.FEMALE, birth_date=dt.date(2017, 5, 1),
        student_number_index=student_number_index(number), student_number_sealed=sealed,
        school_class_id=school_class.id, school_id=school_class.school_id,  # type: ignore[attr-defined]
    )
    for index, guardian in enumerate(guardians):
        await Guardianship.create(student_id=student.id, guardian_id=guardian.user.id, relationship=relationship,
                                  is_primary=index == 0)
    return student


@dataclass
class World:
    """A small city: two districts, three schools, people in every role, students with guardians."""

    district_a: District
    district_b: District
    school_a: School  # primary pilot school in district A
    school_a2: School  # junior secondary in district A
    school_b: School  # primary in district B
    class_a1: SchoolClass
    class_a2: SchoolClass
    class_b1: SchoolClass
    station_a: ServiceStation
    instructor: Instructor  # the "instructor" person's certification
    people: dict[str, Person] = field(default_factory=dict)
    students: dict[str, Student] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Person:
        return self.people[name]

    def gid(self, obj: Any) -> str:
        return to_global_id(type(obj).__name__, obj.id)


async def build_world() -> World:
    districts = await District.all().order_by("position")
    district_a, district_b = districts[0], districts[1]
    school_a = await School.create(district_id=district_a.id, name="昆都仑区第一小学", stage=SchoolStage.PRIMARY,
                                   is_family_education_pilot=True)
    school_a2 = await School.create(district_id=district_a.id, name="昆都仑区第一中学",
                                    stage=SchoolStage.JUNIOR_SECONDARY)
    school_b = await School.create(district_id=district_b.id, name="青山区实验小学", stage=SchoolStage.PRIMARY)
    station_a = await ServiceStation.create(
        district_id=district_a.id, name="友谊社区家庭教育服务站", community="友谊社区",
        address="昆都仑区友谊大街 20 号",
        latitude=40.6562, longitude=109.8403, services=["家庭教育咨询"],
        opening_hours=[{"weekday": d, "opensAt": "08:00", "closesAt": "20:00"} for d in range(1, 8)])

    people: dict[str, Person] = {}
    people["city_admin"] = await make_person("市管理员", (Role.CITY_ADMIN, {}))
    people["district_admin_a"] = await make_person("昆区管理员", (Role.DISTRICT_ADMIN, {"district_id": district_a.id}))
    people["district_admin_b"] = await make_person("青山管理员", (Role.DISTRICT_ADMIN, {"district_id": district_b.id}))
    people["school_admin_a"] = await make_person("一小管理员", (Role.SCHOOL_ADMIN, {"school_id": school_a.id}))
    people["school_admin_b"] = await make_person("实小管理员", (Role.SCHOOL_ADMIN, {"school_id": school_b.id}))
    people["teacher_a"] = await make_person("王老师", (Role.TEACHER, {"school_id": school_a.id}))
    people["teacher_a_other"] = await make_person("李老师", (Role.TEACHER, {"school_id": school_a.id}))
    people["teacher_b"] = await make_person("赵老师", (Role.TEACHER, {"school_id": school_b.id}))
    people["counsellor_a"] = await make_person("一小心理老师", (Role.COUNSELLOR, {"school_id": school_a.id}))
    people["counsellor_b"] = await make_person("实小心理老师", (Role.COUNSELLOR, {"school_id": school_b.id}))
    people["district_counsellor_a"] = await make_person(
        "昆区心理中心", (Role.COUNSELLOR, {"district_id": district_a.id}))
    people["city_counsellor"] = await make_person("市心理中心", (Role.COUNSELLOR, {}))
    people["instructor"] = await make_person("家庭教育指导师", (Role.INSTRUCTOR, {"district_id": district_a.id}))
    people["station_staff"] = await make_person("服务站工作人员", (Role.STATION_STAFF, {"station_id": station_a.id}))
    people["parent_a"] = await make_person("张妈妈", (Role.PARENT, {}))
    people["parent_a2"] = await make_person("陈爸爸", (Role.PARENT, {}))
    people["parent_b"] = await make_person("刘妈妈", (Role.PARENT, {}))

    class_a1 = await SchoolClass.create(school_id=school_a.id, grade=3, name="三年级1班",
                                        homeroom_teacher_id=people["teacher_a"].user.id)
    class_a2 = await SchoolClass.create(school_id=school_a.id, grade=3, name="三年级2班",
                                        homeroom_teacher_id=people["teacher_a_other"].user.id)
    class_b1 = await SchoolClass.create(school_id=school_b.id, grade=3, name="三年级1班",
                                        homeroom_teacher_id=people["teacher_b"].user.id)
    await ClassTeacher.create(school_class_id=class_a1.id, teacher_id=people["teacher_a_other"].user.id,
                              subject="数学")
    students = {
        "a": await make_student("张小明", class_a1, people["parent_a"]),
        "a2": await make_student("陈小红", class_a2, people["parent_a2"]),
        "b": await make_student("刘小刚", class_b1, people["parent_b"]),
    }
    # the world's instructor is certified (two years more to go) and on duty at station A
    instructor = await Instructor.create(
        user_id=people["instructor"].user.id, certificate_number="BTJY-2025-0001", certified_on=dt.date(2025, 1, 1),
        expires_on=dt.datetime.now(dt.UTC).date() + dt.timedelta(days=730), specialties=["亲子沟通", "青春期"],
        district_id=district_a.id)
    await InstructorStation.create(instructor_id=instructor.id, station_id=station_a.id)
    await outbox.RedisOutbox.all().delete()
    return World(district_a, district_b, school_a, school_a2, school_b, class_a1, class_a2, class_b1, station_a,
                 instructor, people, students)


def contract_operation(file_name: str, operation: str) -> str:
    """An operation of the client contract, with the fragments it uses, as the apps send it."""
    from graphql import parse

    from api.documents import operations

    path = CLIENTS / "operations" / file_name
    return operations(parse(path.read_text(encoding="utf-8")))[operation]


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text, 0 when it is absent."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = "^" + re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)$"
    found = re.search(pattern, text, flags=re.MULTILINE)
    return float(found.group(1)) if found else 0.0


class HeldClock:
    """The throttles' clock held still (services.ratelimit.clock), moved on only when told: a burst
    of concurrent attempts then happens at one instant however slowly a loaded machine serves it."""

    def __init__(self, monkeypatch: Any) -> None:
        import time

        from services import ratelimit

        self.now = time.time()
        monkeypatch.setattr(ratelimit, "clock", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


def hold_subscribe(redis: Any, channel: str, asked: asyncio.Event, release: asyncio.Event) -> None:
    """The hub's SUBSCRIBE of ``channel`` held back until ``release``: Redis has the channel late, as
    behind a busy event loop or a slow Redis. Every other command goes through as it comes."""
    make_pubsub = redis.pubsub

    def pubsub() -> Any:
        subscription = make_pubsub()
        subscribe = subscription.subscribe

        async def held(*channels: str) -> Any:
            if channel in channels:
                asked.set()
                await release.wait()
            return await subscribe(*channels)

        subscription.subscribe = held
        return subscription

    redis.pubsub = pubsub
