"""Checks of a roster's records against each other, before anything is written: every reference
resolves, each student's class is of the student's school, classes fit their school's stage,
identities are not given twice, a guardian has a sane number of children, birth dates are plausible."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from services.enums import SchoolStage
from services.errors import Checks
from services.organisation.service import GRADES_BY_STAGE, check_birth_date
from services.roster.records import MAX_CHILDREN_PER_GUARDIAN, Roster


def stage_of(grades: set[int]) -> SchoolStage | None:
    """The stage a new school's classes imply, when the file does not say."""
    for stage in (SchoolStage.PRIMARY, SchoolStage.JUNIOR_SECONDARY, SchoolStage.NINE_YEAR,
                  SchoolStage.SENIOR_SECONDARY):
        if grades and grades <= set(GRADES_BY_STAGE[stage]):
            return stage
    return None


def validate(roster: Roster, today: dt.date) -> None:
    _classes(roster)
    _students(roster, today)
    _guardians(roster)


def _classes(roster: Roster) -> None:
    grades: dict[str, set[int]] = {}
    for record in roster.classes.values():
        if record.school not in roster.schools:
            roster.problem(record.origin, "schoolSourcedId", "roster_unknown_reference", school=record.school,
                           id=record.school)
        elif record.grade is not None:
            grades.setdefault(record.school, set()).add(record.grade)
    for school in roster.schools.values():
        if school.stage is None:
            school.stage = stage_of(grades.get(school.source_id, set()))
        if school.stage is None:
            roster.problem(school.origin, "metadata.coedu.stage", "roster_stage_unknown", school=school.source_id)
            continue
        allowed = GRADES_BY_STAGE[school.stage]
        for record in roster.classes.values():
            if record.school == school.source_id and record.grade not in allowed:
                roster.problem(record.origin, "grades", "grade_not_in_stage", school=record.school,
                               grade=record.grade)


def _students(roster: Roster, today: dt.date) -> None:
    numbers = Counter(student.student_number for student in roster.students.values())
    for student in roster.students.values():
        where, school = student.origin, student.school
        if school not in roster.schools:
            roster.problem(where, "primaryOrgSourcedId", "roster_unknown_reference", school=school or None,
                           id=school)
        if student.withdrawn:
            continue  # a delta's deletion needs only the identity
        if numbers[student.student_number] > 1:
            roster.problem(where, "identifier", "roster_duplicate_id", school=school, id=student.student_number)
        school_class = roster.classes.get(student.school_class or "")
        if school_class is None:
            roster.problem(where, "classSourcedId", "roster_unknown_reference", school=school,
                           id=student.school_class or "")
        elif school_class.school != school:
            roster.problem(where, "classSourcedId", "roster_class_of_other_school", school=school,
                           id=school_class.source_id)
        checks = Checks()
        if student.gender is None:
            checks.invalid("sex", "required")
        if student.birth_date is None:
            checks.invalid("birthDate", "required")
        else:
            check_birth_date(checks, "birthDate", student.birth_date, today)
        for error in checks.errors:
            roster.problem(where, error.field or "", error.message, school=school)
        for guardian in student.guardians:
            if guardian not in roster.guardians:
                roster.problem(where, "agentSourcedIds", "roster_unknown_reference", school=school, id=guardian)


def _guardians(roster: Roster) -> None:
    children: Counter[str] = Counter()
    schools: dict[str, set[str]] = {}
    for student in roster.students.values():
        for guardian_id in student.guardians:
            children[guardian_id] += 1
            schools.setdefault(guardian_id, set()).add(student.school)
    phones: dict[str, str] = {}
    for guardian in roster.guardians.values():
        if children[guardian.source_id] > MAX_CHILDREN_PER_GUARDIAN:
            for school in sorted(schools[guardian.source_id]):
                roster.problem(guardian.origin, "agentSourcedIds", "roster_too_many_children", school=school,
                               count=children[guardian.source_id], max=MAX_CHILDREN_PER_GUARDIAN)
        # Two source ids for one phone would be two records for one account.
        other = phones.setdefault(guardian.phone or "", guardian.source_id)
        if guardian.phone and other != guardian.source_id:
            its_schools: list[str | None] = [*sorted(schools.get(guardian.source_id, set()))]
            for at_school in its_schools or [None]:
                roster.problem(guardian.origin, "phone", "roster_phone_of_other_guardian", school=at_school, id=other)
