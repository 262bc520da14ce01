"""Restore the database from a file ``backup_database`` wrote, replacing what is there.

On PostgreSQL the dump is restored with ``pg_restore --clean`` into the configured database (an
empty one for a drill or a new server); on SQLite the backup replaces the database file's content.
Run ``migrate`` afterwards when the code is newer than the backup. ``make restore FILE=…`` runs it.
"""

import os
import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


def postgres_env(settings):
    """Connection arguments for the PostgreSQL client tools, with the password in the environment."""
    env = {**os.environ}
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    for option in ("sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl"):  # TLS as Django connects
        if settings.get("OPTIONS", {}).get(option):
            env[f"PG{option.upper()}"] = str(settings["OPTIONS"][option])
    args = ["--dbname", settings["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings.get(key):
            args += [flag, str(settings[key])]
    return args, env


class Command(BaseCommand):
    help = "Restore the database from a backup file, replacing its current content."

    def add_arguments(self, parser):
        parser.add_argument("path", help="A file written by backup_database.")
        parser.add_argument("--yes", action="store_true", help="Do not ask: replace the current content.")

    def handle(self, *args, path, yes=False, verbosity=1, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"No backup file at {source}.")
        name = connection.settings_dict["NAME"]
        if not yes and input(f"Replace everything in {name} with {source}? Type 'yes': ").strip() != "yes":
            raise CommandError("Nothing was restored.")
        if connection.vendor == "postgresql":
            connection.close()
            args, env = postgres_env(connection.settings_dict)
            result = subprocess.run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",  # a damaged file leaves the database exactly as it was
                    "--exit-on-error",
                    *args,
                    "--",
                    str(source),
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if result.returncode:
                raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
        elif connection.vendor == "sqlite":
            try:
                backup = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
                found = backup.execute("SELECT count(*) FROM sqlite_master WHERE name = 'django_migrations'")
                if not found.fetchone()[0]:
                    raise sqlite3.DatabaseError("it holds no KratomRef database")
                if (check := backup.execute("PRAGMA integrity_check").fetchone()[0]) != "ok":
                    raise sqlite3.DatabaseError(f"it is damaged ({check})")
            except sqlite3.DatabaseError as error:
                raise CommandError(f"{source} is not an SQLite backup: {error}") from error
            connection.ensure_connection()
            with backup:
                backup.backup(connection.connection)
            backup.close()
        else:
            raise CommandError(f"No restore method for a {connection.vendor} database.")
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Restored {name} from {source}. Run migrate if the code is newer."))
