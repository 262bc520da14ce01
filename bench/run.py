"""The page benchmark: ``make bench`` (issue 14). Not a test: it prints a table and writes bench/results.json.

What it does, in order:

1. PostgreSQL database ``BENCH_DB`` (default kratomref_bench): migrated, then filled by
   ``generate_library --claims BENCH_CLAIMS`` (default 100000; a database that already holds a
   generated library of that size is reused unless BENCH_FRESH=1).
2. ``collectstatic``, then gunicorn with the production settings (PRODUCTION=1, Redis, PostgreSQL)
   plus bench/settings.py: one sync worker pinned to CPU 0 (``taskset -c 0``).
3. wrk pinned to CPU 1, one thread, BENCH_CONNECTIONS connections (default 8), BENCH_SECONDS per
   run (default 10), with bench/rotate.lua rotating over a sample of real URLs per page type (up to
   BENCH_MAX_URLS, default 1000, distinct URLs). Every request says ``Accept-Encoding: gzip,
   deflate, br``, as browsers do. Each row is the median of 3 runs.
4. B_view (``/bench/minimal/``: a minimal view through the same middleware) and B_static (a static
   file served by whitenoise) are measured in the same run; each page's req/s is also given as a
   ratio to B_view. The run is VOID (exit 0, "void" printed and recorded) when B_view is under
   100 req/s or B_static is slower than B_view: the machine was too busy to measure.

Cold: the shared cache (Redis db of BENCH_REDIS_URL) is cleared before each run. Warm: the same URLs
after one pass over them (a pass bounded by BENCH_WARM_SECONDS, default 120; the warm runs rotate
over the URLs that pass reached). 304: the warm URLs again with If-None-Match set to each URL's ETag;
a page type that sends no ETag prints "no ETag". Search rotates over queries that never repeat.
Queries per request and server time come from bench/middleware.py's headers, averaged by wrk's script.
"""

import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
if not Path(PYTHON).exists():
    PYTHON = sys.executable

CLAIMS = int(os.environ.get("BENCH_CLAIMS", "100000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
MAX_URLS = int(os.environ.get("BENCH_MAX_URLS", "1000"))
WARM_SECONDS = float(os.environ.get("BENCH_WARM_SECONDS", "120"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
DB = os.environ.get("BENCH_DB", "kratomref_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
PORT = int(os.environ.get("BENCH_PORT", "8790"))
FRESH = os.environ.get("BENCH_FRESH", "") == "1"
RESULTS = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "results.json"))
BASE = f"http://127.0.0.1:{PORT}"
HOST = "127.0.0.1"

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "PRODUCTION": "1",
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": f"{HOST},localhost",
    "SITE_URL": "https://kratomref.example",
    "DATABASE_URL": f"{PG}/{DB}",
    "REDIS_URL": REDIS_URL,
    "STATIC_MANIFEST": "1",
    "SECURE_COOKIES": "1",
    "SECURE_SSL_REDIRECT": "0",
    "WEB_CONCURRENCY": "1",
    "GUNICORN_ACCESS_LOG": "",
    "GUNICORN_LOG_LEVEL": "warning",
    "GUNICORN_TIMEOUT": "120",
    "GUNICORN_MAX_REQUESTS": "0",  # no recycling mid-run: the worker's memory growth is reported instead
    "PYTHONPATH": str(ROOT),
}


class BenchError(RuntimeError):
    pass


STARTED = time.monotonic()


def say(message):
    print(f"[{time.monotonic() - STARTED:5.0f} s] {message}" if message else "", flush=True)


def run(args, **kwargs):
    result = subprocess.run(args, cwd=ROOT, env=ENV, capture_output=True, text=True, **kwargs)
    if result.returncode:
        raise BenchError(f"{' '.join(map(str, args))} failed:\n{result.stdout[-2000:]}{result.stderr[-4000:]}")
    return result.stdout


def manage(*args):
    return run([PYTHON, "manage.py", *args])


# --- the database --------------------------------------------------------------------------------


def psql(sql, database="postgres"):
    return run(["psql", f"{PG}/{database}", "-v", "ON_ERROR_STOP=1", "-Atqc", sql]).strip()


def prepare_database():
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB}'") == "1"
    if exists and not FRESH:
        manage("migrate", "--no-input", "-v0")
        held = psql("SELECT count(*) FROM evidence_claim", DB)
        generated = psql("SELECT count(*) FROM evidence_sourcearticle WHERE source_name NOT LIKE 'generated:%'", DB)
        if held == str(CLAIMS) and generated == "0":
            say(f"Reusing {DB}: it holds a generated library of {CLAIMS} claims (BENCH_FRESH=1 makes a new one).")
            return None
    say(f"Creating {DB} and generating {CLAIMS} claims …")
    psql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{DB}"')
    manage("migrate", "--no-input", "-v0")
    started = time.monotonic()
    out = manage("generate_library", "--claims", str(CLAIMS), "--seed", "1")
    took = time.monotonic() - started
    say(out.strip().splitlines()[-1])
    return round(took, 1)


# --- Django, in this process, to pick URLs and clear the cache --------------------------------------


def django_setup():
    for name in ("DJANGO_SETTINGS_MODULE", "PRODUCTION", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL"):
        os.environ[name] = ENV[name]
    for name in ("DATABASE_URL", "REDIS_URL", "STATIC_MANIFEST", "SECURE_COOKIES", "SECURE_SSL_REDIRECT"):
        os.environ[name] = ENV[name]
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def clear_cache():
    from django.conf import settings
    from django.core.cache import cache

    cache.clear()  # the bench's own Redis database (BENCH_REDIS_URL), never another's
    # The worker rereads the content version (now a new one) before a kept page of its own may
    # answer again (evidence/page_cache.py): a cold run finds nothing kept anywhere.
    time.sleep(settings.PAGE_VERSION_RECHECK_SECONDS + 0.5)


def sample(rng, items, limit=None):
    items = list(items)
    limit = MAX_URLS if limit is None else limit
    return items if len(items) <= limit else rng.sample(items, limit)


def query_mix(rng, count):
    """Search queries that never repeat: one to three library words, some with a typo, some a phrase."""
    from evidence.scale import OBJECTS, SUBJECTS, TERMS

    queries, seen = [], set()
    while len(queries) < count:
        kind = rng.random()
        if kind < 0.4:
            words = [TERMS.pick(rng) for _ in range(rng.randint(1, 3))]
            query = " ".join(dict.fromkeys(words))
        elif kind < 0.6:
            query = f"{SUBJECTS.pick(rng).lower()} {OBJECTS.pick(rng)}"
        elif kind < 0.75:  # a typo: one letter dropped, for "did you mean"
            word = TERMS.pick(rng)
            cut = rng.randrange(len(word)) if len(word) > 3 else 0
            query = f"{word[:cut]}{word[cut + 1 :]} {TERMS.pick(rng)}"
        elif kind < 0.9:
            query = f"is {TERMS.pick(rng)} safe for {OBJECTS.pick(rng)}"
        else:
            query = f'"{OBJECTS.pick(rng)}" {TERMS.pick(rng)}'
        if query not in seen:
            seen.add(query)
            queries.append(query)
    return [f"/search/?{urllib.parse.urlencode({'q': q})}" for q in queries]


def page_urls():
    """The URLs per page type, chosen once with a fixed seed from the generated library."""
    from django.db.models import Count
    from django.templatetags.static import static

    from evidence.models import Certainty, Claim, SourceArticle, Study, Topic, Verdict

    rng = random.Random(14)
    claims = Claim.objects.published().order_by("pk").values_list("slug", flat=True)
    passages = SourceArticle.objects.published().annotate(n=Count("passages")).order_by("pk")
    combos = [(v, c, t) for v in Verdict.values for c in Certainty.values for t in Topic.values]
    lists = [f"/claims/?{urllib.parse.urlencode({'verdict': v, 'certainty': c, 'topic': t})}" for v, c, t in combos]
    deep = []
    for verdict, certainty, topic in combos:
        count = Claim.objects.published().filter(verdict=verdict, certainty=certainty, topic=topic).count()
        pages = (count + 24) // 25
        if pages >= 4:  # a deep page: three quarters of the way through the filtered list
            query = {"verdict": verdict, "certainty": certainty, "topic": topic, "page": pages * 3 // 4}
            deep.append(f"/claims/?{urllib.parse.urlencode(query)}")
    if len(deep) < 20:  # a small library: deep pages of lists with one filter instead
        for name, values in [("verdict", Verdict.values), ("certainty", Certainty.values), ("topic", Topic.values)]:
            for value in values:
                pages = (Claim.objects.published().filter(**{name: value}).count() + 24) // 25
                deep += [
                    f"/claims/?{urllib.parse.urlencode({name: value, 'page': page})}"
                    for page in range(max(2, pages // 2), pages + 1)
                ]
    study_pages = (Study.objects.published().count() + 24) // 25
    studies = [f"/studies/?page={n}" for n in range(1, min(study_pages, 40) + 1)]
    studies += [
        f"/studies/?{urllib.parse.urlencode({'design': d, 'population': p})}"
        for d in Study.Design.values
        for p in Study.Population.values
    ]
    api = [f"/api/v1/claims/?{urllib.parse.urlencode({'verdict': v, 'topic': t})}" for v, _c, t in combos[::4]]
    api += [f"/api/v1/claims/?{urllib.parse.urlencode({'certainty': c, 'topic': t})}" for _v, c, t in combos[1::4]]
    api = list(dict.fromkeys(api))
    return {
        "static": [static("css/site.css")],
        "minimal": ["/bench/minimal/"],
        "claim": sample(rng, (f"/claims/{slug}/" for slug in claims)),
        "article ~10": sample(
            rng, (f"/articles/{slug}/" for slug in passages.filter(n__range=(5, 15)).values_list("slug", flat=True))
        ),
        "article 50": sample(
            rng, (f"/articles/{slug}/" for slug in passages.filter(n=50).values_list("slug", flat=True))
        ),
        "list": sample(rng, lists),
        "deep": sample(rng, deep),
        "studies": sample(rng, studies),
        "home": ["/"],
        "search": query_mix(rng, max(20000, 400 * SECONDS)),
        "api": sample(rng, api),
    }


# --- gunicorn and wrk ------------------------------------------------------------------------------


def start_server():
    if socket.socket().connect_ex((HOST, PORT)) == 0:
        raise BenchError(f"Port {PORT} is taken; set BENCH_PORT.")
    args = ["taskset", "-c", "0", PYTHON, "-m", "gunicorn", "kratomref.wsgi", "-c", "gunicorn.conf.py"]
    args += ["-b", f"{HOST}:{PORT}", "-w", "1"]
    server = subprocess.Popen(args, cwd=ROOT, env=ENV, start_new_session=True)
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"{BASE}/bench/minimal/", timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
        if server.poll() is not None:
            break
    server.kill()
    raise BenchError("gunicorn did not answer /bench/minimal/ (is bench/settings.py importable, Redis up?).")


def worker_rss(server):
    """Resident memory of the gunicorn worker(s), KiB."""
    out = subprocess.run(["ps", "--ppid", str(server.pid), "-o", "rss="], capture_output=True, text=True).stdout
    return sum(int(n) for n in out.split())


def fetch(path, headers=None):
    request = urllib.request.Request(BASE + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def wrk(lines, workdir, name):
    path = Path(workdir) / f"{re.sub(r'[^a-z0-9]+', '-', name)}.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["taskset", "-c", "1", "wrk", "-t", "1", "-c", str(CONNECTIONS), "-d", f"{SECONDS}s", "--timeout", "60s"]
    args += ["-s", str(ROOT / "bench" / "rotate.lua"), BASE]
    result = subprocess.run(args, cwd=ROOT, env={**ENV, "BENCH_URLS": str(path)}, capture_output=True, text=True)
    found = re.search(r"^BENCH (\{.*\})$", result.stdout, re.M)
    if result.returncode or not found:
        raise BenchError(f"wrk failed for {name}:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return json.loads(found.group(1))


def warm_pass(urls):
    """Request each URL once (bounded by BENCH_WARM_SECONDS); return {URL reached: its ETag or ""}."""
    reached, started = {}, time.monotonic()
    for url in urls:
        if time.monotonic() - started > WARM_SECONDS:
            break
        _status, headers = fetch(url)
        reached[url] = headers.get("ETag") or headers.get("Etag") or ""
    return reached


def drain():
    """Wait until the worker has answered what the last run left queued (wrk stops sending, but
    requests already accepted are still served), so no run starts behind another's backlog."""
    fetch("/bench/minimal/")


def median_of_runs(name, lines, workdir, before_each=None):
    runs = []
    for _ in range(RUNS):
        drain()
        if before_each:
            before_each()
        runs.append(wrk(lines, workdir, name))
    keys = ("rps", "p50_ms", "p99_ms", "queries", "server_p50_ms", "server_p95_ms", "server_p99_ms")
    row = {key: round(statistics.median(r[key] for r in runs), 2) for key in keys}
    row.update(
        urls=runs[0]["urls"],
        requests=[r["requests"] for r in runs],
        not_2xx=sum(r["other"] for r in runs),
        not_modified=sum(r["not_modified"] for r in runs),
        socket_errors=sum(r["socket_errors"] for r in runs),
        with_etag=sum(r["with_etag"] for r in runs),
        runs=[r["rps"] for r in runs],
    )
    return row


# --- the table -------------------------------------------------------------------------------------


def machine():
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return {"cpu": model, "cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}


def table(rows, baseline):
    lines = [
        "| page | req/s | × B_view | p50 | p99 | queries/req | server p95 | URLs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.get("skipped"):
            lines.append(f"| {row['name']} | {row['skipped']} | | | | | | {row.get('urls', '')} |")
            continue
        ratio = row["rps"] / baseline if baseline else 0
        queries = "—" if row["queries"] < 0 else f"{row['queries']:g}"
        flags = ""
        if row["not_2xx"]:
            flags += f" ({row['not_2xx']} not 2xx/304)"
        if row["socket_errors"]:
            flags += f" ({row['socket_errors']} socket errors)"
        if min(row["requests"]) < 10:
            flags += f" (replies per run: {', '.join(map(str, row['requests']))})"
        lines.append(
            f"| {row['name']} | {row['rps']:.1f}{flags} | {ratio:.3f} | {row['p50_ms']:.1f} ms "
            f"| {row['p99_ms']:.1f} ms | {queries} | {row['server_p95_ms']:.1f} ms | {row['urls']} |"
        )
    return "\n".join(lines)


README = ROOT / "README.md"
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


def readme_section(result):
    """The README's benchmark table with its date, machine and size (between the bench markers)."""
    method = result["method"]
    lines = [
        f"Latest full-size run: {result['date']} on {result['machine']['cpu']} ({result['machine']['cores']} cores), "
        f"{result['size']['claims']:,} claims; {method['seconds_per_run']} s × {method['runs']} runs per row, "
        f"{method['connections']} connections, each request accepting gzip and br as browsers do; "
        f"B_view {result['b_view_rps']:.0f} req/s; worker RSS "
        f"{result['worker_rss_kib']['before'] // 1024} → {result['worker_rss_kib']['after'] // 1024} MiB"
        + (f". **VOID**: {result['void']}" if result["void"] else "")
        + " (bench/results.json).",
        "",
        result["table"],
    ]
    return "\n".join(lines)


def update_readme(result):
    text = README.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    section = f"{README_START}\n{readme_section(result)}\n{README_END}"
    README.write_text(text[:start] + section + text[end + len(README_END) :], encoding="utf-8")
    return True


def main():
    for tool in ("wrk", "taskset", "psql"):
        if not shutil.which(tool):
            raise BenchError(f"{tool} is not installed (apt-get install wrk util-linux postgresql-client).")
    generated_in = prepare_database()
    say("collectstatic …")
    manage("collectstatic", "--no-input", "-v0")
    django_setup()
    urls = page_urls()
    server = start_server()
    workdir = tempfile.mkdtemp(prefix="kratomref-bench-")
    rows, void = [], ""
    try:
        rss_before = worker_rss(server)
        say(
            f"gunicorn: 1 sync worker on CPU 0; wrk: 1 thread, {CONNECTIONS} connections on CPU 1, "
            f"{SECONDS} s x {RUNS} runs."
        )
        static = median_of_runs("B_static", urls["static"], workdir)
        view = median_of_runs("B_view", urls["minimal"], workdir)
        baseline = view["rps"]
        if baseline < 100 or static["rps"] < baseline:
            void = (
                f"B_view {baseline:.0f} req/s, B_static {static['rps']:.0f} req/s: the machine was too busy "
                "(B_view under 100 req/s or B_static slower than B_view)."
            )
        rows += [{"name": "B_static (whitenoise)", **static}, {"name": "B_view (minimal view)", **view}]

        def measure(name, kind, warm=False, etag=False):
            lines = urls[kind]
            if not lines:
                rows.append({"name": name, "skipped": "no such pages at this size", "urls": 0})
                return
            say(f"  {name} ({len(lines)} URLs) …")
            rows.append({"name": f"{name} cold", **median_of_runs(f"{name} cold", lines, workdir, clear_cache)})
            if not warm:
                return
            reached = warm_pass(lines)
            rows.append({"name": f"{name} warm", **median_of_runs(f"{name} warm", list(reached), workdir)})
            if etag:
                tagged = [f"{url}\t{tag}" for url, tag in reached.items() if tag]
                if not tagged:
                    rows.append({"name": f"{name} 304", "skipped": "no ETag", "urls": len(reached)})
                else:
                    rows.append({"name": f"{name} 304", **median_of_runs(f"{name} 304", tagged, workdir)})

        measure("claim page", "claim", warm=True, etag=True)
        measure("article ~10 passages", "article ~10")
        measure("article 50 passages", "article 50", warm=True)
        measure("claims list, 3 filters, page 1", "list", warm=True)
        measure("claims list, filtered, deep page", "deep", warm=True)
        measure("studies list", "studies")
        measure("home", "home")
        measure("search, mixed queries (never repeated)", "search")
        measure("API claims list", "api")
        rss_after = worker_rss(server)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "size": {"claims": CLAIMS, "generated_in_seconds": generated_in},
        "method": {
            "seconds_per_run": SECONDS,
            "runs": RUNS,
            "connections": CONNECTIONS,
            "max_urls": MAX_URLS,
            "server": "gunicorn, 1 sync worker, taskset -c 0, production settings + bench/settings.py",
            "client": "wrk -t 1, taskset -c 1, bench/rotate.lua, Accept-Encoding: gzip, deflate, br",
        },
        "void": void,
        "b_view_rps": baseline,
        "worker_rss_kib": {"before": rss_before, "after": rss_after},
        "rows": rows,
        "table": table(rows, baseline),
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    say("")
    say(f"{result['date']} · {result['machine']['cpu']} · {result['machine']['cores']} cores · {CLAIMS} claims")
    print(result["table"], flush=True)
    say(f"Worker RSS: {rss_before} KiB before, {rss_after} KiB after. Results: {RESULTS}")
    if CLAIMS >= 100_000 and RESULTS == ROOT / "bench" / "results.json" and update_readme(result):
        say("README.md: the benchmark table is updated (full-size runs only).")
    if void:
        say(f"void: {void}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        sys.exit(1)
