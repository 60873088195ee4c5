"""The words and numbers schools write, read as the programme's."""

from __future__ import annotations

import datetime as dt

import pytest

from services.enums import GuardianRelationship, SchoolStage
from services.roster import xueji
from services.roster.reading import birth_date, grade, relationship
from services.roster.validation import stage_of
from services.roster.xueji import class_name


@pytest.mark.parametrize(("text", "expected"), [
    ("三年级", 3), ("3", 3), ("03", 3), ("初一", 7), ("高二", 11), ("七年级", 7), ("十二年级", 12),
    ("0", None), ("13", None), ("大班", None), ("", None), ("初十", None)])
def test_grades_as_schools_write_them(text, expected):
    assert grade(text) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2014-03-09", dt.date(2014, 3, 9)), ("2014/3/9", dt.date(2014, 3, 9)), ("20140309", dt.date(2014, 3, 9)),
    ("2014年3月9日", dt.date(2014, 3, 9)), (dt.datetime(2014, 3, 9, tzinfo=dt.UTC), dt.date(2014, 3, 9)),
    ("2015-02-30", None), ("2014-13-01", None), ("三月", None), ("", None), (None, None)])
def test_birth_dates_as_schools_write_them(value, expected):
    assert birth_date(value) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("母亲", GuardianRelationship.MOTHER), ("爸爸", GuardianRelationship.FATHER),
    ("外婆", GuardianRelationship.GRANDPARENT), ("FATHER", GuardianRelationship.FATHER),
    ("舅舅", GuardianRelationship.OTHER), ("", GuardianRelationship.OTHER)])
def test_relationships(text, expected):
    assert relationship(text) == expected


def test_a_class_is_named_as_coedu_names_it_whatever_the_file_says():
    assert class_name(3, "2") == class_name(3, "2班") == class_name(3, "三年级2班") == "三年级2班"


def test_a_new_schools_stage_follows_from_its_grades():
    assert stage_of({1, 6}) == SchoolStage.PRIMARY
    assert stage_of({7, 9}) == SchoolStage.JUNIOR_SECONDARY
    assert stage_of({1, 9}) == SchoolStage.NINE_YEAR
    assert stage_of({10}) == SchoolStage.SENIOR_SECONDARY
    assert stage_of({6, 10}) is None
    assert stage_of(set()) is None


@pytest.mark.parametrize("content", [b"", b"not a workbook", b"PK\x03\x04 a torn zip"])
def test_a_spreadsheet_that_is_no_workbook_is_refused_whole(tmp_path, content):
    path = tmp_path / "学籍.xlsx"
    path.write_bytes(content)
    roster = xueji.read(path)
    assert [(p.origin.file, p.key, p.everything) for p in roster.problems] == [("学籍.xlsx", "roster_unreadable", True)]
    assert roster.students == {}


def test_spreadsheet_cells_read_as_text_whatever_their_type(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["学籍号", "姓名", "性别", "出生日期", "学校", "年级", "班级", "监护人1姓名", "监护人1关系",
                        "监护人1手机号"])
    # what Excel makes of numbers typed in: a number cell for the phone, a date cell for the birthday
    book.active.append(["G110105201801010011", "王小明", "男", dt.date(2018, 1, 1), "包头市第一小学", 3, 2,
                        "王妈妈", "母亲", 13800138000])
    book.save(tmp_path / "学籍.xlsx")
    roster = xueji.read(tmp_path / "学籍.xlsx")
    assert roster.problems == []
    [student] = roster.students.values()
    assert (student.birth_date, student.school_class) == (dt.date(2018, 1, 1), "包头市第一小学/三年级2班")
    assert list(roster.guardians) == ["13800138000"]
