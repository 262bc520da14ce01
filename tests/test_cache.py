"""The change hook on the shared cache: an approval moves the content version every app server reads.

Runs against the Redis server at KRATOMREF_TEST_REDIS_URL (default redis://127.0.0.1:6379/15).
Skipped with a message when no Redis answers; CI sets KRATOMREF_REQUIRE_REDIS=1 so it fails instead.
"""

import os
import uuid

import pytest
from django.core.cache import cache
from django.test import override_settings

from evidence import services
from evidence.models import Status
from evidence.signals import CONTENT_VERSION_KEY, content_version
from tests.factories import make_claim, make_editor, make_reviewer

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

REDIS_URL = os.environ.get("KRATOMREF_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_client():
    """A client for the test Redis; skip with a message when none answers (fail when CI requires it)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("KRATOMREF_REQUIRE_REDIS"):
            pytest.fail(f"Redis is required for this test but does not answer at {REDIS_URL}.")
        pytest.skip(f"No Redis answers at {REDIS_URL}; start redis-server to run the shared-cache tests.")
    return client


@pytest.fixture
def redis_cache():
    client = redis_client()
    prefix = f"kratomref-test-{uuid.uuid4().hex[:8]}"
    backend = {"BACKEND": "kratomref.cache.SharedClientRedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}
    with override_settings(CACHES={"default": backend}):
        yield client
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_the_production_backend_shares_one_redis_client_and_stores_what_django_stores(redis_cache):
    from django.core.cache import caches

    backend = caches["default"]
    assert backend._cache.get_client() is backend._cache.get_client(write=True)
    backend.set("page", (b"<p>kept</p>", [("ETag", '"1"')]), 60)
    backend.set_many({"a": 1, "b": "two"}, 60)
    assert backend.get("page") == (b"<p>kept</p>", [("ETag", '"1"')])
    assert backend.get_many(["a", "b", "missing"]) == {"a": 1, "b": "two"}
    assert backend.incr("a") == 2 and redis_cache.get(backend.make_key("a")) == b"2"


def stored_version(client):
    """The content version as another app server would read it: straight from Redis."""
    value = client.get(cache.make_key(CONTENT_VERSION_KEY))
    return None if value is None else int(value)


def test_an_approval_moves_the_content_version_in_redis_and_a_pending_change_does_not(
    redis_cache, django_capture_on_commit_callbacks
):
    claim = make_claim(status=Status.IN_REVIEW)
    start = content_version()
    assert stored_version(redis_cache) == start

    with django_capture_on_commit_callbacks(execute=True):
        proposal = services.claim_update(claim=claim, by=make_reviewer(), summary="Draft wording.")
        services.publish(obj=claim, by=make_editor(), note="First review.")
    assert proposal.pending is None  # a draft is edited in place
    assert stored_version(redis_cache) == start + 1

    with django_capture_on_commit_callbacks(execute=True):
        pending = services.claim_update(claim=claim, by=make_reviewer(), verdict="mixed").pending
    assert stored_version(redis_cache) == start + 1
    with django_capture_on_commit_callbacks(execute=True):
        services.change_approve(request=pending, by=make_editor(), note="Mixed evidence.")
    assert stored_version(redis_cache) == start + 2


def test_a_missing_or_evicted_content_version_is_recreated_higher(redis_cache, django_capture_on_commit_callbacks):
    claim = make_claim(status=Status.IN_REVIEW)
    before = content_version()
    redis_cache.delete(cache.make_key(CONTENT_VERSION_KEY))
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(obj=claim, by=make_editor(), note="First review.")
    # Recreated above every earlier value, so nothing cached under an old version answers again.
    assert stored_version(redis_cache) > before
    assert content_version() == stored_version(redis_cache)


def test_login_attempts_are_counted_in_the_shared_cache_so_every_app_server_sees_a_lockout(redis_cache, settings):
    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import reverse

    settings.AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"  # what REDIS_URL selects in settings.py
    User.objects.create_user("curator", password="the-right-password-42", is_staff=True)
    data = {"username": "curator", "password": "wrong", "next": "/"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("admin:login"), data, REMOTE_ADDR="203.0.113.8")
    prefix = cache.make_key("")
    assert any(True for _ in redis_cache.scan_iter(f"{prefix}*axes*")), "no attempt counter in Redis"
    # A fresh client (another app server's view of the same cache) is refused for the right password.
    right = {**data, "password": "the-right-password-42"}
    assert Client().post(reverse("admin:login"), right, REMOTE_ADDR="203.0.113.8").status_code == 429
