"""The city's districts, and the guards the ORM cannot express.

- the ten districts, banners and counties of Baotou, with their
  administrative division codes and fixed ids (reference data);
- audit rows can be appended, never changed or removed;
- at most one primary guardian per student;
- a role is held at most once per scope (NULL scopes compare equal).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

DISTRICTS = [
    # code, name, English name
    ("150203", "昆都仑区", "Kundulun District"),
    ("150204", "青山区", "Qingshan District"),
    ("150202", "东河区", "Donghe District"),
    ("150207", "九原区", "Jiuyuan District"),
    ("150205", "石拐区", "Shiguai District"),
    ("150206", "白云鄂博矿区", "Bayan Obo Mining District"),
    ("150221", "土默特右旗", "Tumed Right Banner"),
    ("150222", "固阳县", "Guyang County"),
    ("150223", "达尔罕茂明安联合旗", "Darhan Muminggan United Banner"),
    ("150271", "稀土高新区", "Rare Earth High-tech Zone"),
]


def _district_rows() -> str:
    rows = []
    for position, (code, name, name_en) in enumerate(DISTRICTS, start=1):
        # Fixed UUIDv7-shaped ids: the same district has the same opaque id everywhere.
        row_id = f"01900000-0000-7000-8000-000000{code}"
        rows.append(f"('{row_id}', '{code}', '{name}', '{name_en}', {position})")
    return ",\n".join(rows)


class Migration(migrations.Migration):
    dependencies = [("coedu", "0001_initial")]

    operations = [
        ops.RunSQL(
            sql=[
                f"INSERT INTO district (id, code, name, name_en, position) VALUES {_district_rows()}",
                """
                CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'audit_event is append-only' USING ERRCODE = 'insufficient_privilege';
                END $$
                """,
                "CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event "
                "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
                "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
                "CREATE UNIQUE INDEX guardianship_one_primary ON guardianship (student_id) WHERE is_primary",
                "CREATE UNIQUE INDEX role_assignment_once ON role_assignment "
                "(user_id, role, school_id, district_id, station_id) NULLS NOT DISTINCT",
            ],
            reverse_sql=[
                "DROP INDEX role_assignment_once",
                "DROP INDEX guardianship_one_primary",
                "DROP TRIGGER audit_event_no_truncate ON audit_event",
                "DROP TRIGGER audit_event_no_update ON audit_event",
                "DROP FUNCTION audit_event_append_only()",
                "DELETE FROM district",
            ],
        )
    ]
