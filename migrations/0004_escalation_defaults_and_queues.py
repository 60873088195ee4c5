"""Default escalation policies and the indexes the queues poll.

- acknowledgement deadlines per severity: CRITICAL 15 min, HIGH 2 h,
  MEDIUM 24 h, LOW 72 h; follow-up period 24 h;
- the scheduler polls due, unfinished jobs; the inbox counts unread rows.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

POLICIES = [
    ("01900000-0000-7000-8000-0000000a1e01", "CRITICAL", 15),
    ("01900000-0000-7000-8000-0000000a1e02", "HIGH", 120),
    ("01900000-0000-7000-8000-0000000a1e03", "MEDIUM", 1440),
    ("01900000-0000-7000-8000-0000000a1e04", "LOW", 4320),
]


class Migration(migrations.Migration):
    dependencies = [("coedu", "0003_wellbeing_and_notifications")]

    operations = [
        ops.RunSQL(
            sql=[
                "INSERT INTO escalation_policy (id, severity, acknowledge_within_minutes, follow_up_minutes) VALUES "
                + ", ".join(f"('{i}', '{s}', {m}, 1440)" for i, s, m in POLICIES),
                "CREATE INDEX scheduled_job_due ON scheduled_job (due_at) WHERE done_at IS NULL",
                "CREATE INDEX notification_unread ON notification (user_id) WHERE read_at IS NULL",
            ],
            reverse_sql=[
                "DROP INDEX notification_unread",
                "DROP INDEX scheduled_job_due",
                "DELETE FROM escalation_policy",
            ],
        )
    ]
