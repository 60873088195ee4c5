from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from services.enums import HomeVisitStatus, Side
from services.ids import new_id
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.fields.db_defaults import Now
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('coedu', '0004_escalation_defaults_and_queues')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CalendarFeed',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('coedu.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('token_digest', fields.CharField(unique=True, max_length=64)),
                ('token_sealed', fields.BinaryField(description='The address itself, sealed: the owner can read it back, the database cannot.')),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'calendar_feed', 'app': 'coedu', 'indexes': [Index(fields=['user_id', 'revoked_at'])], 'pk_attr': 'id', 'table_description': "A teacher's secret iCalendar feed; resetting it revokes the old address."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HomeVisit',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('student', fields.ForeignKeyField('coedu.Student', source_field='student_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('school', fields.ForeignKeyField('coedu.School', source_field='school_id', description="The student's school when the visit was proposed (coverage counts it there).", db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('lead_teacher', fields.ForeignKeyField('coedu.User', source_field='lead_teacher_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('purpose', fields.CharField(max_length=200)),
                ('address_sealed', fields.BinaryField(description='Sealed; shown only to the lead, the companions and the family, each read audited.')),
                ('status', fields.CharEnumField(default=HomeVisitStatus.PROPOSED, description='PROPOSED: PROPOSED\nRESCHEDULE_REQUESTED: RESCHEDULE_REQUESTED\nCONFIRMED: CONFIRMED\nCOMPLETED: COMPLETED\nCANCELLED: CANCELLED\nDECLINED: DECLINED\nMISSED: MISSED', enum_type=HomeVisitStatus, max_length=24)),
                ('round', fields.SmallIntField(default=1, description='Each proposal or reschedule opens a new round of candidate slots.')),
                ('scheduled_start', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('scheduled_end', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('window_start', fields.DatetimeField(null=True, description='When the visit may happen: its scheduled window once confirmed, else the span of the current', auto_now=False, auto_now_add=False)),
                ('window_end', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_by', fields.CharEnumField(null=True, description='SCHOOL: SCHOOL\nFAMILY: FAMILY', enum_type=Side, max_length=8)),
                ('end_reason', fields.CharField(null=True, max_length=500)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('recorded_by', fields.ForeignKeyField('coedu.User', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('record_duration_minutes', fields.SmallIntField(null=True)),
                ('record_topics', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('record_summary_sealed', fields.BinaryField(null=True)),
                ('record_follow_up_needed', fields.BooleanField(null=True)),
                ('raised_alert', fields.ForeignKeyField('coedu.WellbeingAlert', source_field='raised_alert_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('feedback_stars', fields.SmallIntField(null=True)),
                ('feedback_comment', fields.CharField(null=True, max_length=500)),
                ('feedback_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'home_visit', 'app': 'coedu', 'indexes': [Index(fields=['lead_teacher_id', 'window_start']), Index(fields=['student_id', 'created_at']), Index(fields=['school_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HomeVisitBooking',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('visit', fields.ForeignKeyField('coedu.HomeVisit', source_field='visit_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('teacher', fields.ForeignKeyField('coedu.User', source_field='teacher_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('blocked_from', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('blocked_until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'home_visit_booking', 'app': 'coedu', 'pk_attr': 'id', 'table_description': "A teacher's time held by a confirmed visit, travel buffer included. An exclusion constraint"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HomeVisitCompanion',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('visit', fields.ForeignKeyField('coedu.HomeVisit', source_field='visit_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('teacher', fields.ForeignKeyField('coedu.User', source_field='teacher_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'home_visit_companion', 'app': 'coedu', 'unique_together': (('visit_id', 'teacher_id'),), 'indexes': [Index(fields=['teacher_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HomeVisitSlot',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('visit', fields.ForeignKeyField('coedu.HomeVisit', source_field='visit_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('round', fields.SmallIntField()),
                ('offered_by', fields.CharEnumField(description='SCHOOL: SCHOOL\nFAMILY: FAMILY', enum_type=Side, max_length=8)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'home_visit_slot', 'app': 'coedu', 'indexes': [Index(fields=['visit_id', 'round'])], 'pk_attr': 'id', 'table_description': 'A candidate time of a round: offered by the school, or by the family as alternatives.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HomeVisitTransition',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('visit', fields.ForeignKeyField('coedu.HomeVisit', source_field='visit_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('from_status', fields.CharEnumField(null=True, description='PROPOSED: PROPOSED\nRESCHEDULE_REQUESTED: RESCHEDULE_REQUESTED\nCONFIRMED: CONFIRMED\nCOMPLETED: COMPLETED\nCANCELLED: CANCELLED\nDECLINED: DECLINED\nMISSED: MISSED', enum_type=HomeVisitStatus, max_length=24)),
                ('to_status', fields.CharEnumField(description='PROPOSED: PROPOSED\nRESCHEDULE_REQUESTED: RESCHEDULE_REQUESTED\nCONFIRMED: CONFIRMED\nCOMPLETED: COMPLETED\nCANCELLED: CANCELLED\nDECLINED: DECLINED\nMISSED: MISSED', enum_type=HomeVisitStatus, max_length=24)),
                ('actor', fields.ForeignKeyField('coedu.User', source_field='actor_id', null=True, description='null for the scheduler (a visit that became MISSED)', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('side', fields.CharEnumField(null=True, description='SCHOOL: SCHOOL\nFAMILY: FAMILY', enum_type=Side, max_length=8)),
                ('at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'home_visit_transition', 'app': 'coedu', 'indexes': [Index(fields=['visit_id', 'at'])], 'pk_attr': 'id', 'table_description': 'Who moved a visit from one state to another, and when.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Guardianship',
            name='home_address_sealed',
            field=fields.BinaryField(null=True, description="The family's home address on file (sealed), for home visits."),
        ),
    ]
