"""The deployment as operators run it: gunicorn with gunicorn.conf.py, /healthz, JSON logs, and two
app servers sharing one database and one Redis.

The two-server test builds its own database (a new PostgreSQL database when the suite runs on
PostgreSQL, else a SQLite file) with migrate and load_seed_library, then starts two gunicorn
processes on loopback. It needs Redis like tests/test_cache.py.
"""

import http.cookiejar
import json
import logging
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.test import override_settings

from tests.processes import ROOT, base_env, manage, own_database
from tests.test_cache import REDIS_URL, redis_client

MARKER = "A correction approved through one app server and read through the other."


def test_health_says_ok_for_the_database_and_the_cache_and_nothing_else(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]


def test_health_reports_an_unreachable_cache_with_503(client, db):
    dead = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}}
    with override_settings(CACHES=dead):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "cache": "unavailable"}


def test_json_logs_are_one_parseable_object_per_line():
    from kratomref.logs import JSONFormatter

    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Bad thing: %s", ("x",), None)
    entry = json.loads(JSONFormatter().format(record))
    assert entry["level"] == "ERROR" and entry["logger"] == "django.request" and entry["message"] == "Bad thing: x"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SETUP = """
from django.contrib.auth.models import Group, User
from evidence import services
from evidence.models import Claim
for name, group in (("desk-reviewer", "Reviewer"), ("desk-editor", "Editor")):
    user = User.objects.create_user(name, password="pw-desk-correct-horse", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
from django_otp.plugins.otp_static.models import StaticDevice
device = StaticDevice.objects.create(user=User.objects.get(username="desk-editor"), name="recovery codes")
device.token_set.create(token="deskcode1")  # editors sign in with a second factor
claim = Claim.objects.published().order_by("slug").first()
proposal = services.claim_update(claim=claim, by=User.objects.get(username="desk-reviewer"), summary=MARKER).pending
print(proposal.pk, claim.get_absolute_url())
"""


RECHECK_SECONDS = 1  # how long an app server may answer from the content version it read last


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    redis_client()
    with own_database(tmp_path_factory.mktemp("deploy")) as url:
        env = base_env(
            DATABASE_URL=url,
            REDIS_URL=REDIS_URL.rsplit("/", 1)[0] + "/14",
            PAGE_VERSION_RECHECK_SECONDS=str(RECHECK_SECONDS),
        )
        manage(env, "migrate", "-v0")
        manage(env, "load_seed_library", "-v0")
        request_id, claim_url = manage(env, "shell", "-c", f"MARKER = {MARKER!r}\n{SETUP}").split()[-2:]
        yield from serve_twice(env, tmp_path_factory, request_id, claim_url)


def serve_twice(env, tmp_path_factory, request_id, claim_url):
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "kratomref.wsgi",
                "-c",
                "gunicorn.conf.py",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "1",
            ],
            cwd=ROOT,
            env={**env, "GUNICORN_ACCESS_LOG": ""},
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path_factory.mktemp("logs") / "gunicorn.log", "w"),  # noqa: SIM115
        )
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base in bases:
            for _ in range(100):
                try:
                    if urllib.request.urlopen(base + "/healthz", timeout=5).status == 200:
                        break
                except OSError:  # refused while starting, or slow to answer on a busy machine: ask again
                    time.sleep(0.1)
            else:
                pytest.fail(f"gunicorn at {base} did not become healthy")
        yield {"bases": bases, "request_id": request_id, "claim_url": claim_url}
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)


class Browser:
    """Cookies and CSRF as a browser keeps them, over plain HTTP."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def get(self, url):
        try:
            response = self.opener.open(url, timeout=10)
            return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def post(self, url, form_page, data):
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page).group(1)
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}, doseq=True).encode()
        request = urllib.request.Request(url, data=body, headers={"Referer": url})
        try:
            response = self.opener.open(request, timeout=10)
            return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_two_app_servers_share_sessions_and_an_approval_shows_on_the_other(two_servers):
    first, second = two_servers["bases"]
    reader = Browser()
    status, headers, page = reader.get(first + two_servers["claim_url"])
    assert status == 200 and MARKER not in page
    assert headers["Server"] == "KratomRef"  # no software name or version

    editor = Browser()
    _, _, login = editor.get(first + "/admin/login/")
    status, _ = editor.post(
        first + "/admin/login/",
        login,
        {"username": "desk-editor", "password": "pw-desk-correct-horse", "next": "/admin/", "otp_token": "deskcode1"},
    )
    assert status == 302
    status, _, _ = editor.get(second + "/admin/")  # the session made on one server is valid on the other
    assert status == 200

    url = f"{second}/admin/evidence/changerequest/{two_servers['request_id']}/change/"
    _, _, form = editor.get(url)
    seen = re.search(r'name="seen" value="([^"]*)"', form).group(1)
    status, _ = editor.post(url, form, {"decision": "approve", "note": "Correction.", "seen": seen})
    assert status == 302

    # The other server holds the page it kept and the content version it read, for at most
    # PAGE_VERSION_RECHECK_SECONDS (evidence/page_cache.py); after that its readers get the change.
    approved = time.monotonic()
    while True:
        status, _, page = reader.get(first + two_servers["claim_url"])
        if MARKER in page or time.monotonic() - approved > RECHECK_SECONDS + 1:
            break
        time.sleep(0.1)
    assert status == 200 and MARKER in page
    assert time.monotonic() - approved <= RECHECK_SECONDS + 1
