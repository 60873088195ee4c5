from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from services.enums import AuditAction, RosterFormat, RosterKind, RosterRunStatus
from services.ids import new_id
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.fields.db_defaults import Now
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('coedu', '0018_school_notices')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RosterRun',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('direction', fields.CharField(max_length=8)),
                ('format', fields.CharEnumField(description='ONEROSTER: ONEROSTER\nXUEJI: XUEJI', enum_type=RosterFormat, max_length=12)),
                ('digest', fields.CharField(max_length=64)),
                ('status', fields.CharEnumField(default=RosterRunStatus.RUNNING, description='QUEUED: QUEUED\nRUNNING: RUNNING\nCOMPLETED: COMPLETED\nREFUSED: REFUSED', enum_type=RosterRunStatus, max_length=12)),
                ('started_by', fields.ForeignKeyField('coedu.User', source_field='started_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('started_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('schools_total', fields.IntField(default=0)),
                ('schools_done', fields.JSONField(default=list, description='Source ids of the schools committed so far.', encoder=JSON_DUMPS, decoder=loads)),
                ('counts', fields.JSONField(default=dict, description='{"created.student": 12, ...}: what the run changed so far (a dry run: would change).', encoder=JSON_DUMPS, decoder=loads)),
                ('file_name', fields.CharField(null=True, description="Imports started from the console: the file in the roster folder, and the operator's choices.", max_length=255)),
                ('dry_run', fields.BooleanField(default=False)),
                ('valid_schools_only', fields.BooleanField(default=False)),
                ('districts', fields.JSONField(null=True, description="The districts whose schools the operator may import (a district administrator's); null: the city.", encoder=JSON_DUMPS, decoder=loads)),
                ('problems', fields.JSONField(default=list, description='[{"file", "row", "column", "key", "params"}]: what the check found.', encoder=JSON_DUMPS, decoder=loads)),
                ('refused_schools', fields.JSONField(default=list, description='Source ids of the schools left out for their problems.', encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'roster_run', 'app': 'coedu', 'indexes': [Index(fields=['digest', 'status'])], 'pk_attr': 'id', 'table_description': 'One import or export: who ran it, on which file (its digest), what it changed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RosterSource',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='SCHOOL: SCHOOL\nCLASS: CLASS\nSTUDENT: STUDENT\nGUARDIAN: GUARDIAN', enum_type=RosterKind, max_length=12)),
                ('source_index', fields.CharField(max_length=64)),
                ('source_sealed', fields.BinaryField()),
                ('entity_id', fields.UUIDField()),
            ],
            options={'table': 'roster_source', 'app': 'coedu', 'unique_together': (('kind', 'source_index'), ('kind', 'entity_id')), 'pk_attr': 'id', 'table_description': 'The source id (OneRoster ``sourcedId``, or a 学籍号) a school, class, student or guardian'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='AuditEvent',
            name='action',
            field=fields.CharEnumField(description='READ_ALERT: READ_ALERT\nUPDATE_ALERT: UPDATE_ALERT\nREAD_HOME_ADDRESS: READ_HOME_ADDRESS\nUPDATE_HOME_ADDRESS: UPDATE_HOME_ADDRESS\nEXPORT: EXPORT\nIMPORT: IMPORT\nSIGN_IN: SIGN_IN\nROLE_CHANGE: ROLE_CHANGE', enum_type=AuditAction, max_length=24),
        ),
        ops.AddIndex(
            model_name='Invitation',
            index=Index(fields=['user_id']),
        ),
        ops.AddField(
            model_name='Student',
            name='withdrawn_at',
            field=fields.DatetimeField(null=True, description="Set when the student left the city's schools (a roster sync no longer lists them); the", auto_now=False, auto_now_add=False),
        ),
    ]
