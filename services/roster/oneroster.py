"""OneRoster 1.2 CSV: a bundle (a folder or a zip) read into a roster, and the roster written out again.

Read: ``manifest.csv``, ``orgs.csv`` (districts and schools), ``classes.csv``, ``users.csv``
(students and their guardians, linked by ``agentSourcedIds``), ``roles.csv`` when users.csv has
no ``role`` column (1.2 moved roles there), ``enrollments.csv`` (a student's class) and
``demographics.csv`` (birth date, sex). A student's 学籍号 is their ``identifier``. What
OneRoster has no field for travels in ``metadata.coedu.*`` columns, as the standard allows
extensions: a school's stage, a guardian's home address, the student's relationship to each of
their guardians (in ``agentSourcedIds`` order, the primary guardian first). Teachers and staff are
not read: roles in coedu are granted, not synced.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from services.enums import SchoolStage
from services.roster.reading import RowChecks, relationship
from services.roster.records import ClassRecord, GuardianRecord, Origin, Roster, SchoolRecord, StudentRecord

VERSION = "1.2"
SOURCE_ID_LENGTH = 255
STUDENT_ROLES = {"student"}
GUARDIAN_ROLES = {"guardian", "parent", "relative"}
TO_BE_DELETED = "tobedeleted"

#: The columns written, in order (the standard's, then the extensions).
COLUMNS = {
    "orgs.csv": ("sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId",
                 "metadata.coedu.stage"),
    "classes.csv": ("sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode",
                    "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes",
                    "periods"),
    "users.csv": ("sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds", "givenName",
                  "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades",
                  "password", "userMasterIdentifier", "resourceSourcedIds", "preferredGivenName",
                  "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId", "pronouns",
                  "metadata.coedu.relationships", "metadata.coedu.address"),
    "roles.csv": ("sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role", "beginDate",
                  "endDate", "orgSourcedId", "userProfileSourcedId"),
    "enrollments.csv": ("sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
                        "userSourcedId", "role", "primary", "beginDate", "endDate"),
    "demographics.csv": ("sourcedId", "status", "dateLastModified", "birthDate", "sex"),
}
FILES = ("manifest.csv", *COLUMNS)


class Bundle:
    """The bundle's files by name, from a folder or a zip."""

    def __init__(self, path: Path, roster: Roster) -> None:
        self.texts: dict[str, bytes] = {}
        if path.is_dir():
            for name in FILES:
                if (path / name).is_file():
                    self.texts[name] = (path / name).read_bytes()
            return
        try:
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    name = Path(info.filename).name
                    if name in FILES:
                        self.texts[name] = archive.read(info)
        except (zipfile.BadZipFile, OSError):
            roster.problem(Origin(path.name, 0), "", "roster_unreadable", everything=True)

    def rows(self, roster: Roster, name: str, *, required: bool = True) -> Iterator[tuple[Origin, dict[str, str]]]:
        raw = self.texts.get(name)
        if raw is None:
            if required:
                roster.problem(Origin(name, 0), "", "roster_missing_file", everything=True)
            return
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            roster.problem(Origin(name, 0), "", "roster_not_utf8", everything=True)
            return
        for number, row in enumerate(csv.DictReader(io.StringIO(text, newline="")), start=2):
            yield Origin(name, number), {key: (value or "").strip() for key, value in row.items() if key}


def read(path: Path) -> Roster:
    roster = Roster(format="oneroster")
    bundle = Bundle(path, roster)
    roster.digest = digest(bundle.texts)
    if roster.problems:
        return roster
    manifest = {row.get("propertyName", ""): row.get("value", "") for _, row in bundle.rows(roster, "manifest.csv")}
    if manifest and manifest.get("oneroster.version") != VERSION:
        roster.problem(Origin("manifest.csv", 0), "oneroster.version", "roster_unsupported_version",
                       everything=True, version=manifest.get("oneroster.version", ""))
    bulk = manifest.get("file.users", "bulk") == "bulk"
    _schools(roster, bundle)
    if bulk:
        roster.complete_schools = set(roster.schools)
    _classes(roster, bundle)
    roles = _roles(roster, bundle)
    guardian_children = _users(roster, bundle, roles)
    _enrollments(roster, bundle)
    _demographics(roster, bundle)
    # A guardian row may list its children instead of (or as well as) the child listing them.
    for guardian, children in guardian_children.items():
        for child in children:
            student = roster.students.get(child)
            if student is not None and guardian not in student.guardians:
                student.guardians.append(guardian)
    return roster


def digest(texts: dict[str, bytes]) -> str:
    """SHA-256 over the files' names and bytes, in name order."""
    hashed = hashlib.sha256()
    for name in sorted(texts):
        hashed.update(name.encode() + b"\0" + hashlib.sha256(texts[name]).digest())
    return hashed.hexdigest()


def _first(roster: Roster, records: Mapping[str, object], origin: Origin, source_id: str, school: str | None) -> bool:
    """False, the duplicate reported, when a record of this source id was read already."""
    if source_id in records:
        roster.problem(origin, "sourcedId", "roster_duplicate_id", school=school, id=source_id)
        return False
    return True


def _active(row: dict[str, str]) -> bool:
    return row.get("status", "").lower() != TO_BE_DELETED


def _schools(roster: Roster, bundle: Bundle) -> dict[str, str]:
    """Schools into the roster; returns the districts (sourcedId → code or name)."""
    districts: dict[str, str] = {}
    schools: list[tuple[Origin, dict[str, str]]] = []
    for origin, row in bundle.rows(roster, "orgs.csv"):
        kind = row.get("type", "")
        if kind == "district":
            districts[row.get("sourcedId", "")] = row.get("identifier") or row.get("name", "")
        elif kind == "school":
            schools.append((origin, row))
    for origin, row in schools:
        source_id = row.get("sourcedId", "")
        checks = RowChecks()
        name = checks.text("name", row.get("name"), max_length=100)
        stage_text = row.get("metadata.coedu.stage", "")
        stage = SchoolStage.__members__.get(stage_text)
        if stage_text and stage is None:
            checks.invalid("metadata.coedu.stage", "roster_invalid_stage")
        checks.text("sourcedId", source_id, max_length=SOURCE_ID_LENGTH)
        if not checks.report(roster, origin, source_id or None) or not _active(row):
            continue
        if not _first(roster, roster.schools, origin, source_id, source_id):
            continue
        parent = row.get("parentSourcedId", "")
        roster.schools[source_id] = SchoolRecord(source_id, name or "", districts.get(parent, parent) or None,
                                                 stage, origin)
    return districts


def _classes(roster: Roster, bundle: Bundle) -> None:
    for origin, row in bundle.rows(roster, "classes.csv"):
        source_id, school = row.get("sourcedId", ""), row.get("schoolSourcedId", "")
        checks = RowChecks()
        checks.text("sourcedId", source_id, max_length=SOURCE_ID_LENGTH)
        title = checks.text("title", row.get("title"), max_length=50)
        grades = [g for g in row.get("grades", "").split(",") if g.strip()]
        grade = checks.grade("grades", grades[0]) if len(grades) == 1 else None
        if len(grades) != 1:
            checks.invalid("grades", "roster_one_grade")
        if not checks.report(roster, origin, school or None) or not _active(row):
            continue
        if not _first(roster, roster.classes, origin, source_id, school):
            continue
        roster.classes[source_id] = ClassRecord(source_id, school, grade, title or "", origin)


def _roles(roster: Roster, bundle: Bundle) -> dict[str, tuple[str, str]]:
    """user sourcedId → (role, org sourcedId), from roles.csv (its primary role)."""
    roles: dict[str, tuple[str, str]] = {}
    for _, row in bundle.rows(roster, "roles.csv", required=False):
        user = row.get("userSourcedId", "")
        if _active(row) and (row.get("roleType", "primary") == "primary" or user not in roles):
            roles[user] = (row.get("role", ""), row.get("orgSourcedId", ""))
    return roles


def _users(roster: Roster, bundle: Bundle, roles: dict[str, tuple[str, str]]) -> dict[str, list[str]]:
    """Students and guardians into the roster; returns each guardian's children as their row lists them."""
    guardian_children: dict[str, list[str]] = {}
    for origin, row in bundle.rows(roster, "users.csv"):
        source_id = row.get("sourcedId", "")
        # OneRoster 1.1 kept the role in users.csv; 1.2 keeps it in roles.csv.
        role, org = roles.get(source_id, (row.get("role", ""), ""))
        school = row.get("primaryOrgSourcedId") or org
        name = row.get("familyName", "") + row.get("givenName", "")
        links = [link for link in (part.strip() for part in row.get("agentSourcedIds", "").split(",")) if link]
        checks = RowChecks()
        checks.text("sourcedId", source_id, max_length=SOURCE_ID_LENGTH)
        if role in STUDENT_ROLES:
            clean_name = checks.text("givenName", name, max_length=64)
            number = checks.student_number("identifier", row.get("identifier"))
            if not checks.report(roster, origin, school or None):
                continue
            if not _first(roster, roster.students, origin, source_id, school):
                continue
            relationships = row.get("metadata.coedu.relationships", "").split(",")
            roster.students[source_id] = StudentRecord(
                source_id, number, clean_name or "", None, None, school, None, origin,
                withdrawn=not _active(row), guardians=links,
                relationships={g: relationship(r) for g, r in zip(links, relationships, strict=False) if r},
            )
        elif role in GUARDIAN_ROLES:
            clean_name = checks.text("givenName", name, max_length=64)
            phone = checks.phone("phone", row.get("phone") or row.get("sms", ""))
            address = checks.home_address("metadata.coedu.address", row.get("metadata.coedu.address"))
            if not checks.report(roster, origin, None) or not _active(row):
                continue
            if not _first(roster, roster.guardians, origin, source_id, None):
                continue
            roster.guardians[source_id] = GuardianRecord(source_id, clean_name or "", phone, address, origin)
            guardian_children[source_id] = links
    return guardian_children


def _enrollments(roster: Roster, bundle: Bundle) -> None:
    for origin, row in bundle.rows(roster, "enrollments.csv"):
        if row.get("role") not in STUDENT_ROLES or not _active(row):
            continue
        student = roster.students.get(row.get("userSourcedId", ""))
        if student is None:
            roster.problem(origin, "userSourcedId", "roster_unknown_reference", school=row.get("schoolSourcedId"),
                           id=row.get("userSourcedId", ""))
            continue
        if student.school_class is not None:
            roster.problem(origin, "classSourcedId", "roster_two_classes", school=student.school,
                           id=student.source_id)
            continue
        student.school_class = row.get("classSourcedId", "")
        student.school = row.get("schoolSourcedId") or student.school


def _demographics(roster: Roster, bundle: Bundle) -> None:
    for origin, row in bundle.rows(roster, "demographics.csv"):
        student = roster.students.get(row.get("sourcedId", ""))
        if student is None:
            continue  # demographics of a guardian, or of someone not read: not ours to check
        checks = RowChecks()
        student.birth_date = checks.birth_date("birthDate", row.get("birthDate"))
        student.gender = checks.gender("sex", row.get("sex", ""))
        checks.report(roster, origin, student.school)
