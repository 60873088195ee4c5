"""Mutations of the organisation: thin wrappers that decode ids and call one service function."""

from __future__ import annotations

import strawberry

from schema.account.types import Invitation
from schema.common.errors import UserError
from schema.common.ids import decode_id
from schema.common.mutations import run, user_errors_field
from schema.context import Context
from schema.organisation import inputs
from schema.organisation.types import Guardianship, HomeAddress, School, SchoolClass, Student, User
from services.errors import ErrorCode, UserErrors
from services.organisation import home_addresses, service
from services.organisation.service import UNSET, Scope

Info = strawberry.Info[Context, None]


@strawberry.type(description="Result of `createSchool`.")
class CreateSchoolPayload:
    school: School | None = strawberry.field(default=None, description="The new school.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `updateSchool`.")
class UpdateSchoolPayload:
    school: School | None = strawberry.field(default=None, description="The school as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `createSchoolClass`.")
class CreateSchoolClassPayload:
    school_class: SchoolClass | None = strawberry.field(default=None, description="The new class.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `assignClassTeacher`.")
class AssignClassTeacherPayload:
    school_class: SchoolClass | None = strawberry.field(default=None, description="The class with its teachers.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `assignRole`.")
class AssignRolePayload:
    user: User | None = strawberry.field(default=None, description="The person, with their roles.")
    invitation: Invitation | None = strawberry.field(
        default=None, description="Invitation to activate the account, if the person has not yet; shown once."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `revokeRole`.")
class RevokeRolePayload:
    user: User | None = strawberry.field(default=None, description="The person, with their remaining roles.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `enrollStudent`.")
class EnrollStudentPayload:
    student: Student | None = strawberry.field(default=None, description="The new student.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `linkGuardian`.")
class LinkGuardianPayload:
    guardianship: Guardianship | None = strawberry.field(default=None, description="The new link.")
    invitation: Invitation | None = strawberry.field(
        default=None, description="Invitation for a guardian who has not activated an account yet; shown once."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `transferStudent`.")
class TransferStudentPayload:
    student: Student | None = strawberry.field(default=None, description="The student in their new class.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `setHomeAddress`.")
class SetHomeAddressPayload:
    home_address: HomeAddress | None = strawberry.field(
        default=None, description="The address as it is now; null once cleared.")
    user_errors: list[UserError] = user_errors_field()


def _scope(school: str | None, district: str | None, station: str | None) -> tuple[Scope, dict[str, bool]]:
    scope = Scope(
        school_id=decode_id(school, "School"),
        district_id=decode_id(district, "District"),
        station_id=decode_id(station, "ServiceStation"),
    )
    return scope, {"school": school is not None, "district": district is not None, "station": station is not None}


@strawberry.type
class OrganisationMutations:
    @strawberry.mutation(description="Create a school in a district (district or city administrators).")
    async def create_school(self, info: Info, input: inputs.CreateSchoolInput) -> CreateSchoolPayload:
        async def action() -> CreateSchoolPayload:
            district_id = decode_id(input.district_id, "District")
            row = await service.create_school(
                info.context.viewer, district_id=district_id, name=input.name, stage=input.stage,
                is_pilot=input.is_family_education_pilot, address=input.address,
            )
            return CreateSchoolPayload(school=School.of(row))

        return await run(info, CreateSchoolPayload, action)

    @strawberry.mutation(description="Change a school's name, address or pilot status.")
    async def update_school(self, info: Info, input: inputs.UpdateSchoolInput) -> UpdateSchoolPayload:
        async def action() -> UpdateSchoolPayload:
            school_id = decode_id(input.school_id, "School")
            row = await service.update_school(
                info.context.viewer, school_id=school_id, name=input.name,
                is_pilot=input.is_family_education_pilot,
                address=UNSET if input.address is None else input.address.value,
            )
            return UpdateSchoolPayload(school=School.of(row))

        return await run(info, UpdateSchoolPayload, action)

    @strawberry.mutation(description="Create a class in a school (its administrators).")
    async def create_school_class(self, info: Info, input: inputs.CreateSchoolClassInput) -> CreateSchoolClassPayload:
        async def action() -> CreateSchoolClassPayload:
            school_id = decode_id(input.school_id, "School")
            teacher_id = decode_id(input.homeroom_teacher_id, "User")
            row = await service.create_school_class(
                info.context.viewer, school_id=school_id, grade=input.grade, name=input.name,
                homeroom_teacher_id=teacher_id, homeroom_given=input.homeroom_teacher_id is not None,
            )
            return CreateSchoolClassPayload(school_class=SchoolClass.of(row))

        return await run(info, CreateSchoolClassPayload, action)

    @strawberry.mutation(description="Make a teacher of the school a teacher of one of its classes.")
    async def assign_class_teacher(
        self, info: Info, input: inputs.AssignClassTeacherInput
    ) -> AssignClassTeacherPayload:
        async def action() -> AssignClassTeacherPayload:
            class_id = decode_id(input.school_class_id, "SchoolClass")
            teacher_id = decode_id(input.teacher_id, "User")
            row = await service.assign_class_teacher(
                info.context.viewer, class_id=class_id, teacher_id=teacher_id, subject=input.subject
            )
            return AssignClassTeacherPayload(school_class=SchoolClass.of(row))

        return await run(info, AssignClassTeacherPayload, action)

    @strawberry.mutation(description=(
        "Grant a role in a scope to the person with this phone, creating the account (with an invitation) "
        "if there is none. TEACHER, COUNSELLOR and SCHOOL_ADMIN take schoolId; COUNSELLOR and DISTRICT_ADMIN "
        "take districtId; COUNSELLOR and CITY_ADMIN with no scope are city-wide; STATION_STAFF takes stationId."
    ))
    async def assign_role(self, info: Info, input: inputs.AssignRoleInput) -> AssignRolePayload:
        async def action() -> AssignRolePayload:
            scope, given = _scope(input.school_id, input.district_id, input.station_id)
            user, issued = await service.assign_role(
                info.context.viewer, phone=input.phone, display_name=input.display_name, role=input.role,
                scope=scope, given=given,
            )
            return AssignRolePayload(user=User.of(user), invitation=Invitation.of(issued))

        return await run(info, AssignRolePayload, action)

    @strawberry.mutation(description="Take a role away; it stops working at once, also for open sessions.")
    async def revoke_role(self, info: Info, input: inputs.RevokeRoleInput) -> RevokeRolePayload:
        async def action() -> RevokeRolePayload:
            user_id = decode_id(input.user_id, "User")
            scope, given = _scope(input.school_id, input.district_id, input.station_id)
            user = await service.revoke_role(
                info.context.viewer, user_id=user_id, role=input.role, scope=scope, given=given
            )
            return RevokeRolePayload(user=User.of(user))

        return await run(info, RevokeRolePayload, action)

    @strawberry.mutation(description="Enrol a new student in a class.")
    async def enroll_student(self, info: Info, input: inputs.EnrollStudentInput) -> EnrollStudentPayload:
        async def action() -> EnrollStudentPayload:
            class_id = decode_id(input.school_class_id, "SchoolClass")
            row = await service.enroll_student(
                info.context.viewer, class_id=class_id, display_name=input.display_name, gender=input.gender,
                birth_date=input.birth_date, student_number=input.student_number,
            )
            return EnrollStudentPayload(student=Student.of(row))

        return await run(info, EnrollStudentPayload, action)

    @strawberry.mutation(description=(
        "Link a guardian to a student by phone, creating an invited account when the phone is new; "
        "the guardian signs in with the invitation code."
    ))
    async def link_guardian(self, info: Info, input: inputs.LinkGuardianInput) -> LinkGuardianPayload:
        async def action() -> LinkGuardianPayload:
            student_id = decode_id(input.student_id, "Student")
            guardianship, issued = await service.link_guardian(
                info.context.viewer, student_id=student_id, phone=input.phone,
                display_name=input.display_name, relationship=input.relationship, is_primary=input.is_primary,
                home_address=input.home_address,
            )
            return LinkGuardianPayload(guardianship=Guardianship.of(guardianship), invitation=Invitation.of(issued))

        return await run(info, LinkGuardianPayload, action)

    @strawberry.mutation(description=(
        "Move a student to a class of another (or the same) school; the wellbeing record follows them."
    ))
    async def transfer_student(self, info: Info, input: inputs.TransferStudentInput) -> TransferStudentPayload:
        async def action() -> TransferStudentPayload:
            student_id = decode_id(input.student_id, "Student")
            class_id = decode_id(input.to_school_class_id, "SchoolClass")
            student, _ = await service.transfer_student(
                info.context.viewer, student_id=student_id, to_class_id=class_id, reason=input.reason
            )
            return TransferStudentPayload(student=Student.of(student))

        return await run(info, TransferStudentPayload, action)

    @strawberry.mutation(description=(
        "Set, replace or (address null) erase the signed-in guardian's household address. The visiting teachers of "
        "confirmed visits at it are told it changed, not what it is."
    ))
    async def set_home_address(self, info: Info, input: inputs.SetHomeAddressInput) -> SetHomeAddressPayload:
        async def action() -> SetHomeAddressPayload:
            if input.address is strawberry.UNSET:  # erasing takes an explicit null, never a forgotten field
                raise UserErrors.one(ErrorCode.INVALID_INPUT, "required", "address")
            read = await home_addresses.set_own(info.context.viewer, input.address, input.shared_with_co_guardians)
            return SetHomeAddressPayload(home_address=HomeAddress.of(read))

        return await run(info, SetHomeAddressPayload, action)
