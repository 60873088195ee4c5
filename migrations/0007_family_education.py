from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from services.enums import ConsultationMode, ConsultationParty, ConsultationStatus, CourseCategory, LessonKind, RegistrationStatus
from services.ids import new_id
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.fields.db_defaults import Now
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('coedu', '0006_home_visit_guards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Course',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=100)),
                ('summary', fields.TextField(unique=False)),
                ('category', fields.CharEnumField(description='PARENTING: PARENTING\nMENTAL_HEALTH: MENTAL_HEALTH\nSAFETY: SAFETY\nLEARNING_SUPPORT: LEARNING_SUPPORT\nHEALTH: HEALTH\nFAMILY_RELATIONSHIPS: FAMILY_RELATIONSHIPS', enum_type=CourseCategory, max_length=24)),
                ('min_grade', fields.SmallIntField()),
                ('max_grade', fields.SmallIntField()),
                ('search_terms', fields.JSONField(default=list, description='Search terms of title and summary: words, and single characters and pairs of Chinese text', encoder=JSON_DUMPS, decoder=loads)),
                ('created_by', fields.ForeignKeyField('coedu.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'course', 'app': 'coedu', 'indexes': [Index(fields=['category', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CourseOffering',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('course', fields.ForeignKeyField('coedu.Course', source_field='course_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('school', fields.ForeignKeyField('coedu.School', source_field='school_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'course_offering', 'app': 'coedu', 'unique_together': (('course_id', 'school_id'),), 'indexes': [Index(fields=['school_id'])], 'pk_attr': 'id', 'table_description': 'A course taught at a family-education pilot school.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CourseRating',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('course', fields.ForeignKeyField('coedu.Course', source_field='course_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('guardian', fields.ForeignKeyField('coedu.User', source_field='guardian_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('stars', fields.SmallIntField()),
                ('comment', fields.CharField(null=True, max_length=500)),
                ('rated_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'course_rating', 'app': 'coedu', 'unique_together': (('course_id', 'guardian_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Enrollment',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('course', fields.ForeignKeyField('coedu.Course', source_field='course_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('guardian', fields.ForeignKeyField('coedu.User', source_field='guardian_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('enrolled_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
                ('completed_lessons', fields.SmallIntField(default=0)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('certificate_number', fields.CharField(null=True, unique=True, max_length=32)),
            ],
            options={'table': 'enrollment', 'app': 'coedu', 'unique_together': (('course_id', 'guardian_id'),), 'indexes': [Index(fields=['guardian_id', 'enrolled_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Instructor',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user', fields.OneToOneField('coedu.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('certificate_number', fields.CharField(unique=True, max_length=32)),
                ('certified_on', fields.DateField()),
                ('expires_on', fields.DateField()),
                ('specialties', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('district', fields.ForeignKeyField('coedu.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('bio', fields.TextField(null=True, unique=False)),
                ('suspended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'instructor', 'app': 'coedu', 'indexes': [Index(fields=['district_id'])], 'pk_attr': 'id', 'table_description': 'A certified city-level family-education guidance instructor.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AvailabilitySlot',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('instructor', fields.ForeignKeyField('coedu.Instructor', source_field='instructor_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('weekday', fields.SmallIntField()),
                ('start_time', fields.TimeField(auto_now=False, auto_now_add=False)),
                ('end_time', fields.TimeField(auto_now=False, auto_now_add=False)),
                ('station', fields.ForeignKeyField('coedu.ServiceStation', source_field='station_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'instructor_availability', 'app': 'coedu', 'indexes': [Index(fields=['instructor_id', 'weekday'])], 'pk_attr': 'id', 'table_description': 'A weekly window the instructor takes consultations in (local time, ISO weekday).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Consultation',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('instructor', fields.ForeignKeyField('coedu.Instructor', source_field='instructor_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('guardian', fields.ForeignKeyField('coedu.User', source_field='guardian_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('student', fields.ForeignKeyField('coedu.Student', source_field='student_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('station', fields.ForeignKeyField('coedu.ServiceStation', source_field='station_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('mode', fields.CharEnumField(description='IN_PERSON: IN_PERSON\nPHONE: PHONE\nVIDEO: VIDEO', enum_type=ConsultationMode, max_length=16)),
                ('topic', fields.CharField(max_length=200)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=ConsultationStatus.REQUESTED, description='REQUESTED: REQUESTED\nCONFIRMED: CONFIRMED\nDECLINED: DECLINED\nCANCELLED: CANCELLED\nCOMPLETED: COMPLETED', enum_type=ConsultationStatus, max_length=16)),
                ('cancelled_by', fields.CharEnumField(null=True, description='INSTRUCTOR: INSTRUCTOR\nFAMILY: FAMILY', enum_type=ConsultationParty, max_length=12)),
                ('reason', fields.CharField(null=True, max_length=500)),
                ('notes_sealed', fields.BinaryField(null=True, description="The instructor's private notes (sealed); the guardian sees only the summary.")),
                ('guardian_summary', fields.TextField(null=True, unique=False)),
                ('follow_up_recommended', fields.BooleanField(null=True)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('rating_stars', fields.SmallIntField(null=True, description="The family's rating of a completed consultation; the instructor's average is made of these.")),
                ('rating_comment', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'consultation', 'app': 'coedu', 'indexes': [Index(fields=['instructor_id', 'starts_at']), Index(fields=['guardian_id', 'starts_at'])], 'pk_attr': 'id', 'table_description': 'A one-to-one guidance consultation between an instructor and a guardian.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CourseSession',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('course', fields.ForeignKeyField('coedu.Course', source_field='course_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('school', fields.ForeignKeyField('coedu.School', source_field='school_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('station', fields.ForeignKeyField('coedu.ServiceStation', source_field='station_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('instructor', fields.ForeignKeyField('coedu.Instructor', source_field='instructor_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('capacity', fields.SmallIntField()),
                ('registered', fields.SmallIntField(default=0, description='Seats taken; the conditional UPDATE that takes one is what keeps registrations within capacity.')),
                ('check_in_code', fields.CharField(max_length=8)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'course_session', 'app': 'coedu', 'indexes': [Index(fields=['course_id', 'starts_at']), Index(fields=['instructor_id', 'starts_at'])], 'pk_attr': 'id', 'table_description': 'An in-person session of a course at a pilot school or a service station.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InstructorBooking',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('instructor', fields.ForeignKeyField('coedu.Instructor', source_field='instructor_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('consultation', fields.ForeignKeyField('coedu.Consultation', source_field='consultation_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('session', fields.ForeignKeyField('coedu.CourseSession', source_field='session_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'instructor_booking', 'app': 'coedu', 'pk_attr': 'id', 'table_description': "An instructor's time held by a consultation or a session they teach. An exclusion constraint"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InstructorStation',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('instructor', fields.ForeignKeyField('coedu.Instructor', source_field='instructor_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('station', fields.ForeignKeyField('coedu.ServiceStation', source_field='station_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'instructor_station', 'app': 'coedu', 'unique_together': (('instructor_id', 'station_id'),), 'indexes': [Index(fields=['station_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Lesson',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('course', fields.ForeignKeyField('coedu.Course', source_field='course_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('position', fields.SmallIntField()),
                ('title', fields.CharField(max_length=100)),
                ('kind', fields.CharEnumField(description='VIDEO: VIDEO\nARTICLE: ARTICLE\nIN_PERSON: IN_PERSON', enum_type=LessonKind, max_length=16)),
                ('duration_minutes', fields.SmallIntField()),
                ('content_url', fields.CharField(null=True, max_length=500)),
            ],
            options={'table': 'lesson', 'app': 'coedu', 'unique_together': (('course_id', 'position'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LessonCompletion',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('enrollment', fields.ForeignKeyField('coedu.Enrollment', source_field='enrollment_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('lesson', fields.ForeignKeyField('coedu.Lesson', source_field='lesson_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('completed_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'lesson_completion', 'app': 'coedu', 'unique_together': (('enrollment_id', 'lesson_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SessionRegistration',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('coedu.CourseSession', source_field='session_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('guardian', fields.ForeignKeyField('coedu.User', source_field='guardian_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=RegistrationStatus.REGISTERED, description='REGISTERED: REGISTERED\nCANCELLED: CANCELLED\nATTENDED: ATTENDED\nABSENT: ABSENT', enum_type=RegistrationStatus, max_length=16)),
                ('registered_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('checked_in_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'session_registration', 'app': 'coedu', 'indexes': [Index(fields=['guardian_id', 'registered_at']), Index(fields=['session_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ServiceStation',
            name='address',
            field=fields.CharField(default='', max_length=200),
        ),
        ops.AddField(
            model_name='ServiceStation',
            name='community',
            field=fields.CharField(default='', max_length=100),
        ),
        ops.AddField(
            model_name='ServiceStation',
            name='latitude',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='ServiceStation',
            name='longitude',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='ServiceStation',
            name='opening_hours',
            field=fields.JSONField(default=list, description='[{"weekday": 1..7, "opensAt": "HH:MM", "closesAt": "HH:MM"}], local time', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='ServiceStation',
            name='phone',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='ServiceStation',
            name='services',
            field=fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads),
        ),
    ]
