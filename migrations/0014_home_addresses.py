"""The family's home address belongs to the guardian's household, not to one child's link.

Until now an address was kept per guardianship (typed by staff when linking a guardian) and copied
into each visit at proposal. From here each guardian has at most one household address, read live
by the visits at it. The addresses already on file move to their guardian, opened and sealed again
bound to the new row: the primary link's first, else the oldest link's.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from services.enums import AuditAction
from services.ids import new_id
from tortoise.fields.base import OnDelete
from tortoise.fields.db_defaults import Now
from tortoise import fields

_ON_FILE = """
SELECT DISTINCT ON (guardian_id) id, guardian_id, home_address_sealed AS blob
  FROM guardianship WHERE home_address_sealed IS NOT NULL
 ORDER BY guardian_id, is_primary DESC, created_at, id
"""


async def move_addresses(apps, schema_editor) -> None:
    client = schema_editor.client
    rows = await client.execute_query_dict(_ON_FILE)
    if not rows:
        return
    from services import runtime  # the process's keys: installed before it migrates

    sealer = runtime.current().crypto.sealer
    for start in range(0, len(rows), 1000):  # a city's worth in statements of a thousand
        ids, guardians, blobs = [], [], []
        for row in rows[start:start + 1000]:
            text = sealer.open(bytes(row["blob"]), table="guardianship", column="home_address", row=row["id"])
            ids.append(new_id())
            guardians.append(row["guardian_id"])
            blobs.append(sealer.seal(text, table="home_address", column="address", row=ids[-1]))
        await client.execute_query(
            "INSERT INTO home_address (id, guardian_id, address_sealed, shared_with_co_guardians)"
            " SELECT *, false FROM unnest($1::uuid[], $2::uuid[], $3::bytea[])", [ids, guardians, blobs])


class Migration(migrations.Migration):
    dependencies = [('coedu', '0013_runtime_role')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HomeAddress',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('guardian', fields.OneToOneField('coedu.User', source_field='guardian_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('address_sealed', fields.BinaryField()),
                ('shared_with_co_guardians', fields.BooleanField(default=False, description="Readable by the other guardians of the guardian's children while true.")),
                ('updated_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'home_address', 'app': 'coedu', 'pk_attr': 'id', 'table_description': "A guardian's household address: one per guardian account, for all their children."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='AuditEvent',
            name='action',
            field=fields.CharEnumField(description='READ_ALERT: READ_ALERT\nUPDATE_ALERT: UPDATE_ALERT\nREAD_HOME_ADDRESS: READ_HOME_ADDRESS\nUPDATE_HOME_ADDRESS: UPDATE_HOME_ADDRESS\nEXPORT: EXPORT\nSIGN_IN: SIGN_IN\nROLE_CHANGE: ROLE_CHANGE', enum_type=AuditAction, max_length=24),
        ),
        ops.RunPython(move_addresses),
        ops.RemoveField(model_name='Guardianship', name='home_address_sealed'),
        ops.AlterField(
            model_name='HomeVisit',
            name='address_sealed',
            field=fields.BinaryField(null=True, description='Where, as the teacher wrote it (a library, a park): sealed, for the visiting teachers and the family.'),
        ),
        ops.AddField(
            model_name='HomeVisit',
            name='address_guardian',
            field=fields.ForeignKeyField('coedu.User', source_field='address_guardian_id', null=True, description="Or at a guardian's household address on file, read live (services.organisation.home_addresses):", db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
    ]
