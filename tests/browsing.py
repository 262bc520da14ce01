"""Debian's Chromium for the browser tests: where it is, how it starts, and a page that records
JavaScript errors. The session-wide ``browser`` fixture lives in conftest.py."""

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def missing(what):
    if os.environ.get("KRATOMREF_REQUIRE_BROWSER"):
        pytest.fail(f"{what} is required for the browser tests but is missing.")
    pytest.skip(f"{what} is not installed; install Debian's chromium package to run the browser tests.")


def chromium_path():
    if not Path(CHROMIUM).exists():
        missing("Chromium")
    return CHROMIUM


def new_page(browser, width=1280, height=900, **options):
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.js_errors = errors
    return page


@contextmanager
def live_server():
    """A live server for one test module (pytest-django's own is session-wide and flushes the
    database after every test)."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost")
    try:
        yield server
    finally:
        server.stop()
