"""Back up the library's database to one file: ``pg_dump`` custom format on PostgreSQL, SQLite's
online backup on SQLite. ``make backup`` runs it; ``restore_database`` reads the file back.

The file holds everything — content, history, versions, change requests, curators' accounts — so
keep it as private as the database itself.
"""

import os
import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from evidence.management.commands.restore_database import postgres_env


class Command(BaseCommand):
    help = "Back up the database to a file (pg_dump custom format, or an SQLite copy)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="Where to write the backup (default: backups/kratomref-<time>).")

    def handle(self, *args, path=None, verbosity=1, **options):
        vendor = connection.vendor
        suffix = {"postgresql": ".dump", "sqlite": ".sqlite3"}.get(vendor)
        if suffix is None:
            raise CommandError(f"No backup method for a {vendor} database.")
        target = Path(path or f"backups/kratomref-{timezone.now():%Y%m%dT%H%M%SZ}{suffix}")
        target.parent.mkdir(parents=True, exist_ok=True)
        umask = os.umask(0o077)  # the file holds password hashes and second-factor secrets: owner only
        try:
            self.write(vendor, target)
        finally:
            os.umask(umask)
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Backed up to {target} ({target.stat().st_size} bytes)."))

    def write(self, vendor, target):
        if vendor == "postgresql":
            command, env = postgres_env(connection.settings_dict)
            result = subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target), *command],
                env=env,
                capture_output=True,
                text=True,
            )
            if result.returncode:
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        else:
            connection.ensure_connection()
            with sqlite3.connect(target) as copy:
                connection.connection.backup(copy)
