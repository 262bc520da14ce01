import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(show="DATABASES['default']['ENGINE']", **env):
    """Load the settings in a fresh interpreter, as a server process would; print one setting."""
    names = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "PRODUCTION"}
    clean = {k: v for k, v in os.environ.items() if k not in names}
    clean.update(env, DJANGO_SETTINGS_MODULE="kratomref.settings")
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{show})"
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


STRONG_KEY = "Zt4q-9XvN_2mPw7rLc8sHd3kYb6fGj1uAe5oQiTn0RxWyVlKpEzMaCuJsDhBgFt"
PRODUCTION = {
    "PRODUCTION": "1",
    "ALLOWED_HOSTS": "kratomref.example",
    "DATABASE_URL": "postgres://u@127.0.0.1/k",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SECURE_COOKIES": "1",
}


@pytest.mark.parametrize(
    "key", ["a" * 32, "ab" * 25, "django-insecure-" + STRONG_KEY], ids=["short", "few-characters", "insecure-prefix"]
)
def test_production_refuses_a_weak_secret_key_that_a_test_run_accepts(key):
    refused = start(**PRODUCTION, SECRET_KEY=key)
    assert refused.returncode != 0 and "SECRET_KEY is too weak for production" in refused.stderr
    test_run = start(SECRET_KEY=key, ALLOWED_HOSTS="testserver")  # DEBUG off, no PRODUCTION switch
    assert test_run.returncode == 0, test_run.stderr


@pytest.mark.parametrize(
    "override, message",
    [
        ({"ALLOWED_HOSTS": "*"}, "may not be a wildcard"),
        ({"DATABASE_URL": ""}, "DATABASE_URL must point"),
        ({"DEBUG": "1"}, "DEBUG must be off"),
        ({"DATABASE_URL": "sqlite:////tmp/kratomref.sqlite3"}, "DATABASE_URL must point"),
        ({"REDIS_URL": ""}, "REDIS_URL must point"),
        ({"SECURE_COOKIES": "0"}, "SECURE_COOKIES may not be off"),
        ({"SECRET_KEY_FALLBACKS": "django-insecure-kratomref-development-only"}, "weak or development key"),
    ],
)
def test_production_refuses_a_wildcard_host_a_missing_database_and_debug(override, message):
    result = start(**{**PRODUCTION, "SECRET_KEY": STRONG_KEY, **override})
    assert result.returncode != 0 and message in result.stderr
    relaxed = {k: v for k, v in {**PRODUCTION, "SECRET_KEY": STRONG_KEY, **override}.items() if k != "PRODUCTION" and v}
    if "DEBUG" not in override and "SECRET_KEY_FALLBACKS" not in override:
        assert start(**relaxed).returncode == 0  # the same settings start when PRODUCTION is off


def test_production_starts_with_a_strong_key_named_hosts_and_postgresql():
    result = start(**PRODUCTION, SECRET_KEY=STRONG_KEY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_production_cookies_are_host_only_and_secure():
    result = start(
        show="SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.SESSION_COOKIE_SECURE",
        **PRODUCTION,
        SECRET_KEY=STRONG_KEY,
    )
    assert result.stdout.split() == ["__Host-sessionid", "__Host-csrftoken", "True"]
    development = start(show="SESSION_COOKIE_NAME", DEBUG="1")
    assert development.stdout.strip() == "sessionid"


@pytest.mark.parametrize("value", ["2", "enabled", "prod"])
def test_a_switch_that_is_neither_on_nor_off_stops_the_start(value):
    result = start(**{**PRODUCTION, "PRODUCTION": value}, SECRET_KEY=STRONG_KEY)
    assert result.returncode != 0 and "is neither on" in result.stderr
