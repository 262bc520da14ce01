import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(**env):
    """Load the settings in a fresh interpreter, as a server process would."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="kratomref.settings")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'])"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


@pytest.mark.parametrize(
    "env, message",
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": "x" * 50}, "ALLOWED_HOSTS"),
    ],
)
def test_production_settings_refuse_to_start_without_a_real_secret_key_and_hosts(env, message):
    result = start(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_start_with_a_secret_key_and_hosts_and_read_database_url():
    result = start(
        SECRET_KEY="k" * 50, ALLOWED_HOSTS="kratomref.example", DATABASE_URL="postgres://u@127.0.0.1:5432/kratomref"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_development_defaults_to_a_sqlite_file_with_debug_on():
    result = start(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"
