"""Changes to the organisation: schools, classes, teachers, students, guardians and roles.

Each function checks the actor's authority through ``services.access``,
validates the whole input (every failure reported), and writes in one
transaction; whatever must reach Redis goes through the outbox after commit.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from services import access, audit, db, outbox, runtime
from services.access import Principal, RoleGrant
from services.enums import AuditAction, Gender, GuardianRelationship, Role, SchoolStage
from services.errors import Checks, ErrorCode, UserErrors
from services.identity import principals
from services.identity.accounts import (
    Account,
    IssuedInvitation,
    find_or_create_user,
    find_or_create_users,
    invite,
    invite_if_inactive,
    require_phone,
)
from services.identity.models import User
from services.ids import new_id
from services.messages import Ref
from services.organisation import home_addresses
from services.organisation.models import (
    ClassTeacher,
    District,
    Guardianship,
    RoleAssignment,
    School,
    SchoolClass,
    ServiceStation,
    Student,
    StudentTransfer,
)
from services.wellbeing import alerts as wellbeing

GRADES_BY_STAGE: dict[SchoolStage, range] = {
    SchoolStage.PRIMARY: range(1, 7),
    SchoolStage.JUNIOR_SECONDARY: range(7, 10),
    SchoolStage.NINE_YEAR: range(1, 10),
    SchoolStage.SENIOR_SECONDARY: range(10, 13),
}
_STUDENT_NUMBER = re.compile(r"[A-Z0-9]{5,32}")


def _is_unique_violation(error: IntegrityError, column: str) -> bool:
    return column in db.unique_violation_columns(error)


# --------------------------------------------------------------------------
# Schools and classes.


async def create_school(actor: Principal, *, district_id: uuid.UUID | None, name: str, stage: SchoolStage,
                        is_pilot: bool, address: str | None) -> School:
    checks = Checks()
    district = await District.get_or_none(id=district_id) if district_id else None
    if district is None:
        checks.add(ErrorCode.NOT_FOUND, "not_found", "districtId")
    clean_name = checks.text("name", name, max_length=100)
    clean_address = checks.text("address", address, max_length=200, required=False)
    checks.raise_if_any()
    assert district is not None
    access.require(access.may_administer_district(actor, district.id))
    try:
        return await School.create(
            district_id=district.id, name=clean_name, stage=stage, is_family_education_pilot=is_pilot,
            address=clean_address,
        )
    except IntegrityError as error:
        if _is_unique_violation(error, "name"):
            raise UserErrors.one(ErrorCode.CONFLICT, "school_name_taken", "name") from error
        raise


UNSET = object()


async def update_school(actor: Principal, *, school_id: uuid.UUID | None, name: str | None = None,
                        is_pilot: bool | None = None, address: object = UNSET) -> School:
    """Change what is given; ``address=None`` clears the address, leaving it out keeps it."""
    school = await School.get_or_none(id=school_id) if school_id else None
    if school is None:
        raise UserErrors.not_found("schoolId")
    district_id = school.district_id
    access.require(access.may_administer_school(actor, school.id, district_id))
    if is_pilot is not None and is_pilot != school.is_family_education_pilot:
        access.require(access.may_set_pilot_flag(actor, district_id))
    checks = Checks()
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = checks.text("name", name, max_length=100)
    if address is not UNSET:
        assert address is None or isinstance(address, str)
        changes["address"] = checks.text("address", address, max_length=200, required=False)
    if is_pilot is not None:
        changes["is_family_education_pilot"] = is_pilot
    checks.raise_if_any()
    if changes:
        try:
            await School.filter(id=school.id).update(**changes)
        except IntegrityError as error:
            if _is_unique_violation(error, "name"):
                raise UserErrors.one(ErrorCode.CONFLICT, "school_name_taken", "name") from error
            raise
        await school.refresh_from_db()
    return school


async def _teacher_of_school(user_id: uuid.UUID | None, school_id: uuid.UUID,
                             using: BaseDBAsyncClient | None = None) -> bool:
    if user_id is None:
        return False
    query = RoleAssignment.filter(user_id=user_id, role=Role.TEACHER, school_id=school_id)
    return await (query.using_db(using) if using else query).exists()


async def create_school_class(actor: Principal, *, school_id: uuid.UUID | None, grade: int, name: str,
                              homeroom_teacher_id: uuid.UUID | None, homeroom_given: bool) -> SchoolClass:
    school = await School.get_or_none(id=school_id) if school_id else None
    if school is None:
        raise UserErrors.not_found("schoolId")
    access.require(access.may_administer_school(actor, school.id, school.district_id))
    checks = Checks()
    if grade not in GRADES_BY_STAGE[school.stage]:
        checks.invalid("grade", "grade_not_in_stage", grade=grade)
    clean_name = checks.text("name", name, max_length=50)
    if homeroom_given and not await _teacher_of_school(homeroom_teacher_id, school.id):
        checks.invalid("homeroomTeacherId", "not_a_teacher_of_school")
    checks.raise_if_any()
    try:
        return await SchoolClass.create(
            school_id=school.id, grade=grade, name=clean_name, homeroom_teacher_id=homeroom_teacher_id
        )
    except IntegrityError as error:
        if _is_unique_violation(error, "name"):
            raise UserErrors.one(ErrorCode.CONFLICT, "class_name_taken", "name") from error
        raise


async def _class_with_school(class_id: uuid.UUID | None) -> SchoolClass | None:
    if class_id is None:
        return None
    return await SchoolClass.get_or_none(id=class_id).select_related("school")


async def assign_class_teacher(actor: Principal, *, class_id: uuid.UUID | None, teacher_id: uuid.UUID | None,
                               subject: str | None) -> SchoolClass:
    school_class = await _class_with_school(class_id)
    if school_class is None:
        raise UserErrors.not_found("schoolClassId")
    school = school_class.school
    access.require(access.may_administer_school(actor, school.id, school.district_id))
    checks = Checks()
    clean_subject = checks.text("subject", subject, max_length=32, required=False)
    if not await _teacher_of_school(teacher_id, school.id):
        checks.invalid("teacherId", "not_a_teacher_of_school")
    checks.raise_if_any()
    try:
        await ClassTeacher.create(school_class_id=school_class.id, teacher_id=teacher_id, subject=clean_subject)
    except IntegrityError as error:
        raise UserErrors.one(ErrorCode.CONFLICT, "already_class_teacher", "teacherId") from error
    return school_class


# --------------------------------------------------------------------------
# Roles.

_SCOPES: dict[Role, set[str]] = {
    Role.TEACHER: {"school"},
    Role.SCHOOL_ADMIN: {"school"},
    Role.COUNSELLOR: {"school", "district", "city"},
    Role.DISTRICT_ADMIN: {"district"},
    Role.CITY_ADMIN: {"city"},
    Role.STATION_STAFF: {"station"},
}
_SCOPE_MESSAGE = {
    frozenset({"school"}): "school",
    frozenset({"district"}): "district",
    frozenset({"station"}): "station",
    frozenset({"city"}): "city",
    frozenset({"school", "district", "city"}): "school_or_district_or_city",
}


@dataclass(frozen=True)
class Scope:
    school_id: uuid.UUID | None = None
    district_id: uuid.UUID | None = None
    station_id: uuid.UUID | None = None


async def _resolve_grant(checks: Checks, role: Role, scope: Scope, *, given: dict[str, bool]) -> RoleGrant | None:
    """Check the scope fits the role and exists; returns the grant with its district filled in."""
    if role not in _SCOPES:
        checks.invalid("role", "role_not_assignable")
        return None
    kinds = [k for k in ("school", "district", "station") if given[k]]
    kind = kinds[0] if len(kinds) == 1 else ("city" if not kinds else None)
    if kind is None or kind not in _SCOPES[role]:
        expected = _SCOPE_MESSAGE[frozenset(_SCOPES[role])]
        checks.invalid("role", "role_scope_invalid", expected=Ref("scope_" + expected))
        return None
    if kind == "school":
        school = await School.get_or_none(id=scope.school_id) if scope.school_id else None
        if school is None:
            checks.add(ErrorCode.NOT_FOUND, "not_found", "schoolId")
            return None
        return RoleGrant(role, school_id=school.id, in_district_id=school.district_id)
    if kind == "district":
        district = await District.get_or_none(id=scope.district_id) if scope.district_id else None
        if district is None:
            checks.add(ErrorCode.NOT_FOUND, "not_found", "districtId")
            return None
        return RoleGrant(role, district_id=district.id, in_district_id=district.id)
    if kind == "station":
        station = await ServiceStation.get_or_none(id=scope.station_id) if scope.station_id else None
        if station is None:
            checks.add(ErrorCode.NOT_FOUND, "not_found", "stationId")
            return None
        return RoleGrant(role, station_id=station.id, in_district_id=station.district_id)
    return RoleGrant(role)


async def assign_role(actor: Principal, *, phone: str, display_name: str, role: Role, scope: Scope,
                      given: dict[str, bool]) -> tuple[User, IssuedInvitation | None]:
    """Grant ``role`` in ``scope`` to the person with this phone, inviting them if they are new."""
    checks = Checks()
    clean_phone = require_phone(checks, "phone", phone)
    name = checks.text("displayName", display_name, max_length=64)
    grant = await _resolve_grant(checks, role, scope, given=given)
    checks.raise_if_any()
    assert grant is not None
    assert clean_phone is not None
    assert name is not None
    access.require(access.may_assign_role(actor, grant))
    async with in_transaction() as tx:
        user, _ = await find_or_create_user(clean_phone, name, using=tx)
        try:
            async with in_transaction() as savepoint:
                await RoleAssignment.create(
                    user_id=user.id, role=role, school_id=grant.school_id, district_id=grant.district_id,
                    station_id=grant.station_id, granted_by_id=actor.user_id, using_db=savepoint,
                )
        except IntegrityError as error:
            raise UserErrors.one(ErrorCode.CONFLICT, "role_already_held", "role") from error
        invitation = await invite_if_inactive(user, invited_by=actor.user_id, using=tx)
        await audit.record(AuditAction.ROLE_CHANGE, actor_id=actor.user_id, subject_type="User",
                           subject_id=user.id, using=tx)
        entries = await principals.access_changed(user.id, using=tx)
    await outbox.flush(entries)
    return user, invitation


async def revoke_role(actor: Principal, *, user_id: uuid.UUID | None, role: Role, scope: Scope,
                      given: dict[str, bool]) -> User:
    """Take a role away; the person's access tokens lose it on their next request."""
    user = await User.filter(id=user_id).filter(access.visible_users(actor)).first() if user_id else None
    if user is None:
        raise UserErrors.not_found("userId")
    checks = Checks()
    grant = await _resolve_grant(checks, role, scope, given=given)
    checks.raise_if_any()
    assert grant is not None
    access.require(access.may_assign_role(actor, grant))
    async with in_transaction() as tx:
        held = RoleAssignment.filter(
            user_id=user.id, role=role, school_id=grant.school_id, district_id=grant.district_id,
            station_id=grant.station_id,
        ).using_db(tx)
        if not await held.exists():
            raise UserErrors.one(ErrorCode.NOT_FOUND, "role_not_held", "role")
        if role == Role.CITY_ADMIN:
            # Serialise revocations of city administrators so two cannot remove the last two at once.
            await tx.execute_query("SELECT pg_advisory_xact_lock(hashtext('city-admin-revocation'))")
            if await RoleAssignment.filter(role=Role.CITY_ADMIN).using_db(tx).count() <= 1:
                raise UserErrors.one(ErrorCode.INVALID_STATE, "last_city_admin", "role")
        await held.delete()
        if role == Role.TEACHER and grant.school_id:
            # A former teacher of the school no longer teaches its classes.
            class_ids = Subquery(SchoolClass.filter(school_id=grant.school_id).values("id"))
            await ClassTeacher.filter(teacher_id=user.id, school_class_id__in=class_ids).using_db(tx).delete()
            await SchoolClass.filter(school_id=grant.school_id, homeroom_teacher_id=user.id).using_db(tx).update(
                homeroom_teacher_id=None
            )
        await audit.record(AuditAction.ROLE_CHANGE, actor_id=actor.user_id, subject_type="User",
                           subject_id=user.id, using=tx)
        entries = await principals.access_changed(user.id, using=tx)
    await outbox.flush(entries)
    return user


# --------------------------------------------------------------------------
# Students and guardians.


def clean_student_number(checks: Checks, field: str, raw: str | None) -> str:
    """The 学籍号 as stored: trimmed, upper case."""
    number = (raw or "").strip().upper()
    if not _STUDENT_NUMBER.fullmatch(number):
        checks.invalid(field, "invalid_student_number")
    return number


def check_birth_date(checks: Checks, field: str, birth_date: dt.date, today: dt.date) -> None:
    age_years = (today - birth_date).days / 365.25
    if not 2 <= age_years <= 25:
        checks.invalid(field, "birth_date_implausible")


def student_number_index(number: str) -> str:
    return runtime.current().crypto.blind_index.digest("student-number", number)


async def enroll_student(actor: Principal, *, class_id: uuid.UUID | None, display_name: str, gender: Gender,
                         birth_date: dt.date, student_number: str) -> Student:
    school_class = await _class_with_school(class_id)
    if school_class is None:
        raise UserErrors.not_found("schoolClassId")
    school = school_class.school
    access.require(access.may_administer_school(actor, school.id, school.district_id))
    checks = Checks()
    name = checks.text("displayName", display_name, max_length=64)
    number = clean_student_number(checks, "studentNumber", student_number)
    check_birth_date(checks, "birthDate", birth_date, (await db.now()).date())
    checks.raise_if_any()
    assert name is not None
    try:
        async with in_transaction() as tx:
            [student_id] = await new_students([NewStudent(school_class.id, school.id, name, gender, birth_date,
                                                          number)], using=tx)
    except IntegrityError as error:
        if _is_unique_violation(error, "student_number_index"):
            raise UserErrors.one(ErrorCode.CONFLICT, "student_number_taken", "studentNumber") from error
        raise
    return await Student.get(id=student_id)


@dataclass(frozen=True)
class NewStudent:
    class_id: uuid.UUID
    school_id: uuid.UUID
    display_name: str
    gender: Gender
    birth_date: dt.date
    #: Checked by the caller (clean_student_number).
    student_number: str


_NEW_STUDENTS = """
INSERT INTO student (id, display_name, gender, birth_date, student_number_index, student_number_sealed,
                     school_class_id, school_id, created_at)
SELECT id, name, gender, born, number_index, sealed, class_id, school_id, now()
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::text[], $6::bytea[], $7::uuid[], $8::uuid[])
       AS t(id, name, gender, born, number_index, sealed, class_id, school_id)
"""


async def new_students(students: list[NewStudent], *, using: BaseDBAsyncClient) -> list[uuid.UUID]:
    """Student rows, each number sealed to its row and blind-indexed, in one statement; their ids."""
    ids = [new_id() for _ in students]
    sealer = runtime.current().crypto.sealer
    await using.execute_query(_NEW_STUDENTS, [
        ids, [s.display_name for s in students], [s.gender.value for s in students],
        [s.birth_date for s in students], [student_number_index(s.student_number) for s in students],
        [sealer.seal(s.student_number, table="student", column="student_number", row=i)
         for s, i in zip(students, ids, strict=True)],
        [s.class_id for s in students], [s.school_id for s in students]])
    return ids


async def visible_student(actor: Principal, student_id: uuid.UUID | None, field: str) -> Student:
    """The student, if the actor may see them; otherwise NOT_FOUND, exactly as for a missing one."""
    student = (
        await Student.filter(id=student_id).filter(access.visible_students(actor)).select_related(
            "school", "school_class"
        ).first()
        if student_id
        else None
    )
    if student is None:
        raise UserErrors.not_found(field)
    return student


async def link_guardian(actor: Principal, *, student_id: uuid.UUID | None, phone: str, display_name: str,
                        relationship: GuardianRelationship, is_primary: bool,
                        home_address: str | None = None) -> tuple[Guardianship, IssuedInvitation | None]:
    student = await visible_student(actor, student_id, "studentId")
    school = student.school
    access.require(access.may_link_guardian(
        actor, school_id=school.id, district_id=school.district_id,
        homeroom_teacher_id=student.school_class.homeroom_teacher_id,
    ))
    checks = Checks()
    clean_phone = require_phone(checks, "phone", phone)
    name = checks.text("displayName", display_name, max_length=64)
    address = checks.text("homeAddress", home_address, max_length=home_addresses.MAX_LENGTH,
                          min_length=home_addresses.MIN_LENGTH, required=False)
    checks.raise_if_any()
    assert clean_phone is not None
    assert name is not None
    async with in_transaction() as tx:
        guardian = (await find_or_create_users({clean_phone: name}, using=tx))[clean_phone]
        if await Guardianship.filter(student_id=student.id, guardian_id=guardian.id).using_db(tx).exists():
            raise UserErrors.one(ErrorCode.CONFLICT, "already_guardian", "phone")
        invitations, entries = await add_guardians(
            [NewGuardian(student.id, guardian, relationship, is_primary, address)], actor_id=actor.user_id,
            using=tx)
        guardianship = await Guardianship.get(student_id=student.id, guardian_id=guardian.id, using_db=tx)
    await outbox.flush(entries)
    return guardianship, invitations.get(guardian.id)


@dataclass(frozen=True)
class NewGuardian:
    """A guardian to link to a student they are not yet linked to."""

    student_id: uuid.UUID
    guardian: Account
    relationship: GuardianRelationship
    is_primary: bool
    home_address: str | None = None
    #: Made by a roster sync (``Guardianship.from_roster``).
    from_roster: bool = False


_NOT_PRIMARY = "UPDATE guardianship SET is_primary = false WHERE student_id = ANY($1) AND is_primary"
_LINK = """
INSERT INTO guardianship (id, student_id, guardian_id, relationship, is_primary, from_roster, created_at)
SELECT id, student_id, guardian_id, relationship, is_primary, from_roster, now()
  FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::bool[], $6::bool[])
       AS t(id, student_id, guardian_id, relationship, is_primary, from_roster)
"""
_PARENT_ROLE = """
INSERT INTO role_assignment (id, user_id, role, granted_by_id, created_at)
SELECT gen_random_uuid(), u, 'PARENT', $2, now() FROM unnest($1::uuid[]) AS u
 WHERE NOT EXISTS (SELECT 1 FROM role_assignment r WHERE r.user_id = u AND r.role = 'PARENT')
RETURNING user_id
"""


async def add_guardians(links: list[NewGuardian], *, actor_id: uuid.UUID | None, using: BaseDBAsyncClient
                        ) -> tuple[dict[uuid.UUID, IssuedInvitation], list[outbox.RedisOutbox]]:
    """Link each guardian to their student, in a handful of statements whatever their number: the
    PARENT role for those who lack it, the address when the family has none on file, a fresh
    invitation for each account not yet activated. Returns the invitations by guardian; flush the
    entries after commit."""
    if not links:
        return {}, []
    primaries = sorted({link.student_id for link in links if link.is_primary})
    if primaries:
        await using.execute_query(_NOT_PRIMARY, [primaries])
    await using.execute_query(_LINK, [
        [new_id() for _ in links], [link.student_id for link in links], [link.guardian.id for link in links],
        [link.relationship.value for link in links], [link.is_primary for link in links],
        [link.from_roster for link in links]])
    addresses = {link.guardian.id: link.home_address for link in links if link.home_address}
    await home_addresses.set_on_behalf(actor_id, addresses, using)
    guardians = {link.guardian.id: link.guardian for link in links}
    gained = await using.execute_query_dict(_PARENT_ROLE, [sorted(guardians), actor_id])
    entries: list[outbox.RedisOutbox] = []
    for row in gained:
        # An account made in this transaction has never signed in: no principal of it is cached.
        if not guardians[row["user_id"]].created:
            entries += await principals.access_changed(row["user_id"], using=using)
    inactive = frozenset(g.id for g in guardians.values() if not g.active)
    return await invite(inactive, invited_by=actor_id, using=using), entries


async def transfer_student(actor: Principal, *, student_id: uuid.UUID | None, to_class_id: uuid.UUID | None,
                           reason: str) -> tuple[Student, StudentTransfer]:
    """Move a student to another class, of the same or another school (a new school stage, say).

    The actor needs authority over the school the student leaves and the one they join.
    """
    student = await visible_student(actor, student_id, "studentId")
    target = await _class_with_school(to_class_id)
    checks = Checks()
    if target is None:
        checks.add(ErrorCode.NOT_FOUND, "not_found", "toSchoolClassId")
    clean_reason = checks.text("reason", reason, max_length=200)
    checks.raise_if_any()
    assert target is not None
    assert clean_reason is not None
    source_school, target_school = student.school, target.school
    access.require(access.may_transfer(
        actor,
        source=(source_school.id, source_school.district_id),
        target=(target_school.id, target_school.district_id),
    ))
    if target.id == student.school_class_id:
        raise UserErrors.one(ErrorCode.INVALID_STATE, "same_class", "toSchoolClassId")
    async with in_transaction() as tx:
        transfer, wakeups = await move_student(student.id, to_class_id=target.id, to_school_id=target_school.id,
                                               reason=clean_reason, actor_id=actor.user_id, using=tx)
    await outbox.flush(wakeups)
    student.school_class_id = target.id
    student.school_id = target_school.id
    return student, transfer


async def move_student(student_id: uuid.UUID, *, to_class_id: uuid.UUID, to_school_id: uuid.UUID, reason: str,
                       actor_id: uuid.UUID | None, using: BaseDBAsyncClient
                       ) -> tuple[StudentTransfer, list[outbox.RedisOutbox]]:
    """The move itself, in the caller's transaction: recorded, and, to another school, the
    wellbeing record handed off (its alerts follow the student). Flush the returned entries after commit."""
    # Lock the student so two concurrent transfers are applied one after the other.
    locked = await Student.select_for_update().using_db(using).get(id=student_id)
    transfer = await StudentTransfer.create(
        student_id=student_id, from_class_id=locked.school_class_id,
        to_class_id=to_class_id, from_school_id=locked.school_id,
        to_school_id=to_school_id, reason=reason, transferred_by_id=actor_id, using_db=using,
    )
    await Student.filter(id=student_id).using_db(using).update(school_class_id=to_class_id, school_id=to_school_id)
    wakeups: list[outbox.RedisOutbox] = []
    if to_school_id != locked.school_id:
        wakeups = await wellbeing.hand_off(student_id, actor_id=actor_id, using=using)
    return transfer, wakeups
