"""Pushes in the language of the app that registered the device (they were always Chinese)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("coedu", "0010_refresh_grace")]

    operations = [
        ops.AddField(
            model_name="PushDevice",
            name="language",
            field=fields.CharField(default="zh", max_length=8,
                                   description="The language pushes to this device are written in: the app's, as "
                                               "it registered."),
        ),
    ]
