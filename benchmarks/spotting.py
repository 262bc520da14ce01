"""How well the claim spotter finds the claims of an article it has not seen.

Leave one article out: for each of the five seed articles, the spotter's examples are the
statements of all published claims plus the passages of the *other* four articles; it then spots
the held-out article, and its suggestions are compared with that article's curated passages.

- A passage is **found at k** when some suggested sentence or clause overlaps the passage's span
  and the passage's claim is among that suggestion's first k candidates (recall@1, recall@3).
- A **false alarm** is a body sentence (headings, contents and link lists excluded: the spotter
  never suggests there) that overlaps no curated passage and still got a suggestion.
- **Precision@1**: of all suggestions, the share whose first candidate is the claim of a passage
  it overlaps.

The same figures with the claim statements alone (no passages as examples) show what the
library's own passages add.

Run it from the project folder (about a minute; it builds a private in-memory SQLite database
and loads the seed library into it, so no database of yours is touched):

    .venv/bin/python benchmarks/spotting.py            # add --alarms to list the false alarms
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django():
    os.environ["DATABASE_URL"] = "sqlite://:memory:"
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kratomref.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_seed_library", verbosity=0)


def library():
    """The seed library as the spotter sees it: claims, passages (with spans) and article texts."""
    from evidence.models import Claim, Passage, SourceArticle
    from evidence.search import synonym_map

    claims = list(Claim.objects.published().order_by("slug").values_list("slug", "statement"))
    passages = list(
        Passage.objects.published()
        .order_by("article__slug", "start")
        .values_list("claim__slug", "quote", "article__slug", "start", "end")
    )
    articles = list(SourceArticle.objects.published().order_by("slug").values_list("slug", "text"))
    return claims, passages, articles, synonym_map()


def overlaps(a_start, a_end, b_start, b_end):
    return a_start < b_end and b_start < a_end


def evaluate_article(text, passages, suggestions):
    from evidence import spotting

    found1 = found3 = 0
    for claim, _quote, _article, start, end in passages:
        near = [s for s in suggestions if overlaps(s.start, s.end, start, end)]
        found1 += any(s.candidates[0][0] == claim for s in near)
        found3 += any(claim in [slug for slug, _ in s.candidates[:3]] for s in near)
    body = [span for block in spotting.blocks(text) for span in spotting.sentences(text, *block)]
    quiet = [span for span in body if not any(overlaps(*span, p[3], p[4]) for p in passages)]
    alarms = [span for span in quiet if any(overlaps(*span, s.start, s.end) for s in suggestions)]
    right = sum(
        any(s.candidates[0][0] == p[0] and overlaps(s.start, s.end, p[3], p[4]) for p in passages) for s in suggestions
    )
    return {
        "passages": len(passages),
        "found1": found1,
        "found3": found3,
        "quiet": len(quiet),
        "alarms": len(alarms),
        "suggestions": len(suggestions),
        "right": right,
        "alarm_texts": [text[start:end] for start, end in alarms],
    }


def run(claims, passages, articles, synonyms, *, with_examples=True, threshold=None):
    from evidence import spotting

    results = {}
    for slug, text in articles:
        held_out = [p for p in passages if p[2] == slug]
        examples = [p[:3] for p in passages if p[2] != slug] if with_examples else []
        index = spotting.build_index(claims=claims, examples=examples, synonyms=synonyms)
        suggestions = spotting.spot(text, index=index, limit=3, threshold=threshold)
        results[slug] = evaluate_article(text, held_out, suggestions)
    return results


def totals(results):
    keys = ("passages", "found1", "found3", "quiet", "alarms", "suggestions", "right")
    return {key: sum(row[key] for row in results.values()) for key in keys}


def percent(numerator, denominator):
    return f"{100 * numerator / denominator:5.1f}%" if denominator else "    –"


def report(title, results, *, show_alarms=False):
    print(title)
    print(f"  {'article':<72} {'passages':>8} {'recall@1':>8} {'recall@3':>8} {'false alarms':>16} {'prec@1':>7}")
    total = totals(results)
    for slug, row in results.items():
        print(
            f"  {slug:<72} {row['passages']:>8} {percent(row['found1'], row['passages']):>8} "
            f"{percent(row['found3'], row['passages']):>8} "
            f"{row['alarms']:>3}/{row['quiet']:<3} {percent(row['alarms'], row['quiet']):>8} "
            f"{percent(row['right'], row['suggestions']):>7}"
        )
    print(
        f"  {'overall':<72} {total['passages']:>8} {percent(total['found1'], total['passages']):>8} "
        f"{percent(total['found3'], total['passages']):>8} "
        f"{total['alarms']:>3}/{total['quiet']:<3} {percent(total['alarms'], total['quiet']):>8} "
        f"{percent(total['right'], total['suggestions']):>7}"
    )
    if show_alarms:
        for slug, row in results.items():
            for sentence in row["alarm_texts"]:
                print(f"    false alarm in {slug}: {sentence[:110]}")
    print()
    return total


def main():
    setup_django()
    from evidence import spotting

    data = library()
    claims, passages, articles, _synonyms = data
    print(f"{len(articles)} articles, {len(claims)} published claims, {len(passages)} curated passages")
    print(f"threshold {spotting.THRESHOLD}\n")
    report(
        "Leave one article out (examples: all statements + the other four articles' passages):",
        run(*data),
        show_alarms="--alarms" in sys.argv,
    )
    report("Statements only (no passages as examples):", run(*data, with_examples=False))
    print("The threshold trades recall for false alarms (leave one article out, overall):")
    print(f"  {'threshold':>9} {'recall@1':>8} {'recall@3':>8} {'false alarms':>12} {'prec@1':>7}")
    for threshold in sorted({0.25, 0.30, 0.35, spotting.THRESHOLD, 0.40, 0.45, 0.50}):
        total = totals(run(*data, threshold=threshold))
        print(
            f"  {threshold:>9.2f} {percent(total['found1'], total['passages']):>8} "
            f"{percent(total['found3'], total['passages']):>8} {percent(total['alarms'], total['quiet']):>12} "
            f"{percent(total['right'], total['suggestions']):>7}"
        )


if __name__ == "__main__":
    main()
