"""Load the reviewed seed library (substances, studies, claims, passages, warnings).

The curation lives in ``evidence/seed_library/`` as YAML files a reviewer can diff. This command
validates all of it before writing anything and loads it in one transaction, as the system actor
"seed-library". On a database no curator has touched it publishes what it loads; on a curated
one, changes to public items become pending changes an editor approves. Running it twice changes
nothing. ``make run`` uses it.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evidence.seeding import SEED_DIR, SeedError, seed_library_load


class Command(BaseCommand):
    help = "Validate and load the reviewed seed library from evidence/seed_library/."

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(SEED_DIR), help="Folder holding the seed library files.")
        parser.add_argument("--dry-run", action="store_true", help="Validate only; write nothing.")
        parser.add_argument(
            "--update",
            action="store_true",
            help=(
                "Let the files win over items that differ (curators' edits). On a curated database these become "
                "pending changes for an editor to approve. Statuses are never changed."
            ),
        )

    def handle(self, *args, path, dry_run=False, update=False, verbosity=1, **options):
        try:
            report = seed_library_load(directory=Path(path), dry_run=dry_run, update=update)
        except SeedError as error:
            for problem in error.problems:
                self.stderr.write(self.style.ERROR(problem))
            raise CommandError(f"The seed library has {len(error.problems)} problem(s); nothing was loaded.") from error
        if dry_run:
            self.stdout.write(self.style.SUCCESS("The seed library is valid (dry run: nothing was written)."))
            return
        if verbosity:
            kinds = sorted(
                set(report.created)
                | set(report.updated)
                | set(report.unchanged)
                | set(report.kept)
                | set(report.pending)
                | set(report.removed)
            )
            for kind in kinds:
                self.stdout.write(
                    f"{kind}: {report.created[kind]} created, {report.updated[kind]} updated, "
                    f"{report.pending[kind]} waiting for approval, "
                    f"{report.unchanged[kind]} unchanged, {report.kept[kind]} kept as edited"
                    + (f", {report.removed[kind]} removed" if report.removed[kind] else "")
                )
            if sum(report.pending.values()):
                self.stdout.write(
                    self.style.WARNING(
                        "This database holds curators' work, so changes to public items wait for an editor's "
                        "approval (admin: Change requests), and new items wait in review."
                    )
                )
            for item in report.kept_items:
                self.stdout.write(self.style.WARNING(f"Kept a curator's edit that differs from the files: {item}"))
            if report.kept_items:
                self.stdout.write("Run with --update to overwrite those edits with the files.")
            for extra in report.extra_passages:
                self.stdout.write(self.style.WARNING(f"Kept a passage that the seed files do not list: {extra}"))
            self.stdout.write(self.style.SUCCESS("Seed library loaded."))
