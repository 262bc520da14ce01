"""PostgreSQL refuses overlapping passages in one article (an exclusion constraint).

``Passage.clean()`` keeps the same rule for the friendly message; this holds it against two saves
that race past each other. SQLite has no exclusion constraints, so there the check stays in code.
Half-open ranges ``[start, end)`` match how offsets are counted: passages may touch, not overlap.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE evidence_passage ADD CONSTRAINT evidence_passage_no_overlap "
    'EXCLUDE USING gist (article_id WITH =, int4range("start", "end") WITH &&)',
]
DROP = ["ALTER TABLE evidence_passage DROP CONSTRAINT IF EXISTS evidence_passage_no_overlap"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0007_longer_history_reasons")]

    operations = [migrations.RunPython(forwards, backwards)]
