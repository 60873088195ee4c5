"""What makes home-visit conflicts impossible by construction.

- a teacher's bookings never overlap (btree_gist exclusion on teacher and
  blocked time, the travel buffer already in the blocked range);
- a student has at most one open (proposed, reschedule-requested or
  confirmed) visit at a time;
- an alert raised from a visit points at it.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("coedu", "0005_home_visits")]

    operations = [
        ops.RunSQL(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS btree_gist",
                "ALTER TABLE home_visit_booking ADD CONSTRAINT home_visit_booking_no_overlap "
                "EXCLUDE USING gist (teacher_id WITH =, tstzrange(blocked_from, blocked_until, '[)') WITH &&)",
                "CREATE UNIQUE INDEX home_visit_one_open_per_student ON home_visit (student_id) "
                "WHERE status IN ('PROPOSED', 'RESCHEDULE_REQUESTED', 'CONFIRMED')",
                "ALTER TABLE wellbeing_alert ADD CONSTRAINT wellbeing_alert_home_visit_fk "
                "FOREIGN KEY (home_visit_id) REFERENCES home_visit (id) ON DELETE RESTRICT",
            ],
            reverse_sql=[
                "ALTER TABLE wellbeing_alert DROP CONSTRAINT wellbeing_alert_home_visit_fk",
                "DROP INDEX home_visit_one_open_per_student",
                "ALTER TABLE home_visit_booking DROP CONSTRAINT home_visit_booking_no_overlap",
            ],
        )
    ]
