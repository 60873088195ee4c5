from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from services.enums import AlertCategory, AlertEventKind, AlertOutcome, AlertSeverity, AlertSource, AlertStatus, DevicePlatform, EscalationLevel, NotificationKind
from services.ids import new_id
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.fields.db_defaults import Now
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('coedu', '0002_reference_data_and_guards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EscalationPolicy',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('severity', fields.CharEnumField(unique=True, description='LOW: LOW\nMEDIUM: MEDIUM\nHIGH: HIGH\nCRITICAL: CRITICAL', enum_type=AlertSeverity, max_length=16)),
                ('acknowledge_within_minutes', fields.IntField()),
                ('follow_up_minutes', fields.IntField(description='An acknowledged alert with no activity for this long is escalated again.')),
                ('updated_by', fields.ForeignKeyField('coedu.User', source_field='updated_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('updated_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'escalation_policy', 'app': 'coedu', 'pk_attr': 'id', 'table_description': 'How long each level has to acknowledge an alert of a severity. An alert keeps the policy'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('coedu.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='ALERT: ALERT\nHOME_VISIT: HOME_VISIT\nCOURSE: COURSE\nCONSULTATION: CONSULTATION\nHANDOFF: HANDOFF\nSYSTEM: SYSTEM', enum_type=NotificationKind, max_length=16)),
                ('title_key', fields.CharField(max_length=64)),
                ('body_key', fields.CharField(max_length=64)),
                ('params', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('subject_type', fields.CharField(null=True, max_length=32)),
                ('subject_id', fields.UUIDField(null=True)),
                ('is_urgent', fields.BooleanField(default=False, description='Alerts: never held by quiet hours.')),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification', 'app': 'coedu', 'indexes': [Index(fields=['user_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "One message in a person's inbox. Title and body are message keys rendered in the reader's"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushDevice',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('coedu.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('platform', fields.CharEnumField(description='IOS: IOS\nANDROID: ANDROID\nHARMONY: HARMONY', enum_type=DevicePlatform, max_length=16)),
                ('token_digest', fields.CharField(unique=True, description='HMAC of the push token (a token moves to whoever registers it last); the token itself sealed.', max_length=64)),
                ('token_sealed', fields.BinaryField()),
                ('registered_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'push_device', 'app': 'coedu', 'indexes': [Index(fields=['user_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushDelivery',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('notification', fields.ForeignKeyField('coedu.Notification', source_field='notification_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('device', fields.ForeignKeyField('coedu.PushDevice', source_field='device_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('attempts', fields.IntField(default=0)),
                ('status', fields.CharField(default='pending', description='pending, delivered, failed', max_length=16)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'push_delivery', 'app': 'coedu', 'pk_attr': 'id', 'table_description': 'A notification to send to one device, through the outbox of scheduled jobs.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ScheduledJob',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=32)),
                ('subject_id', fields.UUIDField()),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('last_error', fields.CharField(null=True, max_length=200)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharField(null=True, description='done, cancelled', max_length=16)),
                ('done_by', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'scheduled_job', 'app': 'coedu', 'indexes': [Index(fields=['kind', 'subject_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WellbeingAlert',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('student', fields.ForeignKeyField('coedu.Student', source_field='student_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('severity', fields.CharEnumField(description='LOW: LOW\nMEDIUM: MEDIUM\nHIGH: HIGH\nCRITICAL: CRITICAL', enum_type=AlertSeverity, max_length=16)),
                ('category', fields.CharEnumField(description='SELF_HARM_RISK: SELF_HARM_RISK\nBULLYING: BULLYING\nFAMILY_CONFLICT: FAMILY_CONFLICT\nANXIETY_DEPRESSION: ANXIETY_DEPRESSION\nBEHAVIOUR: BEHAVIOUR\nATTENDANCE: ATTENDANCE\nOTHER: OTHER', enum_type=AlertCategory, max_length=24)),
                ('source', fields.CharEnumField(description='TEACHER_OBSERVATION: TEACHER_OBSERVATION\nGUARDIAN_REPORT: GUARDIAN_REPORT\nHOME_VISIT: HOME_VISIT\nSCREENING: SCREENING\nCOUNSELLOR: COUNSELLOR\nINSTRUCTOR: INSTRUCTOR', enum_type=AlertSource, max_length=24)),
                ('status', fields.CharEnumField(default=AlertStatus.OPEN, description='OPEN: OPEN\nACKNOWLEDGED: ACKNOWLEDGED\nRESOLVED: RESOLVED', enum_type=AlertStatus, max_length=16)),
                ('level', fields.CharEnumField(default=EscalationLevel.SCHOOL, description='SCHOOL: SCHOOL\nDISTRICT: DISTRICT\nCITY: CITY', enum_type=EscalationLevel, max_length=16)),
                ('summary_sealed', fields.BinaryField(description='Sealed (services.crypto): only ciphertext is stored.')),
                ('details_sealed', fields.BinaryField(null=True)),
                ('raised_by', fields.ForeignKeyField('coedu.User', source_field='raised_by_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('raised_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('acknowledge_within_minutes', fields.IntField(description='The policy in force when the alert was raised.')),
                ('follow_up_minutes', fields.IntField()),
                ('acknowledge_by', fields.DatetimeField(description='When the current level must have acknowledged (OPEN alerts).', auto_now=False, auto_now_add=False)),
                ('acknowledged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('acknowledged_by', fields.ForeignKeyField('coedu.User', source_field='acknowledged_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('assignee', fields.ForeignKeyField('coedu.User', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_by', fields.ForeignKeyField('coedu.User', source_field='resolved_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('resolution_sealed', fields.BinaryField(null=True)),
                ('outcome', fields.CharEnumField(null=True, description='SUPPORTED_IN_SCHOOL: SUPPORTED_IN_SCHOOL\nREFERRED_TO_SPECIALIST: REFERRED_TO_SPECIALIST\nREFERRED_TO_HOSPITAL: REFERRED_TO_HOSPITAL\nNO_ACTION_NEEDED: NO_ACTION_NEEDED\nOTHER: OTHER', enum_type=AlertOutcome, max_length=24)),
                ('last_activity_at', fields.DatetimeField(description='Notes, assignments, shares and acknowledgements count as activity for the follow-up clock.', auto_now=False, auto_now_add=False)),
                ('home_visit_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'wellbeing_alert', 'app': 'coedu', 'indexes': [Index(fields=['student_id', 'raised_at']), Index(fields=['status', 'level']), Index(fields=['raised_by_id', 'raised_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AlertEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('alert', fields.ForeignKeyField('coedu.WellbeingAlert', source_field='alert_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='RAISED: RAISED\nNOTIFIED: NOTIFIED\nACKNOWLEDGED: ACKNOWLEDGED\nESCALATED: ESCALATED\nASSIGNED: ASSIGNED\nNOTE_ADDED: NOTE_ADDED\nSHARED_WITH_GUARDIANS: SHARED_WITH_GUARDIANS\nRESOLVED: RESOLVED\nHANDOFF: HANDOFF', enum_type=AlertEventKind, max_length=24)),
                ('at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
                ('actor', fields.ForeignKeyField('coedu.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('level', fields.CharEnumField(description='SCHOOL: SCHOOL\nDISTRICT: DISTRICT\nCITY: CITY', enum_type=EscalationLevel, max_length=16)),
                ('note_sealed', fields.BinaryField(null=True, description="A person's words (note, reason, resolution), sealed; or a system reason (a message key).")),
                ('reason', fields.CharField(null=True, max_length=48)),
            ],
            options={'table': 'wellbeing_alert_event', 'app': 'coedu', 'indexes': [Index(fields=['alert_id', 'id'])], 'pk_attr': 'id', 'table_description': "An entry of an alert's timeline and of the live feed. The id is the feed's cursor: events"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AlertShare',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('alert', fields.ForeignKeyField('coedu.WellbeingAlert', source_field='alert_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('student', fields.ForeignKeyField('coedu.Student', source_field='student_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('counsellor', fields.ForeignKeyField('coedu.User', source_field='counsellor_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('message_sealed', fields.BinaryField()),
                ('shared_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'wellbeing_share', 'app': 'coedu', 'indexes': [Index(fields=['student_id', 'shared_at'])], 'pk_attr': 'id', 'table_description': "What a counsellor chose to tell a child's guardians."},
            bases=['Model'],
        ),
    ]
