"""Enums of schools, students, guardians and roles, described for the schema."""

from __future__ import annotations

from schema.common.enums import describe_enum
from services.enums import Gender as GenderEnum
from services.enums import GuardianRelationship as GuardianRelationshipEnum
from services.enums import Role as RoleEnum
from services.enums import SchoolStage as SchoolStageEnum

describe_enum(
    RoleEnum,
    name="Role",
    description="What a person does in the programme; most roles hold in a scope.",
    values={
        "PARENT": "Guardian of one or more students (given by linking a guardian).",
        "TEACHER": "Teacher of a school.",
        "COUNSELLOR": "Mental-health counsellor of a school, a district centre or the city centre.",
        "SCHOOL_ADMIN": "Administrator of a school.",
        "INSTRUCTOR": "Certified family-education guidance instructor (given by certification).",
        "STATION_STAFF": "Staff of a community service station.",
        "DISTRICT_ADMIN": "Administrator of a district's education bureau.",
        "CITY_ADMIN": "Administrator of the city's programme.",
    },
)
Role = RoleEnum
describe_enum(
    SchoolStageEnum,
    name="SchoolStage",
    description="Stage of schooling a school teaches.",
    values={
        "PRIMARY": "Primary school, grades 1 to 6.",
        "JUNIOR_SECONDARY": "Junior secondary school, grades 7 to 9.",
        "NINE_YEAR": "Nine-year school, grades 1 to 9.",
        "SENIOR_SECONDARY": "Senior secondary school, grades 10 to 12.",
    },
)
SchoolStage = SchoolStageEnum
describe_enum(
    GenderEnum, name="Gender", description="Gender of a student.",
    values={"FEMALE": "Female.", "MALE": "Male."},
)
Gender = GenderEnum
describe_enum(
    GuardianRelationshipEnum,
    name="GuardianRelationship",
    description="How a guardian is related to the student.",
    values={"MOTHER": "Mother.", "FATHER": "Father.", "GRANDPARENT": "Grandparent.", "OTHER": "Another guardian."},
)
GuardianRelationship = GuardianRelationshipEnum
