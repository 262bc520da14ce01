"""Run KratomRef as operators do, in separate processes, against a database of the test's own:
a new PostgreSQL database when the suite runs on PostgreSQL, else an SQLite file."""

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def base_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "PRODUCTION", "DATABASE_URL", "REDIS_URL"}}
    env.update(
        SECRET_KEY="process-test-" + uuid.uuid4().hex * 2,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        STATIC_MANIFEST="0",
        SECURE_COOKIES="0",
        DJANGO_SETTINGS_MODULE="kratomref.settings",
    )
    env.update(extra)
    return env


@contextmanager
def own_database(directory):
    """Yield a DATABASE_URL for an empty database that is removed afterwards."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{Path(directory) / f'{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    settings = connection.settings_dict
    server = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    name = f"kratomref_proc_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", f"{server}/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
    try:
        yield f"{server}/{name}"
    finally:
        subprocess.run(
            ["psql", f"{server}/postgres", "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False
        )


def manage(env, *args, stdin=None):
    """Run manage.py; return its stdout (a failure raises with its stderr)."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True
    )
    if result.returncode:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout
