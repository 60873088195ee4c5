"""The 静待花开 family-education column: episodes and each person's progress.

Episodes are searched like the course catalogue (a GIN index on their search terms).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from services.enums import ColumnEpisodeFormat, ColumnEpisodeStatus
from services.ids import new_id
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.fields.db_defaults import Now
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('coedu', '0016_teacher_training')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ColumnEpisode',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=60)),
                ('summary', fields.CharField(max_length=500)),
                ('format', fields.CharEnumField(description='VIDEO: VIDEO\nAUDIO: AUDIO\nARTICLE: ARTICLE', enum_type=ColumnEpisodeFormat, max_length=8)),
                ('series', fields.CharField(null=True, max_length=30)),
                ('topics', fields.JSONField(default=list, description='Names, a JSON list (0 to 5).', encoder=JSON_DUMPS, decoder=loads)),
                ('grade_bands', fields.JSONField(default=list, description='GradeBand values, a JSON list (1 to 4).', encoder=JSON_DUMPS, decoder=loads)),
                ('duration_seconds', fields.IntField()),
                ('media_url', fields.CharField(max_length=500)),
                ('cover_image_url', fields.CharField(null=True, max_length=500)),
                ('district', fields.ForeignKeyField('coedu.District', source_field='district_id', null=True, description='The district whose people it is for; None: the whole city.', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=ColumnEpisodeStatus.DRAFT, description='DRAFT: DRAFT\nPUBLISHED: PUBLISHED\nUNPUBLISHED: UNPUBLISHED', enum_type=ColumnEpisodeStatus, max_length=12)),
                ('published_at', fields.DatetimeField(null=True, description='Set the first time it is published, kept after.', auto_now=False, auto_now_add=False)),
                ('search_terms', fields.JSONField(default=list, description='Search terms of title and summary (services.family_education.search), under a GIN index.', encoder=JSON_DUMPS, decoder=loads)),
                ('created_by', fields.ForeignKeyField('coedu.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'column_episode', 'app': 'coedu', 'indexes': [Index(fields=['status', 'published_at']), Index(fields=['district_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A video, audio or article episode; its media are hosted elsewhere.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ColumnProgress',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('episode', fields.ForeignKeyField('coedu.ColumnEpisode', source_field='episode_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('coedu.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('position_seconds', fields.IntField()),
                ('started_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'column_progress', 'app': 'coedu', 'unique_together': (('episode_id', 'user_id'),), 'indexes': [Index(fields=['user_id', 'updated_at']), Index(fields=['started_at']), Index(fields=['finished_at'])], 'pk_attr': 'id', 'table_description': 'How far one person got through one episode: the furthest point, and when they finished.'},
            bases=['Model'],
        ),
        ops.RunSQL(
            sql=["CREATE INDEX column_episode_search ON column_episode USING gin (search_terms jsonb_path_ops)"],
            reverse_sql=["DROP INDEX column_episode_search"],
        ),
    ]
