"""A roster as read from the city's files, whatever their format: the schools, classes, students
and guardians they list, each with the file and row it came from, and the problems found reading them.

The readers (``oneroster``, ``xueji``) only turn text into these records, reporting what they
cannot read; ``validation`` checks the records against each other; ``sync`` brings the database
in line with them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from services.enums import Gender, GuardianRelationship, SchoolStage

#: More children than this for one guardian is a data error (a shared office phone, say), not a family.
MAX_CHILDREN_PER_GUARDIAN = 8


@dataclass(frozen=True)
class Origin:
    """Where a record was read: the file's name and the row, counting the header as row 1."""

    file: str
    row: int


@dataclass(frozen=True)
class Problem:
    origin: Origin
    column: str
    #: The message key (services/locale); in the report, upper-cased as the problem's code.
    key: str
    params: dict[str, object] = field(default_factory=dict)
    #: The school the problem belongs to (its source id), when it belongs to one: with
    #: ``valid_schools_only`` the other schools are still imported. A guardian's row belongs to no
    #: school: the guardian is left out, and their children's schools are refused for the missing link.
    school: str | None = None
    #: A problem with a whole file (missing, unreadable, a column missing): nothing is imported.
    everything: bool = False


@dataclass
class SchoolRecord:
    source_id: str
    name: str
    #: The district's code (e.g. 150203) or name, as the file gives it.
    district: str | None
    stage: SchoolStage | None
    origin: Origin


@dataclass
class ClassRecord:
    source_id: str
    school: str
    grade: int | None
    name: str
    origin: Origin


@dataclass
class StudentRecord:
    source_id: str
    #: The 学籍号: the city-wide student number.
    student_number: str
    name: str
    gender: Gender | None
    birth_date: dt.date | None
    school: str
    school_class: str | None
    origin: Origin
    #: Marked for deletion in a delta file (OneRoster ``tobedeleted``): withdraw them.
    withdrawn: bool = False
    #: The guardians' source ids, the primary one first.
    guardians: list[str] = field(default_factory=list)
    #: How the student is related to each guardian, where the file says.
    relationships: dict[str, GuardianRelationship] = field(default_factory=dict)


@dataclass
class GuardianRecord:
    source_id: str
    name: str
    #: Normalised (11 digits), or None when the file's value is not a mobile number.
    phone: str | None
    address: str | None
    origin: Origin


@dataclass
class Roster:
    """Everything one import reads. ``complete_schools`` are the schools whose whole roster the
    files give (a bulk file): their students missing from it are withdrawn."""

    format: str
    schools: dict[str, SchoolRecord] = field(default_factory=dict)
    classes: dict[str, ClassRecord] = field(default_factory=dict)
    students: dict[str, StudentRecord] = field(default_factory=dict)
    guardians: dict[str, GuardianRecord] = field(default_factory=dict)
    complete_schools: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    #: SHA-256 of the files read, in name order: the same files, the same digest.
    digest: str = ""
    _grouped: tuple[dict[str, list[StudentRecord]], dict[str, list[ClassRecord]]] | None = field(
        default=None, repr=False, compare=False)

    def students_of(self, school: str) -> list[StudentRecord]:
        return self._by_school()[0].get(school, [])

    def classes_of(self, school: str) -> list[ClassRecord]:
        return self._by_school()[1].get(school, [])

    def _by_school(self) -> tuple[dict[str, list[StudentRecord]], dict[str, list[ClassRecord]]]:
        """Students and classes by school, grouped once the files are read (a city's import asks for
        each of its 400 schools')."""
        if self._grouped is None:
            students: dict[str, list[StudentRecord]] = {}
            classes: dict[str, list[ClassRecord]] = {}
            for student in self.students.values():
                students.setdefault(student.school, []).append(student)
            for school_class in self.classes.values():
                classes.setdefault(school_class.school, []).append(school_class)
            self._grouped = (students, classes)
        return self._grouped

    def problem(self, origin: Origin, column: str, key: str, *, school: str | None = None, everything: bool = False,
                **params: object) -> None:
        self.problems.append(Problem(origin, column, key, params, school, everything))
