import pytest
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright, one for the whole session (tests/browsing.py)."""
    from playwright.sync_api import sync_playwright

    from tests.browsing import LAUNCH_ARGS, chromium_path

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def close_stray_connections(django_db_setup, django_db_blocker):
    """Before the test database is dropped, close PostgreSQL sessions that live-server threads left
    open (a browser's keep-alive socket can keep such a thread, and its connection, waiting)."""
    yield
    from django.db import DatabaseError, connection

    if connection.vendor == "postgresql":
        try:
            with django_db_blocker.unblock(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        except DatabaseError:  # no test database was opened in this run
            pass


@pytest.fixture(scope="module")
def seed_library_module(django_db_setup, django_db_blocker):
    """The reviewed seed library, loaded once for a whole test module (committed), then flushed.

    Tests that use it run in their own transaction (``db``), so what one test writes is rolled
    back before the next. The flush re-runs post_migrate, which rebuilds the roles from code.
    """
    with django_db_blocker.unblock():
        call_command("load_seed_library", verbosity=0)
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
        ContentType.objects.clear_cache()


@pytest.fixture
def reviewer(db):
    user = User.objects.create_user("reviewer", password="pw-reviewer-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Reviewer"))
    return user


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor", password="pw-editor-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Editor"))
    return user


def verified(client, user):
    """Mark the client's session as signed in with a second factor, as editors must be."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    device, _ = StaticDevice.objects.get_or_create(user=user, name="test device", defaults={"confirmed": True})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def admin_client(admin_user):
    """pytest-django's admin_client, signed in with a second factor like every superuser."""
    client = Client()
    client.force_login(admin_user)
    return verified(client, admin_user)


@pytest.fixture
def reviewer_client(reviewer):
    client = Client()  # its own session, so a test can hold a reviewer and an editor side by side
    client.force_login(reviewer)
    return client


@pytest.fixture
def editor_client(editor):
    client = Client()
    client.force_login(editor)
    return verified(client, editor)


def pytest_collection_modifyitems(config, items):
    """Run browser tests last: their live server flushes the database, migration data included."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty local-memory cache: pages keep counts per content version, and
    the content version only moves when an approval commits, which a test's transaction never does."""
    from django.core.cache import cache

    from evidence.page_cache import local

    cache.clear()
    local.forget()  # and each worker's own copies of kept pages, with the content version it read
    yield


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    """Pages are rendered for every request: a kept page (evidence/page_cache.py) is keyed on the
    content version, which a test's approvals never move (they do not commit).
    tests/test_scale_detail.py turns the page cache back on and commits its approvals."""
    settings.PAGE_CACHE_SECONDS = 0
