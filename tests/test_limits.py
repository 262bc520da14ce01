"""Expensive requests stay bounded: a rate limit on search, a cap on synonym expansion, and a
per-request statement timeout on PostgreSQL."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test import Client

from evidence.search import MAX_ALTERNATIVES, parse_query

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited(settings):
    cache.clear()
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "search": "3/60"}
    yield
    cache.clear()


def test_anonymous_search_past_its_limit_gets_429_with_retry_after(limited):
    reader = Client()
    for _ in range(3):
        assert reader.get("/search/?q=kratom", REMOTE_ADDR="203.0.113.20").status_code == 200
    response = reader.get("/search/?q=kratom", REMOTE_ADDR="203.0.113.20")
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    assert "Too many requests" in response.content.decode()
    assert Client().get("/search/?q=kratom", REMOTE_ADDR="203.0.113.21").status_code == 200  # another reader
    assert reader.get("/claims/", REMOTE_ADDR="203.0.113.20").status_code == 200  # only search is limited


def test_signed_in_curators_are_not_limited(limited):
    curator = Client()
    curator.force_login(User.objects.create_user("curator", is_staff=True))
    for _ in range(5):
        assert curator.get("/search/?q=kratom", REMOTE_ADDR="203.0.113.22").status_code == 200


def test_synonym_expansion_of_a_long_query_is_capped():
    words = [f"word{n}" for n in range(12)]
    synonyms = {w: tuple(f"{w}alt{k}" for k in range(6)) for w in words}
    query = parse_query(" ".join(words), synonyms=synonyms)
    terms = [term for group in query.groups for term in group.terms]
    assert len(terms) == 12
    assert sum(len(term.alternatives) for term in terms) <= MAX_ALTERNATIVES + len(terms)
    assert all(term.alternatives[0] == term.text for term in terms)  # the word as typed always counts
    assert len(terms[0].alternatives) == 7 and terms[-1].alternatives == (terms[-1].text,)


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (statement_timeout)")


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_public_request_runs_under_a_statement_timeout_that_is_reset_after(settings, monkeypatch):
    from evidence import views

    seen = []

    def record(raw, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            seen.append(cursor.fetchone()[0])
        return original(raw, **kwargs)

    original = views.search_library
    monkeypatch.setattr(views, "search_library", record)
    settings.PUBLIC_STATEMENT_TIMEOUT_MS = 1500
    assert Client().get("/search/?q=kratom").status_code == 200
    assert seen == ["1500ms"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"  # the connection goes back without it


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_query_that_runs_too_long_is_cancelled_with_a_503_page(settings, monkeypatch):
    from evidence import views

    def slow(raw, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")

    monkeypatch.setattr(views, "search_library", slow)
    settings.PUBLIC_STATEMENT_TIMEOUT_MS = 100
    response = Client(raise_request_exception=False).get("/search/?q=kratom")
    assert response.status_code == 503 and "That took too long" in response.content.decode()


def test_search_still_answers_when_the_cache_is_down(limited):
    from django.test import override_settings

    dead = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}}
    with override_settings(CACHES=dead):
        assert Client().get("/search/?q=kratom", REMOTE_ADDR="203.0.113.30").status_code == 200


def test_static_files_carry_the_sites_headers_too(settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve from the app's folders: no collectstatic in the test run
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/favicon.svg")
    assert response.status_code == 200
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
