"""What both readers share: the programme's words for genders, relationships, grades and dates as
schools write them, and a row's checks reported as roster problems (the same rules as the API's)."""

from __future__ import annotations

import datetime as dt
import re

from services.enums import Gender, GuardianRelationship
from services.errors import Checks
from services.identity import phones
from services.organisation import home_addresses
from services.organisation.service import clean_student_number
from services.roster.records import Origin, Roster

_GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE, "male": Gender.MALE, "female": Gender.FEMALE,
            "m": Gender.MALE, "f": Gender.FEMALE}
_RELATIONSHIPS = {
    GuardianRelationship.MOTHER: ("母亲", "妈妈", "母", "mother"),
    GuardianRelationship.FATHER: ("父亲", "爸爸", "父", "father"),
    GuardianRelationship.GRANDPARENT: ("祖父", "祖母", "爷爷", "奶奶", "外公", "外婆", "外祖父", "外祖母", "姥姥",
                                       "姥爷", "grandparent"),
}
_RELATIONSHIP_WORDS = {word: kind for kind, words in _RELATIONSHIPS.items() for word in words}
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
                   "十一": 11, "十二": 12}
#: 初一 is grade 7, 高一 grade 10.
_STAGE_OFFSETS = {"初": 6, "高": 9}
_GRADE = re.compile(r"(?P<stage>[初高])?(?P<number>\d{1,2}|十[一二]?|[一二三四五六七八九])(年级)?")
_DATE = re.compile(r"(\d{4})\D?(\d{1,2})\D?(\d{1,2})")


def grade(text: str) -> int | None:
    """三年级, 3, 03, 初一 (7) or 高二 (11); None when it is none of these."""
    match = _GRADE.fullmatch(text.strip())
    if match is None:
        return None
    number = match["number"]
    value = int(number) if number.isdigit() else _CHINESE_DIGITS[number]
    value += _STAGE_OFFSETS.get(match["stage"] or "", 0)
    return value if 1 <= value <= 12 else None


def birth_date(value: object) -> dt.date | None:
    """2014-03-09, 2014/3/9, 20140309, 2014年3月9日, or a spreadsheet's date cell."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = _DATE.fullmatch(str(value or "").strip().removesuffix("日"))
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def relationship(text: str | None) -> GuardianRelationship:
    word = (text or "").strip().lower()
    named = GuardianRelationship.__members__.get(word.upper())
    return named or _RELATIONSHIP_WORDS.get(word, GuardianRelationship.OTHER)


def cell(value: object) -> str:
    """A cell as text: a spreadsheet's numbers lose the ".0" Excel gives whole numbers."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class RowChecks(Checks):
    """The API's field checks for one row of a file; ``report`` files what failed as roster problems,
    the column named as the file names it."""

    def gender(self, column: str, text: str) -> Gender | None:
        value = _GENDERS.get(text.strip().lower())
        if value is None:
            self.invalid(column, "roster_invalid_gender" if text.strip() else "required")
        return value

    def birth_date(self, column: str, value: object) -> dt.date | None:
        parsed = birth_date(value)
        if parsed is None:
            self.invalid(column, "roster_invalid_date" if cell(value) else "required")
        return parsed

    def grade(self, column: str, text: str) -> int | None:
        parsed = grade(text)
        if parsed is None:
            self.invalid(column, "roster_invalid_grade" if text.strip() else "required", value=text[:20])
        return parsed

    def phone(self, column: str, text: str, *, required: bool = True) -> str | None:
        if not text.strip():
            if required:
                self.invalid(column, "required")
            return None
        phone = phones.normalise(text)
        if phone is None:
            self.invalid(column, "invalid_phone")
        return phone

    def student_number(self, column: str, text: str | None) -> str:
        return clean_student_number(self, column, text)

    def home_address(self, column: str, text: str | None) -> str | None:
        return self.text(column, text or None, max_length=home_addresses.MAX_LENGTH,
                         min_length=home_addresses.MIN_LENGTH, required=False)

    def report(self, roster: Roster, origin: Origin, school: str | None) -> bool:
        """True when the row passed."""
        for error in self.errors:
            # (the parameters of a message: never `school` or `everything`)
            roster.problem(origin, error.field or "", error.message, school=school,
                           **error.params)  # type: ignore[arg-type]
        return not self.errors
