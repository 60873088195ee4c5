"""The code is ruff-clean (part of the one test command, so CI checks it too)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)], capture_output=True, text=True,
                            check=False, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_imports_point_one_way():
    """api -> schema -> services: the domain never imports the GraphQL surface or the process."""
    offenders = []
    for package, forbidden in (("services", ("schema", "api", "strawberry")), ("schema", ("api",))):
        for path in (ROOT / package).rglob("*.py"):
            for line in path.read_text(encoding="utf-8").splitlines():
                stripped = line.strip()
                if any(stripped.startswith((f"from {name}", f"import {name}")) for name in forbidden):
                    offenders.append(f"{path.relative_to(ROOT)}: {stripped}")
    assert offenders == []
