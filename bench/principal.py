"""What a request's principal costs: server CPU per request of ``{ viewer { id } }`` and ParentHome (and
PostgreSQL's, its backends serving the benchmark's database), the code of other checkouts against this
one ("this"), side by side on the same database and Redis.

  git archive <commit> | tar -x -C /tmp/before
  .venv/bin/python -m bench.principal --compare before=/tmp/before --rounds 5 --seconds 5

Each round loads one server at a time (alternating the order) from a process of its own, and reads
the server's CPU time from /proc before and after: CPU per request is what the change is about, and it does
not depend on what else the machine is doing as much as throughput does. Demo-sized data, or with
``--city`` the city of ``bench.suite`` (seeded in about two minutes), on which the goals are judged.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench import load
from bench.common import environment
from bench.suite import FLAT, NESTED, PARENT_HOME, _cpus, _database_cpu, _graphql, _people, _post, _token
from schema.common.ids import to_global_id
from services.seed import CITY, DEMO, seed
from tests.processes import ServerProcess

#: Each request measured: who sends it (a person of ``bench.suite._people``), the document, its variables.
Workload = tuple[str, str, Callable[[dict[str, Any]], dict[str, Any]]]
WORKLOADS: dict[str, Workload] = {
    "viewer": ("parent", "query Viewer { viewer { id } }", lambda people: {}),
    "parent-home": ("parent", PARENT_HOME, lambda people: {}),
    "flat": ("teacher", FLAT, lambda people: {"id": to_global_id("SchoolClass", people["class"])}),
    "nested": ("teacher", NESTED, lambda people: {"id": to_global_id("SchoolClass", people["class"])}),
}
DEFAULT = ("viewer", "parent-home")
CONCURRENCY = 8


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process (and its threads)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _serve_from(checkout: Path) -> list[str]:
    """`coedu serve` of another checkout: its directory first on the path, ahead of the working one."""
    return ["-c", f"import runpy, sys; sys.path.insert(0, {str(checkout)!r}); "
                  "runpy.run_module('api.cli', run_name='__main__')", "serve"]


async def main(others: dict[str, Path], rounds: int, seconds: float, workloads: dict[str, Workload],
               city: bool = False) -> str:
    server_cpu, load_cpu = _cpus()
    async with environment() as env:
        await seed(CITY if city else DEMO, 2026)
        people = await _people()
        tokens = {who: await _token(people[who]) for who in {who for who, _, _ in workloads.values()}}
        servers = {name: ServerProcess(env.settings, env.workdir, name, _serve_from(path))
                   for name, path in others.items()}
        servers["this"] = env.server("this")
        try:
            await asyncio.gather(*(server.ready() for server in servers.values()))
            if server_cpu is not None:
                for server in servers.values():
                    os.sched_setaffinity(server.process.pid, {server_cpu})
            figures: dict[tuple[str, str], list[tuple[float, float, float, float]]] = {}
            async with httpx.AsyncClient(timeout=30) as client:
                statements: dict[str, dict[str, int]] = {}
                for workload, (who, query, variables) in workloads.items():
                    body = {"query": query, "variables": variables(people)}
                    answers = [await _post(client, s.address, "/graphql", body, tokens[who]) for s in servers.values()]
                    assert "errors" not in answers[0].json(), answers[0].json()
                    assert all(a.json() == answers[0].json() for a in answers), "every server must answer the same"
                    statements[workload] = {name: int((await _post(client, s.address, "/graphql", body, tokens[who]))
                                                      .headers["x-sql-statements"])
                                            for name, s in servers.items()}
            for number in range(rounds):
                for workload, (who, query, variables) in workloads.items():
                    names = list(servers) if number % 2 == 0 else list(reversed(servers))
                    for name in names:
                        server = servers[name]
                        target = _graphql(server.address, query, variables(people), tokens[who])
                        started, database = _cpu_seconds(server.process.pid), await _database_cpu()
                        result = await asyncio.to_thread(load.run, target, concurrency=CONCURRENCY, warm_up=0,
                                                         duration=seconds, cpu=load_cpu)
                        spent = _cpu_seconds(server.process.pid) - started
                        database_spent = sum(cpu - database.get(pid, 0.0)
                                             for pid, cpu in (await _database_cpu()).items())
                        assert result.errors == 0
                        figures.setdefault((workload, name), []).append(
                            (spent * 1000 / result.requests, result.throughput,
                             statistics.median(result.latencies_ms), database_spent * 1000 / result.requests))
        finally:
            for server in servers.values():
                server.stop()
    lines = [f"{'City' if city else 'Demo'} data; {rounds} alternating rounds of {seconds:g} s, c={CONCURRENCY}, "
             f"servers on CPU {server_cpu}, "
             f"load on CPU {load_cpu}; medians of the rounds; statements of a warm request: {statements}", "",
             "| request | code | CPU ms / request | least of a round | PostgreSQL CPU ms / request | requests / s "
             "| p50 ms |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for (workload, name), runs in figures.items():
        cpu, throughput, p50, database_cpu = (statistics.median(run[i] for run in runs) for i in range(4))
        # Others' work on a shared machine only ever adds to a round's CPU: the least is the steadiest figure.
        least = min(run[0] for run in runs)
        lines.append(f"| {workload} | {name} | {cpu:.2f} | {least:.2f} | {database_cpu:.2f} | {throughput:.0f} "
                     f"| {p50:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", action="append", required=True, metavar="NAME=DIR",
                        help="a checkout of other code to compare with (repeat for more)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--only", choices=sorted(WORKLOADS), action="append",
                        help=f"the requests to measure (repeat for more; default: {', '.join(DEFAULT)})")
    parser.add_argument("--city", action="store_true", help="city-scale data (bench.suite's), not the demo's")
    args = parser.parse_args()
    others = {name: Path(path) for name, _, path in (item.partition("=") for item in args.compare)}
    chosen = {name: WORKLOADS[name] for name in (args.only or DEFAULT)}
    print(asyncio.run(main(others, args.rounds, args.seconds, chosen, args.city)))  # noqa: T201 - the benchmark's output
