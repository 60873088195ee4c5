"""Escalation lateness: a few hundred deadlines, two server processes, one killed midway.

Every alert's first deadline is moved to a moment in the next seconds (spread evenly); a
SIGKILL takes one process down halfway through. Lateness is the database clock from the
deadline to the ESCALATED event. Run:  .venv/bin/python -m bench.escalation --alerts 300
"""

from __future__ import annotations

import argparse
import asyncio
import time

from tortoise import connections

from bench.common import RESULTS, environment, summary
from services.enums import AlertCategory, AlertSeverity, AlertSource
from services.identity import principals
from services.wellbeing import alerts as alerts_service
from tests.helpers import build_world


async def main(count: int, spread: float) -> dict[str, float]:
    async with environment() as env:
        world = await build_world()
        teacher = await principals.of_user(world["teacher_a"].user.id)
        servers = [env.server("deadline-a"), env.server("deadline-b")]
        try:
            for server in servers:
                await server.ready()
            ids = []
            for number in range(count):
                row = await alerts_service.raise_alert(
                    teacher, student_id=world.students["a"].id, severity=AlertSeverity.HIGH,
                    category=AlertCategory.OTHER, source=AlertSource.TEACHER_OBSERVATION, summary=f"截止 {number}",
                    details=None)
                ids.append(row.id)
            db = connections.get("default")
            # Deadlines from 3 s on, spread over `spread` seconds, by the database clock.
            await db.execute_query(
                """WITH planned AS (
                       SELECT id, now() + make_interval(secs => 3 + $2 * (row_number() OVER (ORDER BY id) - 1) / $3)
                              AS due FROM wellbeing_alert WHERE id = ANY($1))
                   UPDATE wellbeing_alert a SET acknowledge_by = planned.due FROM planned WHERE a.id = planned.id""",
                [ids, spread, count])
            await db.execute_query(
                """UPDATE scheduled_job j SET due_at = a.acknowledge_by FROM wellbeing_alert a
                    WHERE j.subject_id = a.id AND j.kind = 'alert_deadline' AND j.done_at IS NULL
                      AND a.id = ANY($1)""", [ids])
            await asyncio.sleep(3 + spread / 2)
            servers[0].kill()
            killed_at = time.monotonic()
            deadline = killed_at + spread / 2 + 30
            while time.monotonic() < deadline:
                rows = await db.execute_query_dict(
                    "SELECT count(DISTINCT alert_id) AS n FROM wellbeing_alert_event "
                    "WHERE kind = 'ESCALATED' AND alert_id = ANY($1)", [ids])
                if rows[0]["n"] == count:
                    break
                await asyncio.sleep(0.5)
            lateness = await db.execute_query_dict(
                """SELECT j.subject_id, j.due_at, j.done_by,
                          (SELECT min(e.at) FROM wellbeing_alert_event e
                            WHERE e.alert_id = j.subject_id AND e.kind = 'ESCALATED') AS escalated_at,
                          (SELECT count(*) FROM wellbeing_alert_event e
                            WHERE e.alert_id = j.subject_id AND e.kind = 'ESCALATED') AS escalations
                     FROM scheduled_job j
                    WHERE j.kind = 'alert_deadline' AND j.subject_id = ANY($1)
                      AND j.created_at = (SELECT min(created_at) FROM scheduled_job k
                                           WHERE k.subject_id = j.subject_id AND k.kind = 'alert_deadline')""",
                [ids])
        finally:
            for server in servers:
                server.stop()
    late = [(r["escalated_at"] - r["due_at"]).total_seconds() for r in lateness if r["escalated_at"]]
    by_survivor = sum(1 for r in lateness if r["done_by"] == servers[1].owner)
    result = {
        "deadlines": count,
        "escalated": len(late),
        "missed": count - len(late),
        "duplicates": sum(1 for r in lateness if r["escalations"] > 1),
        "early": sum(1 for value in late if value < 0),
        "by_survivor": by_survivor,
    }
    return result | {k: v * 1000 for k, v in summary(late).items()}


def report(r: dict[str, float]) -> str:
    return "\n".join([
        "| deadlines | escalated | missed | escalated twice | early | p50 ms | p99 ms | max ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {r['deadlines']:.0f} | {r['escalated']:.0f} | {r['missed']:.0f} | {r['duplicates']:.0f} | "
        f"{r['early']:.0f} | {r['p50']:.0f} | {r['p99']:.0f} | {r['max']:.0f} |",
    ])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=300)
    parser.add_argument("--spread", type=float, default=20.0, help="seconds the deadlines are spread over")
    args = parser.parse_args()
    table = report(asyncio.run(main(args.alerts, args.spread)))
    print(table)  # noqa: T201 - the benchmark's output
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "escalation.md").write_text(
        f"# Escalation lateness (one of two processes SIGKILLed midway)\n\n{table}\n", encoding="utf-8")
