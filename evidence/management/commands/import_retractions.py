"""Import publishers' notices about studies from the Retraction Watch dataset.

A retraction, an expression of concern or a correction changes how much a study can carry, and
readers should see it wherever the study is cited. Crossref distributes the Retraction Watch
dataset as one CSV of the world's retraction notices; this command reads it, attaches the notices
whose paper is a study in the library (matched by DOI or PMID), and lists the published claims and
warnings that rely on a newly flagged study, for editors to re-grade through the normal workflow.

The import is one transaction: a malformed row is reported by line and nothing is saved. Rows
that match no study are counted, not errors. Importing the same file again changes nothing.
"""

import csv
import io
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from evidence.services.notices import DEFAULT_SOURCE, claims_relying_on, import_notices, warnings_citing


def read_csv_text(path):
    """The text of ``path`` (UTF-8, with or without a BOM; Latin-1 if it is not UTF-8), or CommandError."""
    path = Path(path)
    if not path.exists():
        raise CommandError(f"{path}: no such file.")
    if path.is_dir():
        raise CommandError(f"{path}: is a directory, not a file.")
    data = path.read_bytes()
    if not data.strip():
        raise CommandError(f"{path}: the file is empty.")
    if b"\x00" in data:
        raise CommandError(f"{path}: the file looks binary (it contains NUL bytes); expected a CSV file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def csv_rows(text):
    """A DictReader over ``text`` whose column names are stripped of stray spaces."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is None:
        raise CommandError("The file has no header line.")
    reader.fieldnames = [name.strip() for name in reader.fieldnames]
    return reader


class Command(BaseCommand):
    help = (
        "Import retraction, correction and expression-of-concern notices (Retraction Watch CSV, as "
        "Crossref distributes it) for the studies in the library."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="FILE", help="The Retraction Watch CSV file.")
        parser.add_argument(
            "--source",
            default=DEFAULT_SOURCE,
            help=f"Where the notices come from, as readers will see it (default: {DEFAULT_SOURCE}).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; save nothing.")

    def handle(self, *args, path, source=DEFAULT_SOURCE, dry_run=False, verbosity=1, **options):
        rows = csv_rows(read_csv_text(path))
        try:
            result = import_notices(rows, source=source, dry_run=dry_run)
        except csv.Error as error:
            raise CommandError(
                f"{path}, line {rows.line_num}: not a readable CSV file ({error}); nothing was saved."
            ) from error
        except ValidationError as error:
            for message in error.messages:
                self.stderr.write(self.style.ERROR(message))
            raise CommandError(
                f"{path}: {len(error.messages)} problem(s) found (first: {error.messages[0]}) Nothing was saved."
            ) from error
        if not verbosity:
            return
        would = "would be " if dry_run else ""
        self.stdout.write(
            f"{result.rows} notice(s) read: {result.created} {would}new, {result.updated} {would}updated, "
            f"{result.unchanged} already recorded, for {len(result.matched)} study(ies) in the library."
        )
        if result.unmatched:
            self.stdout.write(result.unmatched_report())
        if result.flagged:
            self.report_attention(result.flagged)
        elif result.matched:
            self.stdout.write("No notice is new or changed: nothing new needs attention.")
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was saved."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported notices from {source}."))

    def report_attention(self, studies):
        self.stdout.write(self.style.WARNING(f"{len(studies)} study(ies) with a new or changed notice:"))
        for study in studies:
            self.stdout.write(f"  {study.key}: {study.title}")
        claims = list(claims_relying_on(studies))
        flagged = {study.pk for study in studies}
        if claims:
            self.stdout.write(self.style.WARNING(f"{len(claims)} published claim(s) rely on them; re-grade:"))
            for claim in claims:
                keys = ", ".join(row.study.key for row in claim.evidence.all() if row.study_id in flagged)
                self.stdout.write(f"  {claim.slug}: {claim.statement} (cites {keys})")
        else:
            self.stdout.write("No published claim cites them.")
        warnings = list(warnings_citing(studies))
        if warnings:
            self.stdout.write(self.style.WARNING(f"{len(warnings)} published warning(s) list them; review:"))
            for warning in warnings:
                self.stdout.write(f"  {warning.slug}: {warning.title}")
