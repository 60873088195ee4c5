"""A refresh repeated at once (the app's HTTP and WebSocket refreshing together) gets the same new
pair: the token that replaced a spent one is kept with it, sealed."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("coedu", "0009_guardian_districts")]

    operations = [
        ops.AddField(
            model_name="RefreshToken",
            name="successor_sealed",
            field=fields.BinaryField(
                null=True,
                description="The refresh token that replaced this one (sealed), given again to a refresh within "
                            "the grace period."),
        ),
    ]
