"""Server time of the search page over a mixed query set that never repeats (issue 14: p95 ≤ 30 ms).

A script, not a test. It runs each query once through Django's test client (the whole middleware
stack, the view, the template), against the database in ``DATABASE_URL`` — normally one filled by
``manage.py generate_library`` — and prints p50/p95/max server time and queries per request,
overall and per kind of query:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kr_bench SECRET_KEY=... \\
        .venv/bin/python bench/search_latency.py --queries 200 --seed 1

The queries are built from the generator's vocabulary (evidence/scale.py) with a fixed seed, in five
kinds: ubiquitous words ("kratom", "pain" …, each with a different second word or form so that no
query repeats), selective words (the vocabulary's rare end), two-word queries, misspelt words
(one edit), and questions in readers' words ("does kratom help with …"). No query string is sent
twice, so no result cache could answer it. The first ``--warmup`` queries (different strings again)
are not counted: they fill the per-content-version caches (synonyms, vocabulary) as a running site
would have them. ``--explain`` prints the slowest query's SQL statements with their times.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kratomref.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
os.environ.setdefault("RATE_LIMIT_SEARCH", "1000000/60")  # the limiter is not what is measured


def typo(rng, word):
    """One edit: a dropped, doubled or swapped letter, or a neighbouring key."""
    if len(word) < 5:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["drop", "double", "swap", "replace"])
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap":
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    return word[:i] + rng.choice("aeiourstnl") + word[i + 1 :]


def query_set(n, seed):
    """``n`` distinct queries of five kinds, as (kind, query) pairs, in a shuffled order."""
    from evidence.scale import OBJECTS, TERMS

    rng = random.Random(seed)
    terms = [t.lower() for t in TERMS.items]
    objects = [o.lower() for o in OBJECTS.items]
    common, rare = terms[:12], terms[60:]
    single_words = [t for t in terms if " " not in t and len(t) >= 6]
    templates = [
        "does kratom help with {x}",
        "can kratom cause {x}",
        "is kratom safe for {x}",
        "kratom and {x} is it dangerous",
        "what does the research say about kratom and {x}",
        "I read that kratom causes {x}, is that true",
    ]
    makers = {
        # Ubiquitous: the most frequent words, alone or with a common second word or an "or".
        "ubiquitous": lambda: rng.choice(
            [
                rng.choice(common),
                f"{rng.choice(common)} {rng.choice(common)}",
                f"kratom {rng.choice(common)}",
                f"{rng.choice(common)} or {rng.choice(common)}",
            ]
        ),
        "selective": lambda: rng.choice(rare + objects[20:]),
        "two words": lambda: f"{rng.choice(terms)} {rng.choice(objects)}",
        "typo": lambda: " ".join(
            [typo(rng, rng.choice(single_words))] + ([rng.choice(common)] if rng.random() < 0.4 else [])
        ),
        "question": lambda: rng.choice(templates).format(x=rng.choice(objects + rare)),
    }
    seen, out, attempts = set(), [], 0
    kinds = list(makers)
    while len(out) < n and attempts < 100 * n:
        attempts += 1
        kind = kinds[len(out) % len(kinds)]
        q = makers[kind]()
        if q in seen:
            continue
        seen.add(q)
        out.append((kind, q))
    rng.shuffle(out)
    return out


def rss_mb():
    """This process's resident memory (Linux), to see whether it grows from query to query."""
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return float("nan")


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--explain", action="store_true", help="print the slowest request's SQL with times")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from evidence.models import Claim

    settings.DEBUG = False
    client = Client()
    url = reverse("evidence:search")
    everything = query_set(args.queries + args.warmup, args.seed)
    warmup, measured = everything[: args.warmup], everything[args.warmup :]
    for _kind, q in warmup:
        client.get(url, {"q": q})

    rss_before = rss_mb()
    rows = []
    for kind, q in measured:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, {"q": q})
            took = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{q!r}: HTTP {response.status_code}")
        rows.append((kind, q, took, len(captured), list(captured.captured_queries)))

    print(
        f"database: {connection.vendor} {connection.settings_dict.get('NAME')}, "
        f"{Claim.objects.count():,} claims; {len(rows)} distinct queries (seed {args.seed}, {args.warmup} warm-up)"
    )
    print(f"{'kind':<12} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries/req':>12}")

    def line(label, selected):
        times = [r[2] for r in selected]
        counts = [r[3] for r in selected]
        print(
            f"{label:<12} {len(selected):>4} {statistics.median(times):>8.1f} {percentile(times, 95):>8.1f} "
            f"{max(times):>8.1f} {statistics.mean(counts):>6.1f} (max {max(counts)})"
        )

    for kind in dict.fromkeys(kind for kind, _q in everything):
        line(kind, [r for r in rows if r[0] == kind])
    line("all", rows)
    print(f"worker memory (RSS): {rss_before:.0f} MB after the warm-up, {rss_mb():.0f} MB after {len(rows)} queries")
    slowest = sorted(rows, key=lambda r: -r[2])[:5]
    print("slowest:", "; ".join(f"{r[1]!r} {r[2]:.0f} ms" for r in slowest))
    if args.explain:
        kind, q, took, _n, queries = slowest[0]
        print(f"\n{q!r} ({kind}, {took:.0f} ms):")
        for item in sorted(queries, key=lambda x: -float(x["time"]))[:10]:
            print(f"  {float(item['time']) * 1000:7.1f} ms  {item['sql'][:300]}")


if __name__ == "__main__":
    main()
