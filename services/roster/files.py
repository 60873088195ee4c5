"""A roster file's format, and reading it whatever the format."""

from __future__ import annotations

from pathlib import Path

from services.enums import RosterFormat
from services.roster import oneroster, xueji
from services.roster.records import Roster


def guess_format(path: Path) -> RosterFormat:
    """OneRoster for a zip or a folder with manifest.csv; otherwise the student-status spreadsheets."""
    if path.suffix.lower() == ".zip" or (path / "manifest.csv").is_file():
        return RosterFormat.ONEROSTER
    return RosterFormat.XUEJI


def read(path: Path, kind: RosterFormat, mapping: dict[str, str] | None = None) -> Roster:
    """``mapping``: the spreadsheets' own headings (see xueji)."""
    return oneroster.read(path) if kind == RosterFormat.ONEROSTER else xueji.read(path, mapping)
