"""Import source articles from files: saved web pages, Markdown, plain text or the seed format.

Reviewers bring articles into the library with this command. The kind of each file is detected
(evidence/importing.py: .html/.htm a web page, whose main content and metadata are extracted; .md
Markdown; .txt the seed format when it parses as one, else plain text) and reported. Each file is
imported in its own transaction: a bad file is reported by name and leaves nothing behind, and
importing the same file again creates nothing new; a changed file for an article already in the
library becomes a new revision of it. An imported article is a draft: it becomes public when an
editor approves it in the admin.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from evidence.importing import prepare
from evidence.services import ArticleImportError, article_import
from evidence.text import ArticleFormatError, parse_structure

KIND_LABELS = {"html": "web page", "markdown": "Markdown", "text": "plain text", "seed": "seed format"}


def read_article_file(path):
    """Return the bytes of ``path`` or raise ArticleImportError saying why it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise ArticleImportError("no such file")
    if path.is_dir():
        raise ArticleImportError("is a directory, not a file")
    data = path.read_bytes()
    if not data.strip():
        raise ArticleImportError("the file is empty")
    return data


class Command(BaseCommand):
    help = "Import source articles (saved web pages, Markdown, plain text or seed-format files) into the library."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Article files to import (.html/.htm, .md, .txt).")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the files (kind, extraction, structure) without saving anything.",
        )

    def handle(self, *args, paths, dry_run=False, verbosity=1, **options):
        failures, created, unchanged, revised = [], 0, 0, 0
        for name in tqdm(paths, desc="Importing", unit="article", disable=None if verbosity else True):
            path = Path(name)
            try:
                prepared = prepare(read_article_file(path), filename=path.name)
                kind = KIND_LABELS[prepared.kind]
                if dry_run:
                    try:
                        parse_structure(prepared.text, prepared.text_format)
                    except ArticleFormatError as error:
                        raise ArticleImportError(f"no article text: {error}") from error
                    if verbosity:
                        self.stdout.write(f"{path.name}: {kind}, would be imported")
                    continue
                result = article_import(
                    text=prepared.text,
                    source_name=path.name,
                    by="import-command",
                    text_format=prepared.text_format,
                    **prepared.metadata,
                )
            except ArticleImportError as error:
                failures.append(f"{name}: {error}")
                continue
            if result.created:
                created += 1
                outcome = f"imported as “{result.article.title}”"
            elif result.reanchored is not None:
                revised += 1
                counts = ", ".join(f"{n} {how}" for how, n in result.reanchored.items())
                outcome = f"new revision {result.article.revision} of “{result.article.title}” (passages: {counts})"
            else:
                unchanged += 1
                outcome = f"already present as “{result.article.title}”"
            if verbosity:
                self.stdout.write(f"{path.name}: {kind}, {outcome}")
        for failure in failures:
            self.stderr.write(self.style.ERROR(failure))
        verb = "Checked" if dry_run else "Imported"
        if verbosity:
            summary = f"{verb} {len(paths) - len(failures)} file(s)"
            if not dry_run:
                summary += f": {created} new, {revised} revised, {unchanged} already present"
            self.stdout.write(self.style.SUCCESS(summary + "."))
        if failures:
            raise CommandError(f"{len(failures)} file(s) could not be imported; nothing was saved for them.")
