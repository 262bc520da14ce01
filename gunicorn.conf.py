"""gunicorn settings for KratomRef: ``gunicorn kratomref.wsgi`` reads this file from the project root.

Every value can be set in the environment (names below); the defaults suit one machine behind a
reverse proxy that terminates TLS (docs/deploy/).
"""

import multiprocessing
import os

import gunicorn.http.wsgi

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Sync workers: two per core plus one (gunicorn's rule), unless WEB_CONCURRENCY says otherwise.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = 100
# Trust X-Forwarded-* only from the proxy in front (its address; "*" only on a private network).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # "" turns the access log off
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "kratomref"

# Say nothing about the server software or its version in the Server header.
gunicorn.http.wsgi.SERVER = "KratomRef"
