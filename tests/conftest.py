import pytest
from django.contrib.auth.models import Group, User
from django.test import Client


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


@pytest.fixture
def reviewer_client(reviewer):
    client = Client()  # its own session, so a test can hold a reviewer and an editor side by side
    client.force_login(reviewer)
    return client


@pytest.fixture
def editor_client(editor):
    client = Client()
    client.force_login(editor)
    return client


def pytest_collection_modifyitems(config, items):
    """Run browser tests last: their live server flushes the database, migration data included."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
