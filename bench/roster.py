"""The roster sync at city scale: the city seed's people out as OneRoster 1.2 and into an empty
city, then the same files again; then the same people as one student-status (学籍) XLSX spreadsheet
into another empty city, and that file again.

  .venv/bin/python -m bench.roster            # seeds the city into a fresh database first
  .venv/bin/python -m bench.roster --quick    # the demo's size

Every step is `coedu roster ...` in a process of its own, as an operator runs it. Measured: the
export, the first import (every school, class, student, guardian, link and invitation created,
its checkpoint school by school), and the second, which must change nothing. Goals: the first
import under 10 minutes, the second under 2. Results: bench/results/roster.md.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import sys
import time
from typing import Any

from bench.common import environment, run_seeded, seeded
from services.roster import oneroster, xueji
from tests.conftest import _admin, database_url
from tests.processes import process_env

GOALS = {"import": 600.0, "again": 120.0, "spreadsheet_import": 600.0, "spreadsheet_again": 120.0}


async def _coedu(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "api.cli", *args, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"coedu {' '.join(args)} failed: {err.decode()[-2000:]}")
    return time.monotonic() - started, out.decode()


def _counts(printed: str) -> dict[str, int]:
    return {line.split()[0]: int(line.split()[1].replace(",", "")) for line in printed.splitlines()
            if line.startswith("  ") and len(line.split()) == 2}


async def main(quick: bool, seed_number: int) -> dict[str, Any]:
    async with environment() as env:
        results = await seeded(quick, seed_number)
        settings = env.settings
        admin_url = database_url(settings.database_url or "", "postgres")
        target = f"coedu_bench_{secrets.token_hex(4)}"
        admin = await _admin(admin_url)
        targets = [f"{target}_{n}" for n in (1, 2)]
        for name in targets:
            await admin.execute(f'CREATE DATABASE "{name}"')
        source = process_env(settings, env.workdir, "source")
        empty, other = (process_env(dataclasses.replace(settings, database_url=database_url(admin_url, name)),
                                    env.workdir, name) for name in targets)
        results["load_average"] = os.getloadavg()
        bundle = env.workdir / "bundle"
        seconds, printed = await _coedu(source, "roster", "export", str(bundle))
        results["export"] = {"seconds": seconds, "bytes": sum(p.stat().st_size for p in bundle.iterdir())}
        report = str(env.workdir / "report.csv")
        seconds, printed = await _coedu(empty, "roster", "import", str(bundle), "--report", report)
        results["import"] = {"seconds": seconds, "changes": _counts(printed), "unchanged": False}
        seconds, printed = await _coedu(empty, "roster", "import", str(bundle), "--report", report)
        results["again"] = {"seconds": seconds, "changes": _counts(printed),
                            "unchanged": "nothing to change" in printed}
        spreadsheet = env.workdir / "学籍.xlsx"
        started = time.monotonic()
        written = xueji.write(oneroster.read(bundle), spreadsheet)
        results["spreadsheet"] = {"seconds": time.monotonic() - started, "rows": written,
                                  "bytes": spreadsheet.stat().st_size}
        for step in ("spreadsheet_import", "spreadsheet_again"):
            seconds, printed = await _coedu(other, "roster", "import", str(spreadsheet), "--report", report)
            results[step] = {"seconds": seconds, "changes": _counts(printed),
                             "unchanged": "nothing to change" in printed}
        for name in targets:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return results


def report(outcome: dict[str, Any]) -> str:
    def row(what: str, step: str) -> str:
        measured = outcome[step]
        changes = ("nothing changed" if measured.get("unchanged") else
                   ", ".join(f"{k} {v:,}" for k, v in sorted(measured["changes"].items())))
        verdict = "met" if measured["seconds"] <= GOALS[step] else "NOT met"
        return f"| {what} | {measured['seconds']:.0f} s | ≤ {GOALS[step]:.0f} s: {verdict} | {changes} |"

    lines = ["| step | time | goal | what |", "| --- | --- | --- | --- |",
             f"| export (OneRoster 1.2 CSV) | {outcome['export']['seconds']:.0f} s | | "
             f"{outcome['export']['bytes'] / 1e6:.0f} MB |",
             row("first import, into an empty city", "import"), row("the same files again", "again")]
    if "spreadsheet" in outcome:
        sheet = outcome["spreadsheet"]
        lines += [f"| the same people as one 学籍 XLSX (written in the bench) | {sheet['seconds']:.0f} s | | "
                  f"{sheet['rows']:,} rows, {sheet['bytes'] / 1e6:.0f} MB |",
                  row("the spreadsheet, into another empty city", "spreadsheet_import"),
                  row("the spreadsheet again", "spreadsheet_again")]
    return "\n".join(lines)


def _heading(outcome: dict[str, Any]) -> str:
    return (f"# Roster sync ({outcome['scale']} scale, {outcome['when']})\n\n"
            f"Seeded {outcome['seed']['rows']:,} rows in {outcome['seed']['seconds']:.0f} s; every step below is "
            f"`coedu roster …` in a process of its own; load average before the first step "
            f"{outcome['load_average'][0]:.2f}.\n\n{report(outcome)}\n")


if __name__ == "__main__":
    run_seeded(__doc__, main, "roster", _heading)
