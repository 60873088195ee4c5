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

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from schema import schema
from services import access
from services.enums import Role
from services.identity.accounts import invite_if_inactive
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
    return {"first": 5}


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
ADMINS_SEEING = {"city_admin": ("OK", "OK"), "district_admin": ("OK", "NOT_FOUND"), "school_admin": ("OK", "NOT_FOUND")}

MATRIX: dict[str, Case] = {
    # queries
    "viewer": Case(contract_operation("account.graphql", "Viewer"), static(), _everyone("OK", "OK")),
    "privacyNotice": Case("query { privacyNotice { version } }", static(), _everyone("OK", "OK", anonymous="OK")),
    "node": Case("query Node($id: ID!) { node(id: $id) { id } }", node_student, STUDENT_VISIBILITY),
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
}


def root_fields() -> list[str]:
    names = []
    for root in (schema._schema.query_type, schema._schema.mutation_type, schema._schema.subscription_type):
        if root is not None:
            names += list(root.fields)
    return names


def test_every_root_operation_has_a_rule_and_a_row():
    fields = set(root_fields())
    assert sorted(fields - set(access.OPERATIONS)) == [], "add a rule to services.access.OPERATIONS"
    assert sorted(fields - set(MATRIX)) == [], "add a row to the authorization matrix"
    assert sorted(set(MATRIX) - fields) == []
    assert all(set(case.expect) == set(ROLES) for case in MATRIX.values())


def _outcome(body: dict[str, Any], field: str) -> str:
    codes = error_codes(body)
    if codes:
        assert len(codes) == 1, body
        return {"UNAUTHENTICATED": "UNAUTH", "FORBIDDEN": "DENIED"}[codes[0]]
    value = body["data"][field]
    if value is None:
        return "NULL"
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
