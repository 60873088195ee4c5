"""Every word written about a child's family is sealed: a consultation's topic, reasons, summary and
rating comment; a home visit's purpose, reasons, record topics and feedback comment.

The existing rows are sealed here, with the keys the process runs with (each value bound to its
table, column and row, as the services seal them), before the plain columns are dropped.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

#: (table, plain column, sealed column, the column name the seal is bound to)
_COLUMNS = [
    ("consultation", "topic", "topic_sealed", "topic"),
    ("consultation", "reason", "reason_sealed", "reason"),
    ("consultation", "guardian_summary", "guardian_summary_sealed", "guardian_summary"),
    ("consultation", "rating_comment", "rating_comment_sealed", "rating_comment"),
    ("home_visit", "purpose", "purpose_sealed", "purpose"),
    ("home_visit", "end_reason", "end_reason_sealed", "end_reason"),
    ("home_visit", "record_topics", "record_topics_sealed", "record_topics"),
    ("home_visit", "feedback_comment", "feedback_comment_sealed", "feedback_comment"),
]


async def seal_existing(apps, schema_editor) -> None:
    client = schema_editor.client
    sealer = None
    for table, plain, sealed, bound in _COLUMNS:
        rows = await client.execute_query_dict(
            f'SELECT id, "{plain}"::text AS plain FROM "{table}" WHERE "{plain}" IS NOT NULL')
        if not rows:
            continue
        if sealer is None:
            from services import runtime  # the process's keys: installed before it migrates

            sealer = runtime.current().crypto.sealer
        for row in rows:
            blob = sealer.seal(row["plain"], table=table, column=bound, row=row["id"])
            await client.execute_query(f'UPDATE "{table}" SET "{sealed}" = $1 WHERE id = $2', [blob, row["id"]])


class Migration(migrations.Migration):
    dependencies = [("coedu", "0011_push_device_language")]

    operations = [
        *[ops.AddField(model_name=model, name=sealed, field=fields.BinaryField(null=True))
          for model, sealed in [("Consultation", "topic_sealed"), ("Consultation", "reason_sealed"),
                                ("Consultation", "guardian_summary_sealed"), ("Consultation", "rating_comment_sealed"),
                                ("HomeVisit", "purpose_sealed"), ("HomeVisit", "end_reason_sealed"),
                                ("HomeVisit", "record_topics_sealed"), ("HomeVisit", "feedback_comment_sealed")]],
        ops.RunPython(seal_existing),
        *[ops.RemoveField(model_name=model, name=plain)
          for model, plain in [("Consultation", "topic"), ("Consultation", "reason"),
                               ("Consultation", "guardian_summary"), ("Consultation", "rating_comment"),
                               ("HomeVisit", "purpose"), ("HomeVisit", "end_reason"), ("HomeVisit", "record_topics"),
                               ("HomeVisit", "feedback_comment")]],
        ops.AlterField(model_name="Consultation", name="topic_sealed",
                       field=fields.BinaryField(description="Sealed, as every word about the family is (the topic, "
                                                            "reasons, summary, comment).")),
        ops.AlterField(model_name="HomeVisit", name="purpose_sealed",
                       field=fields.BinaryField(description="Sealed, as every word written about a child's family is "
                                                            "(the purpose, reasons, topics, comments).")),
        ops.AlterField(model_name="HomeVisit", name="record_topics_sealed",
                       field=fields.BinaryField(null=True, description="The topics, a JSON list, sealed.")),
    ]
