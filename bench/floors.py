"""Where a cold page's server time goes: the whole request, its SQL, and its template alone.

A script, not a test. Issue 14's cold budgets are ratios to B_view; this says whether a page could
meet its budget at all on this machine, by timing, in process, what no query or cache can take
away: rendering the template (no query runs while a template renders; tests assert it). It runs
against the database in ``DATABASE_URL`` (normally one filled by ``manage.py generate_library``)
with the benchmark's settings, the page cache off and the shared cache cleared before each page:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kratomref_bench REDIS_URL=redis://127.0.0.1:6379/11 \\
        taskset -c 0 .venv/bin/python bench/floors.py

It prints, for cold claim pages and cold 50-passage articles, p50 of the whole request, of its SQL
and of its template, the in-process budget at the issue's ratio (B_view's minimal view timed the
same way), and for search over bench/search_latency.py's queries, p50 and p95 of the search, its
SQL and its template.
"""

import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PRODUCTION": "1",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver,localhost",
        "SITE_URL": "https://kratomref.example",
        "STATIC_MANIFEST": "0",
        "SECURE_COOKIES": "1",
        "SECURE_SSL_REDIRECT": "0",
        "PAGE_CACHE_SECONDS": "0",  # every page rendered: cold
        "RATE_LIMIT_SEARCH": "1000000/60",
    }
)
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))

COLD_BUDGETS = {"claim page": 0.15, "article, 50 passages": 0.1}  # × B_view (issue 14)


def main():
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Count
    from django.template.backends import django as backend
    from django.template.loader import render_to_string
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from search_latency import percentile, query_set

    from evidence.models import Claim, SourceArticle
    from evidence.search import search_library

    rendering = [0.0]
    render = backend.Template.render

    def timed(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return render(self, *args, **kwargs)
        finally:
            rendering[0] += time.perf_counter() - started

    backend.Template.render = timed
    client = Client()
    client.get("/bench/minimal/")
    minimal = []
    for _ in range(500):
        started = time.perf_counter()
        client.get("/bench/minimal/")
        minimal.append((time.perf_counter() - started) * 1000)
    b_view = statistics.median(minimal)
    print(f"B_view in process: p50 {b_view:.3f} ms")

    pages = {
        "claim page": [c.get_absolute_url() for c in Claim.objects.published().order_by("pk")[:120]],
        "article, 50 passages": [
            a.get_absolute_url()
            for a in SourceArticle.objects.published()
            .annotate(n=Count("passages"))
            .filter(n__gte=50)
            .order_by("pk")[:40]
        ],
    }
    for label, urls in pages.items():
        whole, sql, template = [], [], []
        for url in urls:
            cache.clear()
            rendering[0] = 0.0
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
                whole.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
            sql.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
            template.append(rendering[0] * 1000)
        budget = b_view / COLD_BUDGETS[label]
        print(
            f"{label} cold ({len(urls)} pages): whole {statistics.median(whole):.1f} ms, SQL "
            f"{statistics.median(sql):.1f} ms, template {statistics.median(template):.1f} ms (fastest "
            f"{min(template):.1f}); budget at {COLD_BUDGETS[label]} × B_view: {budget:.1f} ms"
        )

    queries = query_set(210, 1)
    for _kind, q in queries[:10]:
        search_library(q)
    searched, sql, template = [], [], []
    for _kind, q in queries[10:]:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            page = search_library(q)
            middle = time.perf_counter()
            render_to_string("evidence/search.html", {"search": page})
            searched.append((middle - started) * 1000)
            template.append((time.perf_counter() - middle) * 1000)
        sql.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
    for label, values in (("search", searched), ("its SQL", sql), ("its template", template)):
        print(f"{label}: p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 95):.1f} ms")


if __name__ == "__main__":
    main()
