from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('coedu', '0019_roster_sync')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Guardianship',
            name='from_roster',
            field=fields.BooleanField(default=False, description='Vouched for by the student information system: a later full roster that leaves it out ends it.', db_default=False),
        ),
    ]
