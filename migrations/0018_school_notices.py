"""School notices with confirmation: the notice, each guardian's receipt, and the children it came by."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from services.enums import NoticeAudienceKind, NoticeConfirmationMode, NoticeStatus, NotificationKind
from services.ids import new_id
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.fields.db_defaults import Now
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('coedu', '0017_family_education_column')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notice',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('sender', fields.ForeignKeyField('coedu.User', source_field='sender_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('title', fields.CharField(max_length=60)),
                ('body', fields.TextField(unique=False)),
                ('confirmation_mode', fields.CharEnumField(description='READ_ONLY: READ_ONLY\nCONFIRM: CONFIRM\nSIGNATURE: SIGNATURE', enum_type=NoticeConfirmationMode, max_length=12)),
                ('reply_options', fields.JSONField(default=list, description='[{"id": "1", "label": "参加"}, ...] (2 to 6), or empty.', encoder=JSON_DUMPS, decoder=loads)),
                ('audience_kind', fields.CharEnumField(description='SCHOOL_CLASSES: SCHOOL_CLASSES\nSCHOOL_GRADE: SCHOOL_GRADE\nSCHOOL: SCHOOL\nDISTRICT: DISTRICT\nDISTRICT_PILOT_SCHOOLS: DISTRICT_PILOT_SCHOOLS', enum_type=NoticeAudienceKind, max_length=24)),
                ('class_ids', fields.JSONField(default=list, description='The classes of a SCHOOL_CLASSES notice (a JSON list of ids).', encoder=JSON_DUMPS, decoder=loads)),
                ('school', fields.ForeignKeyField('coedu.School', source_field='school_id', null=True, description='The school (class, grade and school notices) and the district (every notice) of the audience.', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('grade', fields.SmallIntField(null=True)),
                ('district', fields.ForeignKeyField('coedu.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('pilot_schools_only', fields.BooleanField(default=False)),
                ('status', fields.CharEnumField(description='SCHEDULED: SCHEDULED\nSENT: SENT\nRECALLED: RECALLED\nCANCELLED: CANCELLED', enum_type=NoticeStatus, max_length=12)),
                ('scheduled_for', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('deadline', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('recalled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_reminded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('fanned_out_to', fields.UUIDField(null=True, description="The fan-out's checkpoint: receipts exist for the guardians up to this id; done when delivered_at is set.")),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notice', 'app': 'coedu', 'indexes': [Index(fields=['sender_id', 'created_at']), Index(fields=['district_id', 'sent_at'])], 'pk_attr': 'id', 'table_description': 'A notice from a teacher or an administrator to the guardians of an audience of students.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeChild',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('coedu.Notice', source_field='notice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('guardian', fields.ForeignKeyField('coedu.User', source_field='guardian_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('student', fields.ForeignKeyField('coedu.Student', source_field='student_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('school_class', fields.ForeignKeyField('coedu.SchoolClass', source_field='school_class_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'notice_child', 'app': 'coedu', 'indexes': [Index(fields=['notice_id', 'guardian_id']), Index(fields=['notice_id', 'student_id'])], 'pk_attr': 'id', 'table_description': "A child through whom a notice reached a guardian, with the child's class then."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeReceipt',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('coedu.Notice', source_field='notice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('guardian', fields.ForeignKeyField('coedu.User', source_field='guardian_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('signature_name', fields.CharField(null=True, max_length=30)),
                ('reply_option', fields.CharField(null=True, max_length=8)),
                ('reminded_at', fields.DatetimeField(null=True, description="The reminder round this guardian was last reminded in (the notice's last_reminded_at then).", auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notice_receipt', 'app': 'coedu', 'unique_together': (('notice_id', 'guardian_id'),), 'indexes': [Index(fields=['guardian_id', 'notice_id'])], 'pk_attr': 'id', 'table_description': "One guardian's copy of a notice: one per guardian however many of their children it reached."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='ALERT: ALERT\nHOME_VISIT: HOME_VISIT\nCOURSE: COURSE\nCONSULTATION: CONSULTATION\nHANDOFF: HANDOFF\nSYSTEM: SYSTEM\nNOTICE: NOTICE', enum_type=NotificationKind, max_length=16),
        ),
    ]
