"""Waitlists for full in-person sessions.

One WAITING entry per person and session at most (a partial unique index; the services keep a
person from waiting and holding a seat at once by locking the session row). The waitlists of
sessions already scheduled close at their start like those scheduled from now on.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from services.enums import WaitlistStatus
from services.ids import new_id
from tortoise.fields.base import OnDelete
from tortoise.fields.db_defaults import Now
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('coedu', '0014_home_addresses')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SessionWaitlistEntry',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('coedu.CourseSession', source_field='session_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('guardian', fields.ForeignKeyField('coedu.User', source_field='guardian_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=WaitlistStatus.WAITING, description='WAITING: WAITING\nPROMOTED: PROMOTED\nLEFT: LEFT\nCLOSED: CLOSED', enum_type=WaitlistStatus, max_length=16)),
                ('joined_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
                ('promoted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('left_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('registration', fields.ForeignKeyField('coedu.SessionRegistration', source_field='registration_id', null=True, description='The seat it became, once PROMOTED.', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'session_waitlist_entry', 'app': 'coedu', 'indexes': [Index(fields=['session_id', 'status', 'joined_at']), Index(fields=['guardian_id', 'joined_at'])], 'pk_attr': 'id', 'table_description': 'A place in line for a full session; a freed seat goes to the first WAITING entry.'},
            bases=['Model'],
        ),
        ops.RunSQL(
            sql=[
                "CREATE UNIQUE INDEX session_waitlist_once ON session_waitlist_entry (session_id, guardian_id) "
                "WHERE status = 'WAITING'",
                "INSERT INTO scheduled_job (kind, subject_id, due_at, attempts) "
                "SELECT 'session_waitlist_close', id, starts_at, 0 FROM course_session WHERE starts_at > now()",
            ],
            reverse_sql=["DROP INDEX session_waitlist_once",
                         "DELETE FROM scheduled_job WHERE kind = 'session_waitlist_close'"],
        ),
    ]
