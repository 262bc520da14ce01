from django.db import migrations, models

STATEMENT_WORD = r"[^\W_]+(?:-[^\W_]*)*"


def fill(apps, schema_editor):
    """The vocabulary of the library as it stands: published claims' statement words and published
    substances' names and synonyms (evidence.search.words_of, frozen here)."""
    import re

    SearchWord = apps.get_model("evidence", "SearchWord")
    Claim = apps.get_model("evidence", "Claim")
    Substance = apps.get_model("evidence", "Substance")
    db = schema_editor.connection.alias
    words = set()
    for name, synonyms in Substance.objects.using(db).filter(status="published").values_list("name", "synonyms"):
        words.add(name.lower())
        if isinstance(synonyms, list):
            words.update(s.lower() for s in synonyms if isinstance(s, str))
    statements = Claim.objects.using(db).filter(status="published").values_list("statement", flat=True)
    for statement in statements.iterator(chunk_size=5000):
        words.update(w.strip("-") for w in re.findall(STATEMENT_WORD, statement.lower()))
    rows = [SearchWord(word=w) for w in sorted(words) if 3 <= len(w) <= 200]
    SearchWord.objects.using(db).bulk_create(rows, batch_size=5000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0015_scale_indexes")]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[("word", models.CharField(max_length=200, primary_key=True, serialize=False))],
            options={"ordering": ["word"], "verbose_name": "search vocabulary word"},
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
