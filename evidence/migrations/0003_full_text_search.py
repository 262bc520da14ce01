"""Full-text search on PostgreSQL: stored, weighted search vectors, GIN indexes and pg_trgm.

Each searched table gets a ``search_vector`` tsvector column, GENERATED ALWAYS ... STORED from
its text fields with the explicit ``english`` configuration and a weight per field (A ranks
highest), and a GIN index ``evidence_<model>_search_gin``. The column is not a model field:
a ``GeneratedField`` of ``SearchVectorField`` would break SQLite, so the column exists only on
PostgreSQL and ``evidence.search.StoredSearchVector`` reads it there. On SQLite this migration
does nothing and search falls back to matching words (see ``evidence/search.py``).

pg_trgm powers "Did you mean" on PostgreSQL (``TrigramExtension`` is a no-op on other databases).

Altering a searched column later: PostgreSQL refuses ``ALTER COLUMN ... TYPE`` (e.g. a new
``max_length``) on a column that a generated column uses. In such a migration drop the search
column first and re-create it afterwards with ``add_search_vectors``/``drop_search_vectors``
from this module (copy them: migrations must stay frozen).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

CONFIG = "english"
COLUMN = "search_vector"

# table -> [(column, weight, kind)]; kind "jsonb" for JSON arrays of strings.
SEARCH_VECTORS = {
    "evidence_claim": [("statement", "A", "text"), ("summary", "B", "text")],
    "evidence_passage": [("quote", "A", "text")],
    "evidence_study": [
        ("title", "A", "text"),
        ("finding", "B", "text"),
        ("authors", "C", "text"),
        ("venue", "C", "text"),
    ],
    "evidence_warning": [("title", "A", "text"), ("text", "B", "text")],
    "evidence_sourcearticle": [("title", "A", "text"), ("text", "B", "text")],
    "evidence_substance": [
        ("name", "A", "text"),
        ("scientific_name", "A", "text"),
        ("synonyms", "A", "jsonb"),
        ("summary", "B", "text"),
    ],
}


def vector_sql(schema_editor, columns):
    quote = schema_editor.quote_name
    parts = []
    for column, weight, kind in columns:
        empty = "'[]'::jsonb" if kind == "jsonb" else "''"
        parts.append(f"setweight(to_tsvector('{CONFIG}'::regconfig, coalesce({quote(column)}, {empty})), '{weight}')")
    return " || ".join(parts)


def add_search_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for table, columns in SEARCH_VECTORS.items():
        model = table.removeprefix("evidence_")
        schema_editor.execute(
            f"ALTER TABLE {quote(table)} ADD COLUMN {quote(COLUMN)} tsvector "
            f"GENERATED ALWAYS AS ({vector_sql(schema_editor, columns)}) STORED"
        )
        schema_editor.execute(
            f"CREATE INDEX {quote(f'evidence_{model}_search_gin')} ON {quote(table)} USING gin ({quote(COLUMN)})"
        )


def drop_search_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for table in SEARCH_VECTORS:
        # Dropping the column drops its index too.
        schema_editor.execute(f"ALTER TABLE {quote(table)} DROP COLUMN IF EXISTS {quote(COLUMN)}")


class Migration(migrations.Migration):
    dependencies = [("evidence", "0002_reviewer_and_editor_groups")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(add_search_vectors, drop_search_vectors),
    ]
