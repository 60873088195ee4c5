"""Inputs the administrators' console and the teachers' app send."""

from __future__ import annotations

import datetime as dt

import strawberry

from schema.organisation.enums import Gender, GuardianRelationship, Role, SchoolStage


@strawberry.input(description="Narrows the school directory.")
class SchoolFilter:
    district_id: strawberry.ID | None = strawberry.field(default=None, description="Only schools of this district.")
    pilot_only: bool | None = strawberry.field(default=None, description="Only family-education pilot schools.")
    search: str | None = strawberry.field(default=None, description="Part of the school's name.")
    stage: SchoolStage | None = strawberry.field(default=None, description="Only schools of this stage.")


@strawberry.input(description="A new school.")
class CreateSchoolInput:
    district_id: strawberry.ID = strawberry.field(description="District the school is in.")
    name: str = strawberry.field(description="Name of the school, unique in the city.")
    stage: SchoolStage = strawberry.field(description="Stage of schooling.")
    is_family_education_pilot: bool = strawberry.field(description="Indicates a family-education pilot school.")
    address: str | None = strawberry.field(default=None, description="Postal address.")


@strawberry.input(
    description="Changes to a school; fields left out stay as they are, an explicit null address clears it."
)
class UpdateSchoolInput:
    school_id: strawberry.ID = strawberry.field(description="The school to change.")
    name: str | None = strawberry.field(default=None, description="New name.")
    is_family_education_pilot: bool | None = strawberry.field(
        default=None, description="Pilot status; district and city administrators only."
    )
    address: strawberry.Maybe[str | None] = strawberry.field(default=None, description="New postal address, or null.")


@strawberry.input(description="A new class of a school.")
class CreateSchoolClassInput:
    school_id: strawberry.ID = strawberry.field(description="School of the class.")
    grade: int = strawberry.field(description="Grade, within the school's stage.")
    name: str = strawberry.field(description="Name of the class, unique in the school.")
    homeroom_teacher_id: strawberry.ID | None = strawberry.field(
        default=None, description="Homeroom teacher; a teacher of the school."
    )


@strawberry.input(description="A teacher who will teach a class.")
class AssignClassTeacherInput:
    school_class_id: strawberry.ID = strawberry.field(description="The class.")
    teacher_id: strawberry.ID = strawberry.field(description="A teacher of the class's school.")
    subject: str | None = strawberry.field(default=None, description="Subject taught, e.g. 语文.")


@strawberry.input(description="A role to grant, by phone number; scope by role (see `assignRole`).")
class AssignRoleInput:
    phone: str = strawberry.field(description="Mainland mobile number of the person.")
    display_name: str = strawberry.field(description="Name, used if the person has no account yet.")
    role: Role = strawberry.field(description="Role to grant.")
    school_id: strawberry.ID | None = strawberry.field(default=None, description="School scope.")
    district_id: strawberry.ID | None = strawberry.field(default=None, description="District scope.")
    station_id: strawberry.ID | None = strawberry.field(default=None, description="Service-station scope.")


@strawberry.input(description="A role to take away, in the scope it was granted in.")
class RevokeRoleInput:
    user_id: strawberry.ID = strawberry.field(description="The person.")
    role: Role = strawberry.field(description="Role to revoke.")
    school_id: strawberry.ID | None = strawberry.field(default=None, description="School scope.")
    district_id: strawberry.ID | None = strawberry.field(default=None, description="District scope.")
    station_id: strawberry.ID | None = strawberry.field(default=None, description="Service-station scope.")


@strawberry.input(description="A new student of a class.")
class EnrollStudentInput:
    school_class_id: strawberry.ID = strawberry.field(description="Class the student joins.")
    display_name: str = strawberry.field(description="Name of the student.")
    gender: Gender = strawberry.field(description="Gender.")
    birth_date: dt.date = strawberry.field(description="Date of birth.")
    student_number: str = strawberry.field(description="National student number (学籍号), unique in the city.")


@strawberry.input(description="A guardian to link to a student, by phone number.")
class LinkGuardianInput:
    student_id: strawberry.ID = strawberry.field(description="The student.")
    phone: str = strawberry.field(description="Mainland mobile number of the guardian.")
    display_name: str = strawberry.field(description="Name, used if the guardian has no account yet.")
    relationship: GuardianRelationship = strawberry.field(description="Relationship to the student.")
    is_primary: bool = strawberry.field(description="Makes this the primary guardian (the previous one no longer is).")
    home_address: str | None = strawberry.field(
        default=None, description="The guardian's household address (5 to 200 characters), sealed, for home visits: "
                                  "kept only when the guardian has none on file (the family's own word wins), not "
                                  "shared with co-guardians until the guardian chooses to.")


@strawberry.input(description="The signed-in guardian's household address.")
class SetHomeAddressInput:
    address: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="5 to 200 characters after trimming; null erases the address on file (no copy is kept).")
    shared_with_co_guardians: bool | None = strawberry.field(
        default=None, description="Lets the other guardians of the guardian's children read it; left out: false.")


@strawberry.input(description="A move of a student to another class, of this or another school.")
class TransferStudentInput:
    student_id: strawberry.ID = strawberry.field(description="The student.")
    to_school_class_id: strawberry.ID = strawberry.field(description="Class the student moves to.")
    reason: str = strawberry.field(description="Why, e.g. 升入初中.")
