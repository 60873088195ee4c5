"""Districts, schools, classes, students, guardians and role assignments."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.expressions import Q
from tortoise.fields.db_defaults import Now
from tortoise.models import Model

from services.enums import Gender, GuardianRelationship, Role, SchoolStage
from services.ids import new_id

if TYPE_CHECKING:
    from services.identity.models import User


class District(Model):
    """One of the city's ten districts, banners and counties (reference data)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=32)
    name_en = fields.CharField(max_length=64)
    position = fields.SmallIntField()

    class Meta:
        table = "district"


class School(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    district: fields.ForeignKeyRelation[District] = fields.ForeignKeyField(
        "coedu.District", related_name=False, on_delete=fields.RESTRICT)
    district_id: uuid.UUID  # the column behind `district`, made by tortoise; declared for type checkers
    name = fields.CharField(max_length=100, unique=True)
    stage = fields.CharEnumField(SchoolStage, max_length=20)
    is_family_education_pilot = fields.BooleanField(default=False)
    address = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "school"
        indexes = (("district_id", "name"),)


class ServiceStation(Model):
    """A community service station for family education."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    district: fields.ForeignKeyRelation[District] = fields.ForeignKeyField(
        "coedu.District", related_name=False, on_delete=fields.RESTRICT)
    district_id: uuid.UUID
    name = fields.CharField(max_length=100)
    community = fields.CharField(max_length=100, default="")
    address = fields.CharField(max_length=200, default="")
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    phone = fields.CharField(max_length=32, null=True)
    services: fields.JSONField[list[str]] = fields.JSONField(default=list)
    #: [{"weekday": 1..7, "opensAt": "HH:MM", "closesAt": "HH:MM"}], local time
    opening_hours: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "service_station"


class SchoolClass(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "coedu.School", related_name=False, on_delete=fields.RESTRICT)
    school_id: uuid.UUID  # as School.district_id
    grade = fields.SmallIntField()
    name = fields.CharField(max_length=50)
    homeroom_teacher: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    homeroom_teacher_id: uuid.UUID | None
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "school_class"
        unique_together = (("school_id", "name"),)


class ClassTeacher(Model):
    """A teacher who teaches a class (besides or as its homeroom teacher)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    school_class: fields.ForeignKeyRelation[SchoolClass] = fields.ForeignKeyField(
        "coedu.SchoolClass", related_name=False, on_delete=fields.CASCADE)
    school_class_id: uuid.UUID
    teacher: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    teacher_id: uuid.UUID
    subject = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "class_teacher"
        unique_together = (("school_class_id", "teacher_id"),)
        indexes = (("teacher_id",),)


class Student(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    display_name = fields.CharField(max_length=64)
    gender = fields.CharEnumField(Gender, max_length=8)
    birth_date = fields.DateField()
    #: HMAC of the city-wide student number (uniqueness), and the sealed number.
    student_number_index = fields.CharField(max_length=64, unique=True)
    student_number_sealed = fields.BinaryField()
    school_class: fields.ForeignKeyRelation[SchoolClass] = fields.ForeignKeyField(
        "coedu.SchoolClass", related_name=False, on_delete=fields.RESTRICT)
    school_class_id: uuid.UUID  # as School.district_id
    #: The class's school, kept with the student so scope filters need no join.
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "coedu.School", related_name=False, on_delete=fields.RESTRICT)
    school_id: uuid.UUID  # as School.district_id
    #: Set when the student left the city's schools (a roster sync no longer lists them); the
    #: record stays, with its wellbeing history.
    withdrawn_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "student"
        indexes = (("school_class_id", "display_name"), ("school_id",))


#: Students on their school's roll. A withdrawn student keeps their records (visits, alerts, the
#: wellbeing history a counsellor may still need) but is on no class list, head count, notice
#: audience or guardian's home screen, and gets no new home visit.
ON_ROLL = Q(withdrawn_at__isnull=True)


def on_roll(student: str) -> str:
    """``ON_ROLL`` in hand-written SQL, for the student table aliased ``student``."""
    return f"{student}.withdrawn_at IS NULL"


class Guardianship(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "coedu.Student", related_name=False, on_delete=fields.CASCADE)
    student_id: uuid.UUID
    guardian: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    guardian_id: uuid.UUID
    relationship = fields.CharEnumField(GuardianRelationship, max_length=16)
    is_primary = fields.BooleanField(default=False)
    #: Vouched for by the student information system: a later full roster that leaves it out ends it.
    #: A roster sync made or confirmed it; links made by hand (LinkGuardian) stay until a sync confirms them.
    from_roster = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "guardianship"
        unique_together = (("student_id", "guardian_id"),)
        indexes = (("guardian_id",),)


class HomeAddress(Model):
    """A guardian's household address: one per guardian account, for all their children.

    A child of separated parents has one per household. Sealed; who reads it is services.access's
    ``may_read_home_address``."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    guardian: fields.OneToOneRelation[User] = fields.OneToOneField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    guardian_id: uuid.UUID
    address_sealed = fields.BinaryField()
    #: Readable by the other guardians of the guardian's children while true.
    shared_with_co_guardians = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "home_address"


class RoleAssignment(Model):
    """A role held by a user in a scope: a school, a district, a station, or the city (no scope)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    user_id: uuid.UUID
    role = fields.CharEnumField(Role, max_length=16)
    school: fields.ForeignKeyNullableRelation[School] = fields.ForeignKeyField(
        "coedu.School", related_name=False, null=True, on_delete=fields.CASCADE)
    school_id: uuid.UUID | None
    district: fields.ForeignKeyNullableRelation[District] = fields.ForeignKeyField(
        "coedu.District", related_name=False, null=True, on_delete=fields.CASCADE)
    district_id: uuid.UUID | None
    station: fields.ForeignKeyNullableRelation[ServiceStation] = fields.ForeignKeyField(
        "coedu.ServiceStation", related_name=False, null=True, on_delete=fields.CASCADE)
    station_id: uuid.UUID | None
    granted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    granted_by_id: uuid.UUID | None
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "role_assignment"
        indexes = (("user_id",), ("school_id", "role"), ("district_id", "role"))


class StudentTransfer(Model):
    """A student's move between classes or schools; the wellbeing record follows it."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "coedu.Student", related_name=False, on_delete=fields.CASCADE)
    student_id: uuid.UUID
    from_class: fields.ForeignKeyRelation[SchoolClass] = fields.ForeignKeyField(
        "coedu.SchoolClass", related_name=False, on_delete=fields.RESTRICT)
    from_class_id: uuid.UUID
    to_class: fields.ForeignKeyRelation[SchoolClass] = fields.ForeignKeyField(
        "coedu.SchoolClass", related_name=False, on_delete=fields.RESTRICT)
    to_class_id: uuid.UUID
    from_school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "coedu.School", related_name=False, on_delete=fields.RESTRICT)
    from_school_id: uuid.UUID
    to_school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "coedu.School", related_name=False, on_delete=fields.RESTRICT)
    to_school_id: uuid.UUID
    reason = fields.CharField(max_length=200)
    transferred_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    transferred_by_id: uuid.UUID | None
    at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "student_transfer"
        indexes = (("student_id", "at"),)
