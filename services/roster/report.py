"""What an import tells its operator: the problems, each with file, row, column, code and a message
in the operator's language, and the invitation codes to hand on. Both files are created readable
by their owner only (0600): they hold personal data, which never goes to a log."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

from services.messages import Language, translate
from services.roster.records import Problem
from services.roster.sync import Invited, Outcome

_INVITATION_HEADINGS = ("name", "phone", "code", "expires_at")
_HEADINGS = {
    "zh": ("文件", "行", "列", "代码", "说明"),
    "en": ("file", "row", "column", "code", "message"),
}


def _private(path: Path) -> int:
    """A new file, or an emptied existing one, mode 0600 either way."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    return descriptor


def write_problems(path: Path, problems: Iterable[Problem], language: Language) -> int:
    count = 0
    with os.fdopen(_private(path), "w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(_HEADINGS.get(language, _HEADINGS["en"]))
        for problem in sorted(problems, key=lambda p: (p.origin.file, p.origin.row, p.column)):
            writer.writerow((problem.origin.file, problem.origin.row, problem.column, problem.key.upper(),
                             translate(problem.key, language, problem.params)))
            count += 1
    return count


def append_invitations(path: Path, invitations: Iterable[Invited]) -> int:
    """Add codes to the report as each school commits (created 0600, with its heading, the first time).
    A guardian invited again, for a child at another school, has a later row: the later code holds."""
    added = sorted(invitations, key=lambda i: i.phone)
    if not added:
        return 0
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        if file.tell() == 0:
            writer.writerow(_INVITATION_HEADINGS)
        writer.writerows((i.name, i.phone, i.code, i.expires_at.isoformat()) for i in added)
    return len(added)


def summary(outcome: Outcome) -> list[str]:
    """Counts only: what was (or, in a dry run, would be) created, updated, transferred, withdrawn, invited."""
    lines = [f"  {what:<24} {count:>9,}" for what, count in sorted(outcome.counts.items()) if count]
    return lines or ["  nothing to change"]
