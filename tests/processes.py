"""Run KratomRef as operators do, in separate processes, against a database of the test's own:
a new PostgreSQL database when the suite runs on PostgreSQL, else an SQLite file."""

import os
import shutil
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
def own_database(directory, copy_of=None):
    """Yield a DATABASE_URL for a database that is removed afterwards: empty, or a copy of the
    database at ``copy_of`` (an URL this function yielded, whose block is still open), so that a
    module migrates and loads the seed library once rather than once per test."""
    if connection.vendor != "postgresql":
        path = Path(directory) / f"{uuid.uuid4().hex[:8]}.sqlite3"
        if copy_of:
            shutil.copyfile(copy_of.removeprefix("sqlite:///"), path)
        yield f"sqlite:///{path}"
        return
    settings = connection.settings_dict
    server = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    name = f"kratomref_proc_{uuid.uuid4().hex[:8]}"
    template = f" TEMPLATE {copy_of.rsplit('/', 1)[1]}" if copy_of else ""
    subprocess.run(["psql", f"{server}/postgres", "-qc", f"CREATE DATABASE {name}{template}"], check=True)
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
