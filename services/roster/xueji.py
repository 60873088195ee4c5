"""The student-status (学籍) spreadsheets schools export: XLSX or CSV (UTF-8 or GB18030), one row per
student, up to two guardians per row. A folder is read file by file, in name order.

Headers are matched by name: ``HEADINGS`` lists the common headings of each field; a mapping
file (JSON, ``{"student_number": "学籍号码", ...}``) names the file's own. A school is identified
by its name, a class by its school and name, a student by the 学籍号, a guardian by the phone. A
spreadsheet lists its schools' whole roster: their students missing from it are withdrawn.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from services.roster.oneroster import digest
from services.roster.reading import RowChecks, cell, relationship
from services.roster.records import ClassRecord, GuardianRecord, Origin, Roster, SchoolRecord, StudentRecord

GUARDIANS = (1, 2)
HEADINGS: dict[str, tuple[str, ...]] = {
    "student_number": ("学籍号", "全国学籍号", "学生学籍号", "学籍号码"),
    "name": ("姓名", "学生姓名"),
    "gender": ("性别",),
    "birth_date": ("出生日期", "出生年月日", "出生年月"),
    "school": ("学校", "学校名称"),
    "district": ("区县", "所属区县", "旗县区"),
    "grade": ("年级",),
    "class": ("班级", "班级名称"),
    **{f"guardian{n}_{part}": tuple(f"{who}{n}{word}" for who in ("监护人", "家长") for word in words)
       for n in GUARDIANS
       for part, words in (("name", ("姓名",)), ("relationship", ("关系", "与学生关系")),
                           ("phone", ("手机号", "手机", "联系电话", "电话")), ("address", ("住址", "家庭住址")))},
}
REQUIRED = ("student_number", "name", "gender", "birth_date", "school", "grade", "class")
#: The fields written, in order (under the first of each field's headings).
EXPORT_FIELDS = ("student_number", "name", "gender", "birth_date", "school", "district", "grade", "class",
                 *(f"guardian{n}_{part}" for n in GUARDIANS for part in ("name", "relationship", "phone", "address")))
GRADE_NAMES = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")


def class_name(grade_number: int, text: str) -> str:
    """The class's name as coedu keeps it: 三年级2班, whether the file says 2, 2班 or 三年级2班."""
    text = text.strip()
    if "年级" in text:
        return text
    return f"{GRADE_NAMES[grade_number - 1]}年级{text.removesuffix('班')}班"


def read(path: Path, mapping: dict[str, str] | None = None) -> Roster:
    roster = Roster(format="xueji")
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".xlsx", ".csv")) if path.is_dir() else [path]
    for file in files:
        _read_file(roster, file, mapping or {})
    roster.digest = digest({file.name: file.read_bytes() for file in files})
    roster.complete_schools = set(roster.schools)
    return roster


def load_mapping(path: Path) -> dict[str, str]:
    mapping = json.loads(path.read_text(encoding="utf-8"))
    unknown = sorted(set(mapping) - set(HEADINGS))
    if unknown or not all(isinstance(value, str) for value in mapping.values()):
        raise ValueError(f"unknown fields in the mapping: {', '.join(unknown)}; known: {', '.join(HEADINGS)}")
    return mapping


def _rows(file: Path) -> Iterator[Sequence[object]]:
    if file.suffix.lower() == ".xlsx":
        # calamine (Rust) reads a city's 250,000 rows in seconds; openpyxl took two minutes.
        with CalamineWorkbook.from_path(str(file)) as workbook:
            yield from workbook.get_sheet_by_index(0).iter_rows()
        return
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")
    yield from csv.reader(io.StringIO(text, newline=""))


def _columns(roster: Roster, name: str, header: Sequence[object], mapping: dict[str, str]) -> dict[str, int] | None:
    positions = {cell(title): index for index, title in enumerate(header) if cell(title)}
    found: dict[str, int] = {}
    for key, headings in HEADINGS.items():
        wanted = (mapping[key],) if key in mapping else headings
        index = next((positions[h] for h in wanted if h in positions), None)
        if index is not None:
            found[key] = index
    missing = [mapping.get(key, HEADINGS[key][0]) for key in REQUIRED if key not in found]
    for heading in missing:
        roster.problem(Origin(name, 1), heading, "roster_missing_column", everything=True)
    return None if missing else found


def _read_file(roster: Roster, file: Path, mapping: dict[str, str]) -> None:
    rows = _rows(file)
    try:
        header = next(rows, None)
    except (CalamineError, OSError, KeyError, ValueError):  # not a workbook, whatever its name says
        roster.problem(Origin(file.name, 0), "", "roster_unreadable", everything=True)
        return
    columns = _columns(roster, file.name, header or [], mapping) if header is not None else None
    if header is None:
        roster.problem(Origin(file.name, 1), "", "roster_empty_file", everything=True)
    if columns is None:
        return
    assert header is not None  # columns are read from a header
    headings = {key: cell(header[index]) for key, index in columns.items()}
    for number, values in enumerate(rows, start=2):
        row = {key: (values[index] if index < len(values) else None) for key, index in columns.items()}
        if not any(cell(value) for value in row.values()):
            continue  # a blank line
        _read_row(roster, Origin(file.name, number), row, headings)


def _read_row(roster: Roster, origin: Origin, row: dict[str, object], headings: dict[str, str]) -> None:
    def text(key: str) -> str:
        return cell(row.get(key))

    school = text("school")
    checks = RowChecks()
    def column(key: str) -> str:
        """The column as the file heads it (for a column the file lacks, the usual heading)."""
        return headings.get(key, HEADINGS[key][0])

    checks.text(column("school"), school, max_length=100)
    number = checks.student_number(column("student_number"), text("student_number"))
    name = checks.text(column("name"), text("name"), max_length=64)
    gender = checks.gender(column("gender"), text("gender"))
    born = checks.birth_date(column("birth_date"), row.get("birth_date"))
    grade_number = checks.grade(column("grade"), text("grade"))
    class_text = checks.text(column("class"), text("class"), max_length=40)
    guardians: list[tuple[GuardianRecord, str]] = []
    for n in GUARDIANS:
        given = [text(f"guardian{n}_{part}") for part in ("name", "phone", "address")]
        if not any(given):
            continue
        guardian_name = checks.text(column(f"guardian{n}_name"), given[0], max_length=64)
        phone = checks.phone(column(f"guardian{n}_phone"), given[1])
        address = checks.home_address(column(f"guardian{n}_address"), given[2])
        if phone and guardian_name:
            guardians.append((GuardianRecord(phone, guardian_name, phone, address, origin),
                              text(f"guardian{n}_relationship")))
    if not checks.report(roster, origin, school or None):
        return
    assert grade_number is not None
    assert class_text is not None
    if school not in roster.schools:
        roster.schools[school] = SchoolRecord(school, school, text("district") or None, None, origin)
    full_class = class_name(grade_number, class_text)
    class_id = f"{school}/{full_class}"
    known = roster.classes.get(class_id)
    if known is None:
        roster.classes[class_id] = ClassRecord(class_id, school, grade_number, full_class, origin)
    if number in roster.students:
        roster.problem(origin, column("student_number"), "roster_duplicate_id", school=school, id=number)
        return
    student = StudentRecord(number, number, name or "", gender, born, school, class_id, origin)
    for guardian, relation in guardians:
        # The same phone on several rows is one guardian of several children; the first row's
        # name and address stand.
        roster.guardians.setdefault(guardian.source_id, guardian)
        if guardian.source_id not in student.guardians:
            student.guardians.append(guardian.source_id)
            student.relationships[guardian.source_id] = relationship(relation)
    roster.students[number] = student


_GENDER_WORDS = {"MALE": "男", "FEMALE": "女"}
_RELATIONSHIP_NAMES = {"MOTHER": "母亲", "FATHER": "父亲", "GRANDPARENT": "祖父母", "OTHER": "其他"}


def write(roster: Roster, path: Path, *, encoding: str = "utf-8-sig") -> int:
    """The roster as one spreadsheet in the schools' layout (XLSX, or CSV in ``encoding``), the
    headings ``HEADINGS`` names first; returns the rows written. Two guardians at most per student,
    as the layout has room for. The generator of the tests and benchmarks: XLSX needs openpyxl,
    which comes with the test extra (the server only reads spreadsheets)."""
    districts = {s.source_id: s.district or "" for s in roster.schools.values()}
    names = {s.source_id: s.name for s in roster.schools.values()}
    header = [HEADINGS[key][0] for key in EXPORT_FIELDS]
    rows: list[list[object]] = []
    for student in sorted(roster.students.values(), key=lambda s: s.student_number):
        school_class = roster.classes[student.school_class or ""]
        assert school_class.grade is not None
        assert student.gender is not None
        assert student.birth_date is not None
        row: list[object] = [student.student_number, student.name, _GENDER_WORDS[student.gender],
                             student.birth_date if path.suffix == ".xlsx" else student.birth_date.isoformat(),
                             names[student.school], districts[student.school],
                             f"{GRADE_NAMES[school_class.grade - 1]}年级", school_class.name]
        for guardian_id in (student.guardians + ["", ""])[:len(GUARDIANS)]:
            guardian = roster.guardians.get(guardian_id)
            relation = student.relationships.get(guardian_id)
            row += ([guardian.name, _RELATIONSHIP_NAMES[relation.value if relation else "OTHER"], guardian.phone or "",
                     guardian.address or ""] if guardian else ["", "", "", ""])
        rows.append(row)
    if path.suffix == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("学籍")
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        workbook.save(path)
    else:
        with open(path, "w", encoding=encoding, newline="") as file:
            writer = csv.writer(file)
            writer.writerow(header)
            writer.writerows(rows)
    return len(rows)
