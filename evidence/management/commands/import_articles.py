"""Import source articles from plain-text files in the seed format.

Reviewers bring articles into the library with this command. Each file is imported in its own
transaction: a bad file is reported by name and leaves nothing behind, and importing the same
file again creates nothing new. An imported article is a draft: it becomes public when an editor
approves it in the admin.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from evidence.services import ArticleImportError, article_import
from evidence.text import ArticleFormatError, parse_article


def read_article_file(path):
    """Return the text of ``path`` or raise ArticleImportError saying why it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise ArticleImportError("no such file")
    if path.is_dir():
        raise ArticleImportError("is a directory, not a file")
    data = path.read_bytes()
    if not data.strip():
        raise ArticleImportError("the file is empty")
    if b"\x00" in data:
        raise ArticleImportError("the file looks binary (it contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ArticleImportError(f"the file is not valid UTF-8 (byte {error.start})") from error
    return text.removeprefix("\ufeff")


class Command(BaseCommand):
    help = "Import source articles (plain-text files in the seed format) into the library."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Article files to import.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the files without saving anything.",
        )

    def handle(self, *args, paths, dry_run=False, verbosity=1, **options):
        failures, created, unchanged = [], 0, 0
        for name in tqdm(paths, desc="Importing", unit="article", disable=None if verbosity else True):
            path = Path(name)
            try:
                text = read_article_file(path)
                if dry_run:
                    try:
                        parse_article(text)
                    except ArticleFormatError as error:
                        raise ArticleImportError(f"not a source article: {error}") from error
                    continue
                result = article_import(text=text, source_name=path.name, by="import-command")
            except ArticleImportError as error:
                failures.append(f"{name}: {error}")
                continue
            if result.created:
                created += 1
                if verbosity >= 2:
                    self.stdout.write(f"Imported {path.name} as “{result.article.title}”")
            else:
                unchanged += 1
        for failure in failures:
            self.stderr.write(self.style.ERROR(failure))
        verb = "Checked" if dry_run else "Imported"
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{verb} {len(paths) - len(failures)} file(s): {created} new, {unchanged} already present."
                )
            )
        if failures:
            raise CommandError(f"{len(failures)} file(s) could not be imported; nothing was saved for them.")
