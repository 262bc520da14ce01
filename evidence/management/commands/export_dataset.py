"""Write the public library as a Frictionless Data Package, and optionally publish it as a release.

Researchers and other tools want the whole library as files they can load, cite and diff. This
writes ``DIR/datapackage.json``, a README, a CSV and a JSON Lines file per table and the passages as
W3C Web Annotations (evidence/dataset/ says what each holds). Only public content is written, and
the same database gives byte-identical files.

``--release`` also stores the package as a zip in the default storage and lists it on /data/: the
way a release is made from the command line (editors can also make one in the admin). Releasing
unchanged content again reuses the existing release and changes nothing.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from evidence.dataset import TABLES, ReleaseError, build_package, release_create, write_package


class Command(BaseCommand):
    help = "Export the public library as a Frictionless Data Package into DIR (and, with --release, publish it)."

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", help="Where to write datapackage.json and the data files.")
        parser.add_argument(
            "--release",
            action="store_true",
            help="Also store the package as a zip in the media storage and list it on /data/ (reused if unchanged).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Build the package and report it; write nothing.")

    def handle(self, *args, directory, release=False, dry_run=False, verbosity=1, **options):
        target = Path(directory)
        if target.exists() and not target.is_dir():
            raise CommandError(f"{target} exists and is not a directory.")
        with tqdm(total=len(TABLES), desc="Reading tables", unit="table", disable=None if verbosity else True) as bar:
            package = build_package(progress=lambda _name: bar.update())
        if verbosity:
            counts = ", ".join(f"{n} {name}" for name, n in package.counts.items())
            self.stdout.write(f"Dataset {package.version} (approvals up to {package.created or 'none'}): {counts}.")
        if dry_run:
            if verbosity:
                self.stdout.write(self.style.WARNING("Dry run: nothing written."))
            return
        write_package(package, target)
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Wrote {len(package.files)} files to {target}."))
        if release:
            try:
                made, created = release_create(package=package)
            except ReleaseError as error:
                raise CommandError(str(error)) from error
            if verbosity:
                if created:
                    self.stdout.write(
                        self.style.SUCCESS(
                            f"Released {made.version}: {made.file_name}, {made.size} bytes, SHA-256 {made.sha256}."
                        )
                    )
                else:
                    self.stdout.write(f"Release {made.version} already exists with this content; nothing changed.")
