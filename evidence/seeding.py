"""Load the reviewed seed library from the YAML files in ``evidence/seed_library/``.

Everything is read and validated before anything is written; any problem is reported with the
file and the item it concerns, and nothing is loaded. The write happens in one transaction and
saves a row only when it differs from what is stored, so loading twice changes nothing.
"""

import itertools
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from evidence import services
from evidence.models import (
    Certainty,
    Claim,
    Direction,
    Evidence,
    Passage,
    Polarity,
    Population,
    Reviewed,
    Severity,
    SourceArticle,
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
from evidence.services.workflow import library_is_curated, system_writes
from evidence.text import (
    ArticleFormatError,
    QuoteAmbiguous,
    QuoteNotFound,
    fits_one_block,
    locate_quote,
    parse_article,
)

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
    pending: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    kept: Counter = field(default_factory=Counter)
    removed: Counter = field(default_factory=Counter)
    kept_items: list = field(default_factory=list)
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
    article_notes: dict  # file name -> the reviewer's note shown on the article page


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


def _dicts(items, where, check):
    """The entries of a list that are mappings; anything else is reported, not crashed on."""
    if not isinstance(items, list):
        check.require(False, where, "expected a list")
        return []
    good = []
    for index, item in enumerate(items, start=1):
        if check.require(isinstance(item, dict), where, f"entry {index} is not a mapping of fields: {item!r:.60}"):
            good.append(item)
    return good


def _field_problems(model, values):
    """What the model's own validation says about these values (lengths, types, choices)."""
    try:
        model(**values).clean_fields()
    except ValidationError as error:
        return [f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()]
    except (TypeError, ValueError) as error:
        return [str(error)]
    return []


def _unique(items, key, file, check, label):
    seen = {}
    for item in items:
        value = item.get(key)
        if value in (None, ""):
            continue
        if check.require(value not in seen, _where(file, item), f"{label} {value!r} is also used by {seen.get(value)}"):
            seen[value] = item.get("slug") or item.get("key")


def _where(file, item, key="slug"):
    label = item.get(key) if isinstance(item, dict) else None
    return f"{file} [{label or '?'}]"


def read_library(directory=SEED_DIR):
    """Read and validate the whole library; raise SeedError listing every problem."""
    directory = Path(directory)
    check = _Checker()
    substances = _dicts(_read_yaml(directory / "substances.yaml", check), "substances.yaml", check)
    studies = _dicts(_read_yaml(directory / "studies.yaml", check), "studies.yaml", check)
    claims = _dicts(_read_yaml(directory / "claims.yaml", check), "claims.yaml", check)
    warnings = _dicts(_read_yaml(directory / "warnings.yaml", check), "warnings.yaml", check)
    unfound = _dicts(_read_yaml(directory / "unfound_references.yaml", check), "unfound_references.yaml", check)

    substance_slugs = {s.get("slug") for s in substances if isinstance(s, dict)}
    for item in substances:
        where = _where("substances.yaml", item)
        for key in ("slug", "name", "kind"):
            check.require(item.get(key), where, f"missing {key}")
        check.choice(item.get("kind"), SubstanceKind, where, "kind")
        parent = item.get("parent") or ""
        check.require(not parent or parent in substance_slugs, where, f"unknown parent substance {parent!r}")
        check.require(isinstance(item.get("synonyms", []), list), where, "synonyms must be a list")

    _unique(substances, "name", "substances.yaml", check, "name")
    for item in substances:
        fields = {k: item.get(k) or "" for k in ("name", "slug", "scientific_name", "kind", "summary")}
        for problem in _field_problems(Substance, fields):
            check.require(False, _where("substances.yaml", item), problem)
        check.require(item.get("parent") != item.get("slug"), _where("substances.yaml", item), "is its own parent")

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

    _unique(studies, "doi", "studies.yaml", check, "DOI")
    _unique(studies, "pmid", "studies.yaml", check, "PMID")
    study_fields = ("key", "title", "authors", "venue", "doi", "pmid", "pmcid", "url", "design", "population")
    for item in studies:
        fields = {k: item.get(k) if item.get(k) is not None else "" for k in study_fields}
        fields["year"] = item.get("year")
        for problem in _field_problems(Study, fields):
            check.require(False, _where("studies.yaml", item, "key"), problem)

    claim_slugs = set()
    former_slugs = set()
    _unique(claims, "statement", "claims.yaml", check, "statement")
    for item in claims:
        fields = {k: item.get(k) if item.get(k) is not None else "" for k in ("slug", "statement", "summary")}
        for problem in _field_problems(Claim, {**fields, "topic": "background"}):
            check.require(False, _where("claims.yaml", item), problem)
        for key in ("statement", "summary"):
            check.require(isinstance(item.get(key, ""), str), _where("claims.yaml", item), f"{key} must be text")
    for item in claims:
        where = _where("claims.yaml", item)
        check.require(item.get("slug") and item.get("statement"), where, "missing slug or statement")
        check.require(item.get("slug") not in claim_slugs, where, "duplicate slug")
        claim_slugs.add(item.get("slug"))
        check.choice(item.get("topic"), Topic, where, "topic")
        check.choice(item.get("verdict"), Verdict, where, "verdict")
        check.choice(item.get("certainty"), Certainty, where, "certainty")
        check.choice(item.get("polarity"), Polarity, where, "polarity")
        check.require((item.get("summary") or "").strip(), where, "missing summary")
        formerly = item.get("formerly") or []
        if check.require(isinstance(formerly, list), where, "formerly must be a list of slugs"):
            for old in formerly:
                check.require(isinstance(old, str) and slugify(old) == old, where, f"formerly: {old!r} is not a slug")
                check.require(old not in former_slugs, where, f"formerly: {old!r} is claimed by two claims")
                former_slugs.add(old)
        for slug in item.get("substances") or []:
            check.require(slug in substance_slugs, where, f"unknown substance {slug!r}")
        evidence = _dicts(item.get("evidence") or [], where, check)
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

    _unique(warnings, "title", "warnings.yaml", check, "title")
    for item in warnings:
        where = _where("warnings.yaml", item)
        fields = {k: item.get(k) if item.get(k) is not None else "" for k in ("slug", "title", "text")}
        for problem in _field_problems(Warning, {**fields, "severity": "low"}):
            check.require(False, where, problem)
        for key in ("title", "text"):
            check.require(isinstance(item.get(key, ""), str), where, f"{key} must be text")
        for key in ("slug", "title", "text"):
            check.require(item.get(key), where, f"missing {key}")
        check.choice(item.get("severity"), Severity, where, "severity")
        check.choice(item.get("certainty"), Certainty, where, "certainty")
        check.require(item.get("studies"), where, "no studies behind the warning")
        for key in item.get("studies") or []:
            check.require(key in study_keys, where, f"unknown study {key!r}")
        for slug in [*(item.get("claims") or []), *(item.get("mentioned_by") or [])]:
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
    article_notes = {}
    for path in sorted((directory / "passages").glob("*.yaml")):
        data = _read_yaml(path, check, expect=dict)
        file = f"passages/{path.name}"
        name = data.get("article")
        if not check.require(name in articles, file, f"unknown article {name!r}"):
            continue
        if not check.require(name not in passages, file, f"a second passage file for {name}"):
            continue
        note = data.get("reviewer_note") or ""
        check.require(isinstance(note, str), file, "reviewer_note must be text")
        article_notes[name] = str(note).strip()
        text = articles[name]
        placed = []
        for index, item in enumerate(_dicts(data.get("passages") or [], file, check), start=1):
            where = f"{file} [passage {index}: {str(item.get('quote', ''))[:40]!r}]"
            quote = item.get("quote") or ""
            if not check.require(isinstance(quote, str), where, "quote must be text"):
                continue
            if not check.require(
                item.get("start") is None or isinstance(item.get("start"), int), where, "start must be a number"
            ):
                continue
            if not check.require(len(str(item.get("note") or "")) <= 300, where, "note is longer than 300 characters"):
                continue
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
                fits_one_block(text, start, end), where, "quote is not inside one paragraph, heading or list item"
            )
            placed.append({**item, "start": start, "end": end, "where": where})
        placed.sort(key=lambda p: p["start"])
        for before, after in itertools.pairwise(placed):
            check.require(before["end"] <= after["start"], after["where"], f"overlaps {before['where']}")
        passages[name] = placed

    for slug in sorted(former_slugs & claim_slugs):
        check.require(False, f"claims.yaml [{slug}]", "this slug is also listed as another claim's former slug")

    used = {p["claim"] for items in passages.values() for p in items}
    for slug in sorted(claim_slugs - used):
        check.require(False, f"claims.yaml [{slug}]", "no passage in any article links to this claim")

    for item in unfound:
        where = _where("unfound_references.yaml", item, "citation")
        check.require(item.get("article") in articles, where, f"unknown article {item.get('article')!r}")
        check.require(item.get("claim") in claim_slugs, where, f"unknown claim {item.get('claim')!r}")
        check.require(str(item.get("searched") or "").strip(), where, "say what was searched")
        text = articles.get(item.get("article"), "")
        check.require(item.get("quote") and item["quote"] in text, where, "quote does not occur in the article")
        claim = next((c for c in claims if c.get("slug") == item.get("claim")), {})
        check.require(claim.get("verdict") == Verdict.UNVERIFIABLE, where, "its claim must be unverifiable")

    if check.problems:
        raise SeedError(check.problems)
    return SeedLibrary(substances, studies, claims, warnings, articles, passages, unfound, article_notes)


SEED_ACTOR = "seed-library"
SEED_TEXT_REASON = "Provided to the project as its seed material."
SEED_NOTE = "Loaded from the reviewed seed library (evidence/seed_library/)."


class _Writer:
    """Writes through the services as the system actor "seed-library".

    On a database no curator has touched, it creates what is missing and publishes it (the seed
    library was reviewed in its YAML). On a curated database, what it adds or (with ``update``)
    changes on public items becomes pending changes an editor approves; new items wait in review.
    What exists and differs from the files is a curator's edit: kept, unless ``update`` is set.
    """

    def __init__(self, update, curated):
        self.update = update
        self.curated = curated
        self.report = LoadReport()
        self.created = []  # reviewed items created by this load, to submit or publish at the end
        self.changed_claims = set()

    def sync(self, model, lookup, values, kind, m2m=None):
        m2m = m2m or {}
        obj = model.objects.filter(**lookup).first()
        direct = not self.curated
        if obj is None:
            outcome = services.library_save(
                obj=model(**lookup, **values), by=SEED_ACTOR, m2m=m2m, change_note=SEED_NOTE, direct=direct
            )
            self.report.note(kind, "pending" if outcome.staged else "created")
            if isinstance(outcome.obj, Reviewed) and not outcome.staged:
                self.created.append(outcome.obj)
            self._touched(outcome.obj)
            return outcome.obj
        changed = {name: value for name, value in values.items() if getattr(obj, name) != value}
        m2m_changed = {
            name: objects
            for name, objects in m2m.items()
            if {o.pk for o in getattr(obj, name).all()} != {o.pk for o in objects}
        }
        if not changed and not m2m_changed:
            self.report.note(kind, "unchanged")
        elif self.update or obj in self.created:
            outcome = services.library_save(
                obj=obj,
                by=SEED_ACTOR,
                values=changed,
                m2m=m2m_changed,
                change_note="Updated from the seed library.",
                direct=direct,
            )
            self.report.note(kind, "pending" if outcome.staged else "updated")
            self._touched(obj)
        else:
            self.report.note(kind, "kept")
            self.report.kept_items.append(f"{kind}: {obj}")
        return obj

    def drop_unlisted(self, rows, kind):
        """With ``update``, remove rows the seed library made that its files no longer list.

        Rows a person created are never removed: they are curators' work, not the files'.
        """
        if not self.update:
            return
        for row in rows:
            first = row.history.order_by("history_date", "history_id").first()
            if first is None or first.history_user_id is not None:
                continue
            outcome = services.library_delete(
                obj=row, by=SEED_ACTOR, change_note="Removed from the seed library.", direct=not self.curated
            )
            self.report.note(kind, "pending" if outcome.staged else "removed")
            self._touched(row)

    def _touched(self, obj):
        claim_id = obj.pk if isinstance(obj, Claim) else getattr(obj, "claim_id", None)
        if claim_id:
            self.changed_claims.add(claim_id)

    def finish(self):
        """Send what this load created to review, and on an uncurated database publish it."""
        order = [Substance, Study, SourceArticle, Warning, Claim]  # claims last: their versions show the rest
        for model in order:
            for obj in (o for o in self.created if isinstance(o, model)):
                services.status_change(obj=obj, status=Status.IN_REVIEW, by=SEED_ACTOR)
                if not self.curated:
                    services.status_change(obj=obj, status=Status.PUBLISHED, by=SEED_ACTOR, note=SEED_NOTE)
        if not self.curated:
            created = {o.pk for o in self.created if isinstance(o, Claim)}
            for claim in Claim.objects.filter(pk__in=self.changed_claims - created, status=Status.PUBLISHED):
                services.claim_version_record(claim=claim, by=SEED_ACTOR, note="Seed library correction (--update).")


@transaction.atomic
def seed_library_load(*, directory=SEED_DIR, dry_run=False, update=False):
    """Validate and load the seed library; with ``dry_run`` validate only.

    Missing items are created and published. Items that exist but differ from the files are kept
    as curators left them unless ``update`` is set; their status is never changed.
    """
    library = read_library(directory)
    curated = library_is_curated()
    writer = _Writer(update, curated=curated)
    if dry_run:
        return writer.report
    with nullcontext() if curated else system_writes(SEED_ACTOR):
        _load(library, writer)
    return writer.report


def _load(library, writer):
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
        substances[item["slug"]] = writer.sync(Substance, {"slug": item["slug"]}, values, "substances")

    studies = {}
    text_fields = ("title", "authors", "venue", "doi", "pmid", "pmcid", "url", "design", "population")
    text_fields += ("sample_size", "finding", "verified_on", "notes")
    for item in library.studies:
        values = {name: (item.get(name) if item.get(name) is not None else "") for name in text_fields}
        values.update(
            year=item.get("year"),
            title_is_descriptive=bool(item.get("title_is_descriptive")),
            authors_confirmed=bool(item.get("authors_confirmed", True)),
            is_verified=True,
        )
        studies[item["key"]] = writer.sync(Study, {"key": item["key"]}, values, "studies")

    claims = {}
    for item in library.claims:
        values = {
            "statement": item["statement"].strip(),
            "topic": item["topic"],
            "verdict": item["verdict"],
            "certainty": item["certainty"],
            "polarity": item["polarity"],
            "summary": item["summary"].strip(),
        }
        m2m = {"substances": [substances[s] for s in item.get("substances") or []]}
        lookup = {"slug": item["slug"]}
        formerly = item.get("formerly") or []
        if formerly and not Claim.objects.filter(**lookup).exists():
            renamed = Claim.objects.filter(slug__in=formerly).first()
            if renamed is not None:  # the claim under its old address: rename it, keeping its history
                lookup, values = {"slug": renamed.slug}, {**values, "slug": item["slug"]}
        claim = writer.sync(Claim, lookup, values, "claims", m2m)
        for old in formerly:
            services.slug_redirect_save(
                model=Claim,
                old_slug=old,
                new_slug=item["slug"],
                by=SEED_ACTOR,
                reason="Split or reworded in the seed library.",
            )
        for row in item.get("evidence") or []:
            writer.sync(
                Evidence,
                {"claim": claim, "study": studies[row["study"]]},
                {"direction": row["direction"], "note": (row.get("note") or "").strip()},
                "evidence",
            )
        listed = [studies[row["study"]].pk for row in item.get("evidence") or []]
        writer.drop_unlisted(Evidence.objects.filter(claim=claim).exclude(study__in=listed), "evidence")
        claims[item["slug"]] = claim

    articles = {}
    for name, text in library.articles.items():
        result = services.article_import(text=text, source_name=name, by=SEED_ACTOR)
        articles[name] = result.article
        writer.report.note("articles", "created" if result.created else "unchanged")
        if result.created:
            writer.created.append(result.article)
        note = library.article_notes.get(name, "")
        if note or result.article.reviewer_note:
            writer.sync(SourceArticle, {"pk": result.article.pk}, {"reviewer_note": note}, "article notes")
        # The seed articles were given to the project to review: readers may see them whole.
        shown = {"full_text_shown": True, "full_text_reason": SEED_TEXT_REASON}
        writer.sync(SourceArticle, {"pk": result.article.pk}, shown, "article display rights")

    for name, items in library.passages.items():
        article = articles[name]
        # Passages the seed library made and its files no longer list go first (with --update), so
        # that a corrected passage may take their place in the text.
        dropped = Passage.objects.filter(article=article).exclude(start__in=[item["start"] for item in items])
        writer.drop_unlisted(dropped, "passages")
        wanted = set()
        for item in items:
            placed = services.placement_values(article=article, quote=item["quote"], start=item["start"])
            values = {
                "claim": claims[item["claim"]],
                "quote": item["quote"],
                "end": placed["end"],
                "prefix": placed["prefix"],
                "suffix": placed["suffix"],
                "wording": item["wording"],
                "wording_note": (item.get("note") or "").strip(),
            }
            passage = writer.sync(Passage, {"article": article, "start": item["start"]}, values, "passages")
            wanted.add(passage.pk)
        extra = Passage.objects.filter(article=article).exclude(pk__in=wanted)
        writer.report.extra_passages += [f"{name}: {p}" for p in extra]

    for item in library.warnings:
        values = {
            "title": item["title"],
            "severity": item["severity"],
            "certainty": item["certainty"],
            "text": item["text"].strip(),
        }
        m2m = {
            "substances": [substances[s] for s in item.get("substances") or []],
            "studies": [studies[k] for k in item.get("studies") or []],
            "claims": [claims[s] for s in item.get("claims") or []],
            "mentioned_by": [claims[s] for s in item.get("mentioned_by") or []],
        }
        writer.sync(Warning, {"slug": item["slug"]}, values, "warnings", m2m)

    for item in library.unfound:
        lookup = {"article": articles[item["article"]], "claim": claims[item["claim"]], "citation": item["citation"]}
        writer.sync(UnfoundReference, lookup, {"searched": item["searched"].strip()}, "unfound references")
    writer.finish()
