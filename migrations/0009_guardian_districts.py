"""Each guardian's districts: those of their children's schools, kept by the database itself.

A parent counts in a district's figures (course enrolments on the programme
dashboard) through a child at one of its schools. Found by joining guardianship,
student and school, a district's figure hashed every student and guardianship
of the district on each request (about 60 ms of the district dashboard's 90 at
city scale); ``guardian_district`` holds the answer, one row per (district,
guardian).

Statement-level triggers keep it exact whatever writes: guardians linked or
unlinked (one by one, or 10,000 rows at a time by the seed's COPY), students
transferred, a school moved to another district. Each change recomputes the
rows of the guardians it touched. Those guardians' account rows are locked
first, so two transactions changing one guardian's children take turns, and
the second sees what the first did (READ COMMITTED takes a fresh snapshot for
every statement of the function).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

_CHILDREN_DISTRICTS = """
    SELECT DISTINCT g.guardian_id, s.district_id
      FROM guardianship g JOIN student st ON st.id = g.student_id JOIN school s ON s.id = st.school_id
"""


class Migration(migrations.Migration):
    dependencies = [("coedu", "0008_family_education_guards")]

    operations = [
        ops.RunSQL(
            sql=[
                """
                CREATE TABLE guardian_district (
                    district_id uuid NOT NULL REFERENCES district (id) ON DELETE CASCADE,
                    guardian_id uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
                    PRIMARY KEY (district_id, guardian_id)
                )
                """,
                "CREATE INDEX guardian_district_guardian ON guardian_district (guardian_id)",
                f"""
                CREATE FUNCTION guardian_district_refresh(guardians uuid[]) RETURNS void LANGUAGE plpgsql AS $$
                BEGIN
                    IF cardinality(guardians) = 0 THEN
                        RETURN;
                    END IF;
                    PERFORM 1 FROM app_user WHERE id = ANY (guardians) ORDER BY id FOR NO KEY UPDATE;
                    DELETE FROM guardian_district gd
                     WHERE gd.guardian_id = ANY (guardians) AND NOT EXISTS (
                           SELECT 1 FROM guardianship g JOIN student st ON st.id = g.student_id
                             JOIN school s ON s.id = st.school_id
                            WHERE g.guardian_id = gd.guardian_id AND s.district_id = gd.district_id);
                    INSERT INTO guardian_district (guardian_id, district_id)
                    {_CHILDREN_DISTRICTS} WHERE g.guardian_id = ANY (guardians)
                    ON CONFLICT DO NOTHING;
                END $$
                """,
                """
                CREATE FUNCTION guardianship_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'INSERT' THEN
                        PERFORM guardian_district_refresh(ARRAY(SELECT DISTINCT guardian_id FROM new_rows));
                    ELSIF TG_OP = 'DELETE' THEN
                        PERFORM guardian_district_refresh(ARRAY(SELECT DISTINCT guardian_id FROM old_rows));
                    ELSE
                        PERFORM guardian_district_refresh(ARRAY(
                            SELECT o.guardian_id FROM old_rows o JOIN new_rows n ON n.id = o.id
                             WHERE (o.guardian_id, o.student_id) IS DISTINCT FROM (n.guardian_id, n.student_id)
                            UNION
                            SELECT n.guardian_id FROM old_rows o JOIN new_rows n ON n.id = o.id
                             WHERE (o.guardian_id, o.student_id) IS DISTINCT FROM (n.guardian_id, n.student_id)));
                    END IF;
                    RETURN NULL;
                END $$
                """,
                """
                CREATE FUNCTION student_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM guardian_district_refresh(ARRAY(
                        SELECT DISTINCT g.guardian_id
                          FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN guardianship g ON g.student_id = n.id
                         WHERE o.school_id IS DISTINCT FROM n.school_id));
                    RETURN NULL;
                END $$
                """,
                """
                CREATE FUNCTION school_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM guardian_district_refresh(ARRAY(
                        SELECT DISTINCT g.guardian_id
                          FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN student st ON st.school_id = n.id
                          JOIN guardianship g ON g.student_id = st.id
                         WHERE o.district_id IS DISTINCT FROM n.district_id));
                    RETURN NULL;
                END $$
                """,
                "CREATE TRIGGER guardianship_added AFTER INSERT ON guardianship REFERENCING NEW TABLE AS new_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION guardianship_changed()",
                "CREATE TRIGGER guardianship_removed AFTER DELETE ON guardianship REFERENCING OLD TABLE AS old_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION guardianship_changed()",
                "CREATE TRIGGER guardianship_updated AFTER UPDATE ON guardianship "
                "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION guardianship_changed()",
                "CREATE TRIGGER student_updated AFTER UPDATE ON student "
                "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION student_changed()",
                "CREATE TRIGGER school_updated AFTER UPDATE ON school "
                "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION school_changed()",
                f"INSERT INTO guardian_district (guardian_id, district_id) {_CHILDREN_DISTRICTS}",
            ],
            reverse_sql=[
                "DROP TRIGGER school_updated ON school",
                "DROP TRIGGER student_updated ON student",
                "DROP TRIGGER guardianship_updated ON guardianship",
                "DROP TRIGGER guardianship_removed ON guardianship",
                "DROP TRIGGER guardianship_added ON guardianship",
                "DROP FUNCTION school_changed()",
                "DROP FUNCTION student_changed()",
                "DROP FUNCTION guardianship_changed()",
                "DROP FUNCTION guardian_district_refresh(uuid[])",
                "DROP TABLE guardian_district",
            ],
        )
    ]
