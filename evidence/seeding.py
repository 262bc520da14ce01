"""Load the reviewed seed library from the YAML files in ``evidence/seed_library/``.

Everything is read and validated before anything is written; any problem is reported with the
file and the item it concerns, and nothing is loaded. The write happens in one transaction and
saves a row only when it differs from what is stored, so loading twice changes nothing.
"""

import itertools
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db import transaction
from django.utils import timezone

from evidence import services
from evidence.models import (
    Certainty,
    Claim,
    Direction,
    Evidence,
    Passage,
    Population,
    Severity,
    Status,
    Study,
    StudyDesign,
    Substance,
    SubstanceKind,
    Topic,
    UnfoundReference,
    Verdict,
    Warning,
    Wording,
)
from evidence.text import ArticleFormatError, QuoteAmbiguous, QuoteNotFound, locate_quote, parse_article

SEED_DIR = Path(__file__).resolve().parent / "seed_library"
VERDICTS_WITHOUT_EVIDENCE = {Verdict.INSUFFICIENT, Verdict.UNVERIFIABLE}


class SeedError(ValueError):
    """The seed library is invalid; ``problems`` lists every problem found, each naming file and item."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class LoadReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    extra_passages: list = field(default_factory=list)

    def note(self, kind, outcome):
        getattr(self, outcome)[kind] += 1


@dataclass
class SeedLibrary:
    substances: list
    studies: list
    claims: list
    warnings: list
    articles: dict  # file name -> text
    passages: dict  # file name -> [passage dicts with "start" resolved]
    unfound: list


class _Checker:
    def __init__(self):
        self.problems = []

    def require(self, condition, where, message):
        if not condition:
            self.problems.append(f"{where}: {message}")
        return condition

    def choice(self, value, choices, where, name):
        return self.require(
            value in choices.values, where, f"{name} {value!r} is not one of {', '.join(choices.values)}"
        )


def _read_yaml(path, checker, expect=list):
    where = path.name if path.parent.name == "seed_library" else f"{path.parent.name}/{path.name}"
    if not path.exists():
        checker.require(False, where, "file is missing")
        return expect()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        checker.require(False, where, f"not valid YAML: {error}")
        return expect()
    if not checker.require(isinstance(data, expect), where, f"expected a {expect.__name__} at the top level"):
        return expect()
    return data


def _where(file, item, key="slug"):
    label = item.get(key) if isinstance(item, dict) else None
    return f"{file} [{label or '?'}]"


def read_library(directory=SEED_DIR):
    """Read and validate the whole library; raise SeedError listing every problem."""
    directory = Path(directory)
    check = _Checker()
    substances = _read_yaml(directory / "substances.yaml", check)
    studies = _read_yaml(directory / "studies.yaml", check)
    claims = _read_yaml(directory / "claims.yaml", check)
    warnings = _read_yaml(directory / "warnings.yaml", check)
    unfound = _read_yaml(directory / "unfound_references.yaml", check)

    substance_slugs = {s.get("slug") for s in substances if isinstance(s, dict)}
    for item in substances:
        where = _where("substances.yaml", item)
        for key in ("slug", "name", "kind"):
            check.require(item.get(key), where, f"missing {key}")
        check.choice(item.get("kind"), SubstanceKind, where, "kind")
        parent = item.get("parent") or ""
        check.require(not parent or parent in substance_slugs, where, f"unknown parent substance {parent!r}")
        check.require(isinstance(item.get("synonyms", []), list), where, "synonyms must be a list")

    study_keys = set()
    for item in studies:
        where = _where("studies.yaml", item, "key")
        check.require(item.get("key") and item.get("title"), where, "missing key or title")
        check.require(item.get("key") not in study_keys, where, "duplicate key")
        study_keys.add(item.get("key"))
        check.choice(item.get("design"), StudyDesign, where, "design")
        check.choice(item.get("population"), Population, where, "population")
        check.require(item.get("doi") or item.get("pmid") or item.get("url"), where, "no DOI, PMID or URL")
        check.require(item.get("verified_on"), where, "no verified_on page")

    claim_slugs = set()
    for item in claims:
        where = _where("claims.yaml", item)
        check.require(item.get("slug") and item.get("statement"), where, "missing slug or statement")
        check.require(item.get("slug") not in claim_slugs, where, "duplicate slug")
        claim_slugs.add(item.get("slug"))
        check.choice(item.get("topic"), Topic, where, "topic")
        check.choice(item.get("verdict"), Verdict, where, "verdict")
        check.choice(item.get("certainty"), Certainty, where, "certainty")
        check.require((item.get("summary") or "").strip(), where, "missing summary")
        for slug in item.get("substances") or []:
            check.require(slug in substance_slugs, where, f"unknown substance {slug!r}")
        evidence = item.get("evidence") or []
        check.require(
            evidence or item.get("verdict") in VERDICTS_WITHOUT_EVIDENCE,
            where,
            "no evidence rows; only an insufficient or unverifiable claim may have none",
        )
        seen = set()
        for row in evidence:
            key = row.get("study")
            check.require(key in study_keys, where, f"evidence names unknown study {key!r}")
            check.require(key not in seen, where, f"study {key!r} listed twice")
            seen.add(key)
            check.choice(row.get("direction"), Direction, where, "direction")

    for item in warnings:
        where = _where("warnings.yaml", item)
        for key in ("slug", "title", "text"):
            check.require(item.get(key), where, f"missing {key}")
        check.choice(item.get("severity"), Severity, where, "severity")
        check.require(item.get("studies"), where, "no studies behind the warning")
        for key in item.get("studies") or []:
            check.require(key in study_keys, where, f"unknown study {key!r}")
        for slug in (item.get("claims") or []) + (item.get("mentioned_by") or []):
            check.require(slug in claim_slugs, where, f"unknown claim {slug!r}")
        for slug in item.get("substances") or []:
            check.require(slug in substance_slugs, where, f"unknown substance {slug!r}")

    articles = {}
    for path in sorted((directory / "articles").glob("*.txt")):
        where = f"articles/{path.name}"
        try:
            text = path.read_bytes().decode("utf-8")
            parse_article(text)
        except (UnicodeDecodeError, ArticleFormatError) as error:
            check.require(False, where, str(error))
            continue
        articles[path.name] = text
    check.require(articles, "articles/", "no article files")

    passages = {}
    for path in sorted((directory / "passages").glob("*.yaml")):
        data = _read_yaml(path, check, expect=dict)
        file = f"passages/{path.name}"
        name = data.get("article")
        if not check.require(name in articles, file, f"unknown article {name!r}"):
            continue
        text = articles[name]
        blocks = list(parse_article(text).blocks())
        placed = []
        for index, item in enumerate(data.get("passages") or [], start=1):
            where = f"{file} [passage {index}: {str(item.get('quote', ''))[:40]!r}]"
            quote = item.get("quote") or ""
            check.require(item.get("claim") in claim_slugs, where, f"unknown claim {item.get('claim')!r}")
            check.choice(item.get("wording"), Wording, where, "wording")
            check.require(
                item.get("wording") == Wording.ACCURATE or (item.get("note") or "").strip(),
                where,
                "a wording other than accurate needs a note",
            )
            check.require(quote == quote.strip(), where, "quote starts or ends with whitespace")
            try:
                start = locate_quote(text, quote, item.get("start"))
            except (QuoteNotFound, QuoteAmbiguous) as error:
                check.require(False, where, str(error))
                continue
            end = start + len(quote)
            check.require(
                any(block.start <= start and end <= block.end for block in blocks),
                where,
                "quote is not inside one paragraph, heading or list item",
            )
            placed.append({**item, "start": start, "end": end, "where": where})
        placed.sort(key=lambda p: p["start"])
        for before, after in itertools.pairwise(placed):
            check.require(before["end"] <= after["start"], after["where"], f"overlaps {before['where']}")
        passages[name] = placed

    used = {p["claim"] for items in passages.values() for p in items}
    for slug in sorted(claim_slugs - used):
        check.require(False, f"claims.yaml [{slug}]", "no passage in any article links to this claim")

    for item in unfound:
        where = _where("unfound_references.yaml", item, "citation")
        check.require(item.get("article") in articles, where, f"unknown article {item.get('article')!r}")
        check.require(item.get("claim") in claim_slugs, where, f"unknown claim {item.get('claim')!r}")
        check.require((item.get("searched") or "").strip(), where, "say what was searched")
        text = articles.get(item.get("article"), "")
        check.require(item.get("quote") and item["quote"] in text, where, "quote does not occur in the article")
        claim = next((c for c in claims if c.get("slug") == item.get("claim")), {})
        check.require(claim.get("verdict") == Verdict.UNVERIFIABLE, where, "its claim must be unverifiable")

    if check.problems:
        raise SeedError(check.problems)
    return SeedLibrary(substances, studies, claims, warnings, articles, passages, unfound)


def _sync(model, lookup, values, report, kind):
    """Create or update one row, saving only when something differs."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save()
        report.note(kind, "created")
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.full_clean()
        obj.save()
        report.note(kind, "updated")
    else:
        report.note(kind, "unchanged")
    return obj


def _sync_m2m(manager, objects):
    if {o.pk for o in manager.all()} != {o.pk for o in objects}:
        manager.set(objects)


def _publish(obj, report, kind):
    if obj.status != Status.PUBLISHED:
        obj.status = Status.PUBLISHED
        obj.published_at = obj.published_at or timezone.now()
        obj.save(update_fields=["status", "published_at", "updated_at"])
        if report.unchanged[kind]:
            report.unchanged[kind] -= 1
            report.updated[kind] += 1


@transaction.atomic
def seed_library_load(*, directory=SEED_DIR, dry_run=False):
    """Validate and load the seed library; with ``dry_run`` validate only."""
    library = read_library(directory)
    report = LoadReport()
    if dry_run:
        return report

    substances = {}
    for item in sorted(library.substances, key=lambda s: bool(s.get("parent"))):
        values = {
            "name": item["name"],
            "scientific_name": item.get("scientific_name") or "",
            "kind": item["kind"],
            "synonyms": list(item.get("synonyms") or []),
            "summary": (item.get("summary") or "").strip(),
            "parent": substances.get(item.get("parent") or ""),
        }
        substances[item["slug"]] = _sync(Substance, {"slug": item["slug"]}, values, report, "substances")

    studies = {}
    for item in library.studies:
        values = {
            name: (item.get(name) if item.get(name) is not None else "")
            for name in (
                "title",
                "authors",
                "venue",
                "doi",
                "pmid",
                "pmcid",
                "url",
                "design",
                "population",
                "sample_size",
                "finding",
                "verified_on",
                "notes",
            )
        }
        values.update(
            year=item.get("year"),
            title_is_descriptive=bool(item.get("title_is_descriptive")),
            authors_confirmed=bool(item.get("authors_confirmed", True)),
            is_verified=True,
        )
        studies[item["key"]] = _sync(Study, {"key": item["key"]}, values, report, "studies")

    claims = {}
    for item in library.claims:
        values = {
            "statement": item["statement"].strip(),
            "topic": item["topic"],
            "verdict": item["verdict"],
            "certainty": item["certainty"],
            "summary": item["summary"].strip(),
        }
        claim = _sync(Claim, {"slug": item["slug"]}, values, report, "claims")
        _sync_m2m(claim.substances, [substances[s] for s in item.get("substances") or []])
        for row in item.get("evidence") or []:
            _sync(
                Evidence,
                {"claim": claim, "study": studies[row["study"]]},
                {"direction": row["direction"], "note": (row.get("note") or "").strip()},
                report,
                "evidence",
            )
        _publish(claim, report, "claims")
        claims[item["slug"]] = claim

    articles = {}
    for name, text in library.articles.items():
        result = services.article_import(text=text, source_name=name)
        articles[name] = result.article
        report.note("articles", "created" if result.created else "unchanged")

    for name, items in library.passages.items():
        article = articles[name]
        wanted = set()
        for item in items:
            passage = Passage.objects.filter(article=article, start=item["start"]).first()
            values = {
                "claim": claims[item["claim"]],
                "quote": item["quote"],
                "wording": item["wording"],
                "wording_note": (item.get("note") or "").strip(),
            }
            if passage is None:
                passage = Passage(article=article, **values)
                services.passage_place(passage=passage, start=item["start"])
                passage.full_clean()
                passage.save()
                report.note("passages", "created")
            elif any(getattr(passage, k) != v for k, v in values.items()) or passage.end != item["end"]:
                for key, value in values.items():
                    setattr(passage, key, value)
                services.passage_place(passage=passage, start=item["start"])
                passage.full_clean()
                passage.save()
                report.note("passages", "updated")
            else:
                report.note("passages", "unchanged")
            wanted.add(passage.pk)
        extra = Passage.objects.filter(article=article).exclude(pk__in=wanted)
        report.extra_passages += [f"{name}: {p}" for p in extra]

    for item in library.warnings:
        values = {"title": item["title"], "severity": item["severity"], "text": item["text"].strip()}
        warning = _sync(Warning, {"slug": item["slug"]}, values, report, "warnings")
        _sync_m2m(warning.substances, [substances[s] for s in item.get("substances") or []])
        _sync_m2m(warning.studies, [studies[k] for k in item.get("studies") or []])
        _sync_m2m(warning.claims, [claims[s] for s in item.get("claims") or []])
        _sync_m2m(warning.mentioned_by, [claims[s] for s in item.get("mentioned_by") or []])
        _publish(warning, report, "warnings")

    for item in library.unfound:
        _sync(
            UnfoundReference,
            {
                "article": articles[item["article"]],
                "claim": claims[item["claim"]],
                "citation": item["citation"],
            },
            {"searched": item["searched"].strip()},
            report,
            "unfound references",
        )
    return report
