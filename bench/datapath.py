"""The CPU the parent's home screen spends reading its rows, in this process: the service reads behind
ParentHome's four row statements (children, their upcoming visits, enrolments, seats), called in a
loop for the parent of ``bench.suite``, without the server, GraphQL or the loaders around them.

  .venv/bin/python -m bench.datapath --calls 700 --rounds 7
  PYTHONPATH=/tmp/tree-main .venv/bin/python -m bench.datapath   # another checkout's code

Prints the least CPU per call of the rounds (user and system, ``time.process_time``): on a shared
machine the least round is the one least disturbed. Demo-sized data.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench.common import environment
from bench.suite import _people
from services.seed import DEMO, seed

WARM_CALLS = 200


async def main(calls: int, rounds: int) -> list[float]:
    from services.family_education import courses, sessions
    from services.home_visits import queries as home_visits
    from services.identity import principals
    from services.organisation import queries as organisation

    async with environment():
        await seed(DEMO, 2026)
        viewer = await principals.of_user((await _people())["parent"])
        assert viewer is not None

        async def once() -> None:
            children = await organisation.children_of(viewer)
            await home_visits.upcoming_of_students(viewer, [child.student.id for child in children])
            await courses.my_enrollments(viewer, first=10, after=None)
            await sessions.my_registrations(viewer, upcoming=True, first=5, after=None)

        for _ in range(WARM_CALLS):
            await once()
        figures = []
        for _ in range(rounds):
            started = time.process_time()
            for _ in range(calls):
                await once()
            figures.append(1000 * (time.process_time() - started) / calls)
        return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=700, help="calls of the four reads per round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    figures = asyncio.run(main(args.calls, args.rounds))
    print(f"CPU ms per call, least of {args.rounds} rounds: {min(figures):.3f} "  # noqa: T201 - the output
          f"(median {sorted(figures)[len(figures) // 2]:.3f})")
