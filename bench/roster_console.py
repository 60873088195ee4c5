"""The roster sync from the administrators' console at city scale: the city seed's people, exported as
OneRoster 1.2 into a server's roster folder, imported into an empty city by that server's roster lane
(`startRosterImport`, then one school per job), while the same server keeps answering.

  .venv/bin/python -m bench.roster_console            # seeds the city into a fresh database first
  .venv/bin/python -m bench.roster_console --quick    # the demo's size

Measured: from the start to the files checked (status RUNNING) and to the end (COMPLETED), and the
latency of `{ __typename }` asked every 50 ms of the same server meanwhile: its event loop also runs
the deadlines, so a stall there is a stalled escalation. Results: bench/results/roster-console.md.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import sys
import time
from typing import Any

import httpx

from bench.common import environment, percentile, run_seeded, seeded
from bench.roster import _coedu
from tests.conftest import _admin, database_url
from tests.processes import ServerProcess, process_env

PHONE, PASSWORD = "13812345678", "Bench-pass-2026"
LOGIN = """mutation Login($phone: String!, $password: String!) {
  login(input: {phone: $phone, password: $password}) { session { accessToken } } }"""
START = """mutation Start($file: String!) {
  startRosterImport(input: {file: $file}) { rosterImport { id } userErrors { code message } } }"""
WATCH = """query Watch($id: ID!) { node(id: $id) { ... on RosterImport {
  status schoolsTotal schoolsDone problemCount
  changes { schoolsCreated classesCreated studentsCreated guardiansLinked guardiansInvited } } } }"""
#: The loop's goal: nothing it runs (a deadline's page among them) waits longer than this.
STALL_GOAL_MS = 250.0


async def _graphql(client: httpx.AsyncClient, query: str, variables: dict | None = None,
                   token: str | None = None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body = (await client.post("/graphql", json={"query": query, "variables": variables or {}},
                              headers=headers)).json()
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body["data"]


async def _latencies(client: httpx.AsyncClient, done: asyncio.Event) -> list[float]:
    measured: list[float] = []
    while not done.is_set():
        asked = time.monotonic()
        await client.post("/graphql", json={"query": "{ __typename }"})
        measured.append((time.monotonic() - asked) * 1000)
        await asyncio.sleep(0.05)
    return measured


async def main(quick: bool, seed_number: int) -> dict[str, Any]:
    async with environment() as env:
        results = await seeded(quick, seed_number)
        settings = env.settings
        admin_url = database_url(settings.database_url or "", "postgres")
        target = f"coedu_bench_{secrets.token_hex(4)}"
        admin = await _admin(admin_url)
        await admin.execute(f'CREATE DATABASE "{target}"')
        city = dataclasses.replace(settings, database_url=database_url(admin_url, target))
        # The server's data folder is <workdir>/console; its roster folder is <workdir>/console/roster.
        await _coedu(process_env(settings, env.workdir, "source"), "roster", "export",
                     str(env.workdir / "console" / "roster" / "city"))
        console = process_env(city, env.workdir, "console")
        await _coedu(console, "migrate")
        made = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "api.cli", "create-admin", "--phone", PHONE, "--name", "市教育局管理员", env=console,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL)
        await made.communicate(f"{PASSWORD}\n".encode())
        server = await ServerProcess(city, env.workdir, "console").ready(within=120)
        try:
            async with httpx.AsyncClient(base_url=f"http://{server.address}", timeout=60) as client:
                token = (await _graphql(client, LOGIN, {"phone": PHONE, "password": PASSWORD})
                         )["login"]["session"]["accessToken"]
                done = asyncio.Event()
                probe = asyncio.create_task(_latencies(client, done))
                started = time.monotonic()
                run = (await _graphql(client, START, {"file": "city"}, token))["startRosterImport"]
                if run["userErrors"]:
                    raise RuntimeError(run["userErrors"])
                checked = None
                while True:
                    node = (await _graphql(client, WATCH, {"id": run["rosterImport"]["id"]}, token))["node"]
                    if checked is None and node["status"] != "QUEUED":
                        checked = time.monotonic() - started
                    if node["status"] in ("COMPLETED", "REFUSED"):
                        break
                    await asyncio.sleep(1)
                finished = time.monotonic() - started
                done.set()
                latencies = await probe
        finally:
            server.stop()
            await admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
            await admin.close()
        results["console"] = {
            "status": node["status"], "checked_seconds": checked, "seconds": finished,
            "schools": node["schoolsDone"], "problems": node["problemCount"], "changes": node["changes"],
            "typename_ms": {"requests": len(latencies), "p50": percentile(latencies, 0.5),
                            "p99": percentile(latencies, 0.99), "max": max(latencies)},
        }
    return results


def report(outcome: dict[str, Any]) -> str:
    run = outcome["console"]
    probe = run["typename_ms"]
    changes = ", ".join(f"{k} {v:,}" for k, v in run["changes"].items())
    return "\n".join([
        "| | measured | goal |", "| --- | --- | --- |",
        f"| outcome | {run['status']}, {run['schools']} schools, {run['problems']} problems | COMPLETED, 0 problems |",
        f"| start → files checked | {run['checked_seconds']:.0f} s | |",
        f"| start → completed | {run['seconds']:.0f} s | ≤ 600 s |",
        f"| `{{ __typename }}` meanwhile ({probe['requests']:,} requests) | p50 {probe['p50']:.1f} ms, "
        f"p99 {probe['p99']:.1f} ms, max {probe['max']:.0f} ms | p99 ≤ {STALL_GOAL_MS:.0f} ms |",
        f"| changes | {changes} | |",
    ])


def _heading(outcome: dict[str, Any]) -> str:
    return (f"# Roster import from the console ({outcome['scale']} scale, {outcome['when']})\n\n"
            f"Seeded {outcome['seed']['rows']:,} rows in {outcome['seed']['seconds']:.0f} s; one `coedu serve` "
            f"imports the city into an empty database through `startRosterImport`.\n\n{report(outcome)}\n")


if __name__ == "__main__":
    run_seeded(__doc__, main, "roster-console", _heading)
