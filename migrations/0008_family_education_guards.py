"""What keeps family education consistent and fast, beyond the ORM.

- an instructor's bookings (consultations, sessions taught) never overlap;
- a session never has more registrations than seats; a parent holds one
  live registration per session;
- stations are found by great-circle distance through a GiST index
  (earthdistance), courses by their search terms through a GIN index.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("coedu", "0007_family_education")]

    operations = [
        ops.RunSQL(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS btree_gist",
                "CREATE EXTENSION IF NOT EXISTS cube",
                "CREATE EXTENSION IF NOT EXISTS earthdistance",
                "ALTER TABLE instructor_booking ADD CONSTRAINT instructor_booking_no_overlap "
                "EXCLUDE USING gist (instructor_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)",
                "ALTER TABLE course_session ADD CONSTRAINT course_session_seats "
                "CHECK (registered >= 0 AND registered <= capacity)",
                "CREATE UNIQUE INDEX session_registration_once ON session_registration (session_id, guardian_id) "
                "WHERE status <> 'CANCELLED'",
                "CREATE INDEX service_station_location ON service_station "
                "USING gist (ll_to_earth(latitude, longitude)) WHERE latitude IS NOT NULL",
                "CREATE INDEX course_search_terms ON course USING gin (search_terms jsonb_path_ops)",
            ],
            reverse_sql=[
                "DROP INDEX course_search_terms",
                "DROP INDEX service_station_location",
                "DROP INDEX session_registration_once",
                "ALTER TABLE course_session DROP CONSTRAINT course_session_seats",
                "ALTER TABLE instructor_booking DROP CONSTRAINT instructor_booking_no_overlap",
            ],
        )
    ]
