"""The current roster written out as OneRoster 1.2 CSV, the format the city's other systems read.

Everyone keeps the source id they came with; records made in coedu (by hand, or by the seed) are
written under their coedu id, which a later import of the files then links. Withdrawn students
are left out. Rows are in source-id order, so the same roster gives the same bytes. Home
addresses are read to be written: each read leaves its audit row, as any read of an address does.
"""

from __future__ import annotations

import asyncio
import csv
import uuid
from collections import defaultdict
from pathlib import Path

from tortoise import connections
from tortoise.transactions import in_transaction

from services import audit, runtime
from services.enums import AuditAction, RosterFormat, RosterKind, RosterRunStatus
from services.organisation import home_addresses
from services.organisation.models import on_roll
from services.roster import oneroster
from services.roster.models import RosterRun
from services.roster.sync import unseal_source

_SOURCES = "SELECT kind, entity_id, source_sealed FROM roster_source"
_SCHOOLS = """
SELECT s.id, s.name, s.stage, d.code AS district, d.name AS district_name
  FROM school s JOIN district d ON d.id = s.district_id
"""
_CLASSES = "SELECT id, school_id, grade, name FROM school_class"
_STUDENTS = f"""
SELECT id, display_name, gender, birth_date, student_number_sealed, school_id, school_class_id
  FROM student WHERE {on_roll("student")}
"""
_GUARDIANSHIPS = f"""
SELECT g.student_id, g.guardian_id, g.relationship, g.is_primary
  FROM guardianship g JOIN student s ON s.id = g.student_id WHERE {on_roll("s")}
"""
_GUARDIANS = f"""
SELECT u.id, u.display_name, u.phone_sealed, a.id AS address_id, a.address_sealed
  FROM app_user u LEFT JOIN home_address a ON a.guardian_id = u.id
 WHERE u.id IN (SELECT g.guardian_id FROM guardianship g JOIN student s ON s.id = g.student_id
                 WHERE {on_roll("s")})
"""


def _unsealed(table: str, column: str, blob: bytes, row: uuid.UUID) -> str:
    return runtime.current().crypto.sealer.open(bytes(blob), table=table, column=column, row=row)


async def export_oneroster(folder: Path, *, actor_id: uuid.UUID | None = None) -> dict[str, int]:
    """Writes the bundle into ``folder`` (created; files there are replaced); returns rows per file."""
    client = connections.get("default")
    names: dict[tuple[str, uuid.UUID], str] = {}
    for row in await client.execute_query_dict(_SOURCES):
        names[(row["kind"], row["entity_id"])] = unseal_source(bytes(row["source_sealed"]), row["entity_id"])

    def source(kind: RosterKind, entity_id: uuid.UUID) -> str:
        return names.get((kind.value, entity_id), str(entity_id))

    schools = {row["id"]: row for row in await client.execute_query_dict(_SCHOOLS)}
    classes = {row["id"]: row for row in await client.execute_query_dict(_CLASSES)}
    students = await client.execute_query_dict(_STUDENTS)
    guardianships: dict[uuid.UUID, list[dict]] = defaultdict(list)
    for row in await client.execute_query_dict(_GUARDIANSHIPS):
        guardianships[row["student_id"]].append(row)
    guardians = await client.execute_query_dict(_GUARDIANS)

    orgs = [_row("orgs.csv", sourcedId=code, name=name, type="district", identifier=code)
            for code, name in sorted({(s["district"], s["district_name"]) for s in schools.values()})]
    orgs += [_row("orgs.csv", sourcedId=source(RosterKind.SCHOOL, s["id"]), name=s["name"], type="school",
                  parentSourcedId=s["district"], **{"metadata.coedu.stage": s["stage"]})
             for s in schools.values()]
    class_rows = [_row("classes.csv", sourcedId=source(RosterKind.CLASS, c["id"]), title=c["name"],
                       grades=f"{c['grade']:02d}", classType="homeroom",
                       schoolSourcedId=source(RosterKind.SCHOOL, c["school_id"])) for c in classes.values()]
    guardian_source = {g["id"]: source(RosterKind.GUARDIAN, g["id"]) for g in guardians}
    users, roles, enrollments, demographics = [], [], [], []
    #: A guardian's role is held at their (first) child's school.
    first_school: dict[uuid.UUID, str] = {}
    for student in students:
        student_source = source(RosterKind.STUDENT, student["id"])
        school_source = source(RosterKind.SCHOOL, student["school_id"])
        # The primary guardian first, then the others in source-id order: the order an import reads.
        links = sorted(guardianships[student["id"]],
                       key=lambda g: (not g["is_primary"], guardian_source[g["guardian_id"]]))
        family, given = _split(student["display_name"])
        users.append(_row(
            "users.csv", sourcedId=student_source, enabledUser="true", username=student_source, givenName=given,
            familyName=family,
            identifier=_unsealed("student", "student_number", student["student_number_sealed"], student["id"]),
            agentSourcedIds=",".join(guardian_source[g["guardian_id"]] for g in links),
            grades=f"{classes[student['school_class_id']]['grade']:02d}", primaryOrgSourcedId=school_source,
            **{"metadata.coedu.relationships": ",".join(g["relationship"] for g in links)}))
        roles.append(_row("roles.csv", sourcedId=f"{student_source}:role", userSourcedId=student_source,
                          roleType="primary", role="student", orgSourcedId=school_source))
        for link in links:
            first_school.setdefault(link["guardian_id"], school_source)
        enrollments.append(_row(
            "enrollments.csv", sourcedId=f"{student_source}:enrollment",
            classSourcedId=source(RosterKind.CLASS, student["school_class_id"]), schoolSourcedId=school_source,
            userSourcedId=student_source, role="student", primary="true"))
        demographics.append(_row("demographics.csv", sourcedId=student_source,
                                 birthDate=student["birth_date"].isoformat(), sex=student["gender"].lower()))
    addresses_read = []
    for guardian in guardians:
        family, given = _split(guardian["display_name"])
        address = ""
        if guardian["address_id"] is not None:
            address = home_addresses.unseal(guardian["address_sealed"], guardian["address_id"])
            addresses_read.append(guardian["id"])
        users.append(_row(
            "users.csv", sourcedId=guardian_source[guardian["id"]], enabledUser="true",
            username=guardian_source[guardian["id"]], givenName=given, familyName=family,
            phone=_unsealed("app_user", "phone", guardian["phone_sealed"], guardian["id"]),
            **{"metadata.coedu.address": address}))
        roles.append(_row("roles.csv", sourcedId=f"{guardian_source[guardian['id']]}:role",
                          userSourcedId=guardian_source[guardian["id"]], roleType="primary", role="guardian",
                          orgSourcedId=first_school[guardian["id"]]))
    files = {"orgs.csv": orgs, "classes.csv": class_rows, "users.csv": users, "roles.csv": roles,
             "enrollments.csv": enrollments, "demographics.csv": demographics}
    written = await asyncio.to_thread(_write_bundle, folder, files)
    async with in_transaction() as tx:
        run = await RosterRun.create(direction="EXPORT", format=RosterFormat.ONEROSTER, digest=written,
                                     status=RosterRunStatus.COMPLETED, started_by_id=actor_id,
                                     schools_total=len(schools),
                                     counts={name: len(rows) for name, rows in files.items()}, using_db=tx)
        await audit.record(AuditAction.EXPORT, actor_id=actor_id, subject_type="RosterRun", subject_id=run.id,
                           using=tx)
        await audit.record_many(AuditAction.READ_HOME_ADDRESS, actor_id=actor_id,
                                subject_type=home_addresses.SUBJECT, subject_ids=list(addresses_read), using=tx)
    return {name: len(rows) for name, rows in files.items()}


def _split(name: str) -> tuple[str, str]:
    """(familyName, givenName): a Chinese name's first character is the family name; an import
    joins them again."""
    return name[:1], name[1:]


def _row(file: str, **values: str) -> dict[str, str]:
    return {column: values.get(column, "") for column in oneroster.COLUMNS[file]}


def _write_bundle(folder: Path, files: dict[str, list[dict[str, str]]]) -> str:
    """Writes the files; returns their digest, as an import of them would compute it."""
    folder.mkdir(parents=True, exist_ok=True)
    _write_manifest(folder)
    for name, rows in files.items():
        _write(folder / name, oneroster.COLUMNS[name], sorted(rows, key=lambda r: r["sourcedId"]))
    return oneroster.digest({name: (folder / name).read_bytes() for name in ("manifest.csv", *files)})


def _write_manifest(folder: Path) -> None:
    rows = [("manifest.version", "1.0"), ("oneroster.version", oneroster.VERSION),
            *((f"file.{name.removesuffix('.csv')}", "bulk") for name in oneroster.COLUMNS),
            ("file.academicSessions", "absent"), ("file.courses", "absent"),
            ("source.systemName", "coedu")]
    with open(folder / "manifest.csv", "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(("propertyName", "value"))
        writer.writerows(rows)


def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
