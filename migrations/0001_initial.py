from tortoise import migrations
from tortoise.migrations import operations as ops
from services.enums import AuditAction, Gender, GuardianRelationship, Role, SchoolStage
from services.ids import new_id
from tortoise.fields.base import OnDelete
from tortoise.fields.db_defaults import Now
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='District',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=16)),
                ('name', fields.CharField(max_length=32)),
                ('name_en', fields.CharField(max_length=64)),
                ('position', fields.SmallIntField()),
            ],
            options={'table': 'district', 'app': 'coedu', 'pk_attr': 'id', 'table_description': "One of the city's ten districts, banners and counties (reference data)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RedisOutbox',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('command', fields.CharField(description='"delete" (keys, space-separated), "incr" (one key) or "publish" (channel and payload).', max_length=16)),
                ('target', fields.TextField(unique=False)),
                ('payload', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'redis_outbox', 'app': 'coedu', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='School',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('coedu.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(unique=True, max_length=100)),
                ('stage', fields.CharEnumField(description='PRIMARY: PRIMARY\nJUNIOR_SECONDARY: JUNIOR_SECONDARY\nNINE_YEAR: NINE_YEAR\nSENIOR_SECONDARY: SENIOR_SECONDARY', enum_type=SchoolStage, max_length=20)),
                ('is_family_education_pilot', fields.BooleanField(default=False)),
                ('address', fields.CharField(null=True, max_length=200)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'school', 'app': 'coedu', 'indexes': [Index(fields=['district_id', 'name'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServiceStation',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('coedu.District', source_field='district_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=100)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'service_station', 'app': 'coedu', 'pk_attr': 'id', 'table_description': 'A community service station for family education.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('display_name', fields.CharField(max_length=64)),
                ('phone_index', fields.CharField(unique=True, description='HMAC of the normalised phone number: the sign-in lookup, never the number itself.', max_length=64)),
                ('phone_sealed', fields.BinaryField()),
                ('phone_masked', fields.CharField(max_length=16)),
                ('password_hash', fields.CharField(null=True, description='argon2id; null until the invitation is used.', max_length=255)),
                ('activated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'app_user', 'app': 'coedu', 'pk_attr': 'id', 'table_description': 'A person who signs in: guardian, teacher, counsellor, instructor, staff or administrator.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
                ('actor', fields.ForeignKeyField('coedu.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('action', fields.CharEnumField(description='READ_ALERT: READ_ALERT\nUPDATE_ALERT: UPDATE_ALERT\nREAD_HOME_ADDRESS: READ_HOME_ADDRESS\nEXPORT: EXPORT\nSIGN_IN: SIGN_IN\nROLE_CHANGE: ROLE_CHANGE', enum_type=AuditAction, max_length=24)),
                ('subject_type', fields.CharField(max_length=32)),
                ('subject_id', fields.UUIDField(null=True)),
                ('client_address', fields.CharField(null=True, max_length=64)),
                ('request_id', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'audit_event', 'app': 'coedu', 'indexes': [Index(fields=['at']), Index(fields=['actor_id', 'at']), Index(fields=['subject_id', 'at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuthSession',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('coedu.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_reason', fields.CharField(null=True, max_length=32)),
            ],
            options={'table': 'auth_session', 'app': 'coedu', 'indexes': [Index(fields=['user_id', 'revoked_at'])], 'pk_attr': 'id', 'table_description': 'One sign-in on one device; its refresh tokens rotate, its revocation ends them all.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IdempotencyRecord',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('coedu.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=128)),
                ('request_digest', fields.CharField(max_length=64)),
                ('response', fields.TextField(null=True, unique=False)),
                ('status_code', fields.SmallIntField(null=True)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'idempotency_record', 'app': 'coedu', 'unique_together': (('user_id', 'key'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Invitation',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('coedu.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('code_digest', fields.CharField(unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('superseded_at', fields.DatetimeField(null=True, description='Set when a newer invitation for the same person replaced this one.', auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('coedu.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'invitation', 'app': 'coedu', 'pk_attr': 'id', 'table_description': 'A single-use code that lets an invited person set their password.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PrivacyNoticeAcceptance',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('coedu.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('version', fields.CharField(max_length=32)),
                ('accepted_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'privacy_notice_acceptance', 'app': 'coedu', 'unique_together': (('user_id', 'version'),), 'pk_attr': 'id', 'table_description': "A guardian's acceptance of a version of the privacy notice."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RefreshToken',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('coedu.AuthSession', source_field='session_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('token_digest', fields.CharField(unique=True, max_length=64)),
                ('issued_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'refresh_token', 'app': 'coedu', 'pk_attr': 'id', 'table_description': 'An opaque, single-use refresh token, stored as a keyed digest.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RoleAssignment',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('coedu.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(description='PARENT: PARENT\nTEACHER: TEACHER\nCOUNSELLOR: COUNSELLOR\nSCHOOL_ADMIN: SCHOOL_ADMIN\nINSTRUCTOR: INSTRUCTOR\nSTATION_STAFF: STATION_STAFF\nDISTRICT_ADMIN: DISTRICT_ADMIN\nCITY_ADMIN: CITY_ADMIN', enum_type=Role, max_length=16)),
                ('school', fields.ForeignKeyField('coedu.School', source_field='school_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('district', fields.ForeignKeyField('coedu.District', source_field='district_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('station', fields.ForeignKeyField('coedu.ServiceStation', source_field='station_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('granted_by', fields.ForeignKeyField('coedu.User', source_field='granted_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'role_assignment', 'app': 'coedu', 'indexes': [Index(fields=['user_id']), Index(fields=['school_id', 'role']), Index(fields=['district_id', 'role'])], 'pk_attr': 'id', 'table_description': 'A role held by a user in a scope: a school, a district, a station, or the city (no scope).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SchoolClass',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('coedu.School', source_field='school_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('grade', fields.SmallIntField()),
                ('name', fields.CharField(max_length=50)),
                ('homeroom_teacher', fields.ForeignKeyField('coedu.User', source_field='homeroom_teacher_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'school_class', 'app': 'coedu', 'unique_together': (('school_id', 'name'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ClassTeacher',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('school_class', fields.ForeignKeyField('coedu.SchoolClass', source_field='school_class_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('teacher', fields.ForeignKeyField('coedu.User', source_field='teacher_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('subject', fields.CharField(null=True, max_length=32)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'class_teacher', 'app': 'coedu', 'unique_together': (('school_class_id', 'teacher_id'),), 'indexes': [Index(fields=['teacher_id'])], 'pk_attr': 'id', 'table_description': 'A teacher who teaches a class (besides or as its homeroom teacher).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Student',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('display_name', fields.CharField(max_length=64)),
                ('gender', fields.CharEnumField(description='FEMALE: FEMALE\nMALE: MALE', enum_type=Gender, max_length=8)),
                ('birth_date', fields.DateField()),
                ('student_number_index', fields.CharField(unique=True, description='HMAC of the city-wide student number (uniqueness), and the sealed number.', max_length=64)),
                ('student_number_sealed', fields.BinaryField()),
                ('school_class', fields.ForeignKeyField('coedu.SchoolClass', source_field='school_class_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('school', fields.ForeignKeyField('coedu.School', source_field='school_id', description="The class's school, kept with the student so scope filters need no join.", db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'student', 'app': 'coedu', 'indexes': [Index(fields=['school_class_id', 'display_name']), Index(fields=['school_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Guardianship',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('student', fields.ForeignKeyField('coedu.Student', source_field='student_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('guardian', fields.ForeignKeyField('coedu.User', source_field='guardian_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('relationship', fields.CharEnumField(description='MOTHER: MOTHER\nFATHER: FATHER\nGRANDPARENT: GRANDPARENT\nOTHER: OTHER', enum_type=GuardianRelationship, max_length=16)),
                ('is_primary', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'guardianship', 'app': 'coedu', 'unique_together': (('student_id', 'guardian_id'),), 'indexes': [Index(fields=['guardian_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StudentTransfer',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('student', fields.ForeignKeyField('coedu.Student', source_field='student_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('from_class', fields.ForeignKeyField('coedu.SchoolClass', source_field='from_class_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('to_class', fields.ForeignKeyField('coedu.SchoolClass', source_field='to_class_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('from_school', fields.ForeignKeyField('coedu.School', source_field='from_school_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('to_school', fields.ForeignKeyField('coedu.School', source_field='to_school_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('reason', fields.CharField(max_length=200)),
                ('transferred_by', fields.ForeignKeyField('coedu.User', source_field='transferred_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('at', fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'student_transfer', 'app': 'coedu', 'indexes': [Index(fields=['student_id', 'at'])], 'pk_attr': 'id', 'table_description': "A student's move between classes or schools; the wellbeing record follows it."},
            bases=['Model'],
        ),
    ]
