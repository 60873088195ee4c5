"""Where the API process spends its time under load: py-spy samples it while the load generator
sends one screen's request, and the hottest functions are listed (self and inclusive time).

  .venv/bin/python -m bench.profile parent-home --seconds 15
  .venv/bin/python -m bench.profile flat
  .venv/bin/python -m bench.profile raise-alert   # the suite's writes: raise-alert, mark-read

The collapsed stacks go to bench/results/profile-<workload>.txt (open them in speedscope or
inferno for a flame graph). Demo-sized data: the profile is about code paths, not data size.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
from pathlib import Path

from bench import load
from bench.common import RESULTS, environment
from bench.suite import (
    FLAT,
    MARK_ALL_READ,
    MARK_READ,
    NESTED,
    PARENT_HOME,
    RAISE_ALERT,
    _graphql,
    _people,
    _token,
    raise_alert_variables,
)
from schema.common.ids import to_global_id
from services.seed import DEMO, seed

WORKLOADS = {"parent-home": ("parent", lambda people: (PARENT_HOME, {})),
             "flat": ("teacher", lambda people: (FLAT, {"id": to_global_id("SchoolClass", people["class"])})),
             "nested": ("teacher", lambda people: (NESTED, {"id": to_global_id("SchoolClass", people["class"])})),
             "mark-read": ("parent", lambda people: (MARK_READ, MARK_ALL_READ)),
             "raise-alert": ("teacher", lambda people: (RAISE_ALERT, raise_alert_variables(people["student"])))}


def hottest(collapsed: Path, top: int = 25) -> str:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue  # a line py-spy cut short
        frames = stack.split(";")
        samples = int(count)
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    lines = [f"{total} samples", "", "self %   function"]
    lines += [f"{100 * n / total:6.1f}   {frame}" for frame, n in own.most_common(top)]
    lines += ["", "incl %   function"]
    lines += [f"{100 * n / total:6.1f}   {frame}" for frame, n in inclusive.most_common(top * 2)
              if "bench" not in frame]
    return "\n".join(lines)


async def main(workload: str, seconds: float) -> str:
    who, build = WORKLOADS[workload]
    async with environment() as env:
        await seed(DEMO, 2026)
        people = await _people()
        token = await _token(people[who])
        api = env.server("profiled")
        try:
            await api.ready()
            query, variables = build(people)
            target = _graphql(api.address, query, variables, token)
            out = RESULTS / f"profile-{workload}.txt"
            spy = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(api.process.pid),
                "--duration", str(int(seconds)), "--rate", "200", "--format", "raw", "--output", str(out),
                "--nonblocking", stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            result = await asyncio.to_thread(load.run, target, concurrency=8, warm_up=1, duration=seconds + 1)
            await asyncio.wait_for(spy.wait(), 60)
        finally:
            api.stop()
    return f"{result.throughput:.0f} req/s while profiled\n" + hottest(out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    print(asyncio.run(main(args.workload, args.seconds)))  # noqa: T201 - the profile's output
