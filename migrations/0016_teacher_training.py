"""Teachers' family-education guidance training: a course has an audience, a TEACHER course credit hours.

Existing courses are PARENT courses. A CHECK keeps the hours where they belong: 1 to 100 on a
TEACHER course, none on a PARENT one.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from services.enums import CourseAudience
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('coedu', '0015_session_waitlists')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Course',
            name='audience',
            field=fields.CharEnumField(default=CourseAudience.PARENT, description='PARENT: PARENT\nTEACHER: TEACHER', db_default='PARENT', enum_type=CourseAudience, max_length=8),
        ),
        ops.AddField(
            model_name='Course',
            name='credit_hours',
            field=fields.SmallIntField(null=True, description='学时 a TEACHER course earns on completion (1 to 100); None for PARENT courses.'),
        ),
        ops.RunSQL(
            sql=["ALTER TABLE course ADD CONSTRAINT course_credit_hours CHECK ("
                 "(audience = 'PARENT' AND credit_hours IS NULL) OR "
                 "(audience = 'TEACHER' AND credit_hours BETWEEN 1 AND 100))"],
            reverse_sql=["ALTER TABLE course DROP CONSTRAINT course_credit_hours"],
        ),
    ]
