"""The application's code type-checks (mypy, configured in pyproject.toml), in the one test command.

``warn_unused_ignores`` is on: every ``# type: ignore[code]`` left is one the checker still needs,
and each says why. The cache (``.mypy_cache``, git-ignored) makes a run after a small change fast.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "mypy", "--no-color-output", "--no-error-summary"],
                            capture_output=True, text=True, check=False, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
