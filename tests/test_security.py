"""Login throttling: wrong passwords lock the username and the address, before any password hash."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.test_settings import start

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-password-42"


@pytest.fixture
def curator():
    return User.objects.create_user("curator", password=PASSWORD, is_staff=True)


def sign_in(client, username, password, address="203.0.113.7"):
    url = reverse("admin:login")
    return client.post(url, {"username": username, "password": password, "next": "/"}, REMOTE_ADDR=address)


@pytest.fixture
def hashing(monkeypatch):
    """How often Django's own backend ran (and so hashed a password)."""
    calls = []
    original = ModelBackend.authenticate

    def counted(self, request, username=None, password=None, **kwargs):
        calls.append(username)
        return original(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counted)
    return calls


def test_wrong_passwords_lock_the_account_and_the_right_one_is_refused_without_hashing(curator, settings, hashing):
    client = Client()
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        # the form again with its error; the attempt that reaches the limit is told it is locked out
        assert sign_in(client, "curator", "wrong").status_code == (
            429 if attempt == settings.AXES_FAILURE_LIMIT else 200
        )
    hashed = len(hashing)
    response = sign_in(client, "curator", PASSWORD)
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert int(response.headers["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert len(hashing) == hashed  # refused before Django's backend hashed anything
    assert "_auth_user_id" not in client.session


def test_an_address_guessing_names_that_do_not_exist_is_locked_too(settings, hashing):
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"nobody-{n}", "guess", address="198.51.100.9")
    hashed = len(hashing)
    assert sign_in(client, "someone-else", "guess", address="198.51.100.9").status_code == 429
    assert len(hashing) == hashed
    assert sign_in(Client(), "someone-else", "guess", address="198.51.100.10").status_code == 200  # other address


def test_the_documented_command_unlocks_an_account(curator, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "curator", "wrong")
    assert sign_in(client, "curator", PASSWORD).status_code == 429
    call_command("axes_reset_username", "curator")
    call_command("axes_reset_ip", "203.0.113.7")
    response = sign_in(client, "curator", PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(curator.pk)


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(settings, rf):
    from kratomref.security import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.50", REMOTE_ADDR="127.0.0.1")
    settings.SECURE_PROXY_SSL_HEADER = None
    assert client_ip(request) == "127.0.0.1"  # not behind a proxy: a client-sent header counts for nothing
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client_ip(request) == "203.0.113.50"  # the entry the proxy appended, not one the client wrote


def test_the_admin_lives_where_admin_url_says():
    result = start(show="ADMIN_URL, __import__('django.urls').urls.reverse('admin:index')", DEBUG="1", ADMIN_URL="desk")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["desk/", "/desk/"]


def test_signing_in_to_ones_own_account_does_not_forgive_guesses_at_another(curator, settings):
    reviewer = User.objects.create_user("guessing-reviewer", password="reviewer-password-42", is_staff=True)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "curator", "guess")
    ok = client.post(
        reverse("admin:login"),
        {"username": reviewer.username, "password": "reviewer-password-42", "next": "/"},
        REMOTE_ADDR="203.0.113.7",
    )
    assert ok.status_code == 302
    assert sign_in(Client(), "curator", "one more guess").status_code == 429


def test_an_overlong_username_is_a_failed_sign_in_not_a_server_error():
    response = sign_in(Client(), "x" * 400, "guess")
    assert response.status_code == 200


def test_a_forwarded_address_that_is_not_an_ip_counts_as_the_sockets(settings, rf):
    from kratomref.security import client_ip

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    for bad in ("zzz", "999.1.1.1", "<script>"):
        request = rf.get("/", HTTP_X_FORWARDED_FOR=f"10.0.0.1, {bad}", REMOTE_ADDR="127.0.0.1")
        assert client_ip(request) == "127.0.0.1"
