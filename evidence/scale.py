"""A synthetic library at scale, for measuring how pages behave as the library grows (issue 14).

``generate_library`` (the management command) calls ``generate``: substances, studies, claims,
evidence, articles with passages, warnings and each public claim's first review version, written
with bulk inserts as the system actor "scale-generator", in one transaction.

What it writes is obviously synthetic and never passes for curated content:

- articles come from ``generated:article-NNNNNN.txt``, at ``https://articles.example/…`` (a reserved
  domain), by authors named "… Example";
- studies are titled "Synthetic study NNNNNN: …", carry no PMID and a DOI only under the reserved
  test prefix ``10.5555/`` (``10.5555/kratomref-scale.N``), and say in their notes that they are not real;
- summaries and notes say the item is synthetic.

It satisfies every model rule: each passage's quote is exactly ``text[start:end]`` inside one
paragraph, with its prefix and suffix from ``context_around``; each article text parses as a seed-format
article and ``content_hash`` is its ``text_hash``; published claims have a summary, published studies
are verified with an identifier. Word frequencies follow a Zipf-like law, with "kratom" the most
common term, so search meets both ubiquitous and selective terms.

Bulk inserts skip ``save()``: no per-row history is written (only the eight substances are saved one
by one), and the change hook is announced once
at the end (``library_changed``, which moves ``content_version()``). PostgreSQL fills the search
vectors itself (generated columns, migration 0003).

The same seed gives the same library (statements, texts, offsets, grades); only timestamps follow
the clock (publication dates spread over the three years before the run).
"""

import bisect
import datetime
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, reset_queries, transaction
from django.utils import timezone
from django.utils.text import slugify

from evidence.links import url_key
from evidence.models import (
    ChangeRequest,
    Claim,
    ClaimVersion,
    Evidence,
    Passage,
    SourceArticle,
    Status,
    Study,
    Substance,
    UnfoundReference,
    Warning,
    add_months,
    text_hash,
)
from evidence.models.choices import (
    Certainty,
    Direction,
    Polarity,
    Population,
    Severity,
    StudyDesign,
    Topic,
    Verdict,
    Wording,
)
from evidence.search import rebuild_library_words
from evidence.services.versions import SNAPSHOT_FORMAT
from evidence.signals import announce_library_change
from evidence.text import context_around, parse_article

ACTOR = "scale-generator"
SOURCE_PREFIX = "generated:"
DOI_PREFIX = "10.5555/kratomref-scale."
CLAIM_MARK = "Synthetic review."
WARNING_MARK = "Synthetic warning text."
SUBSTANCE_MARK = "a synthetic entry of the generated load-testing library"
FULL_TEXT_REASON = "Synthetic text written by generate_library for load testing."
VERSION_NOTE = "Synthetic library made by generate_library for load testing; not reviewed content."
BATCH = 2000

# --- sizes -------------------------------------------------------------------------------------------


class SizeError(ValueError):
    """The sizes asked for cannot make a valid library."""


@dataclass(frozen=True)
class Sizes:
    claims: int
    articles: int
    studies: int
    evidence: int
    warnings: int
    heavy_articles: int
    passages_per_article: int = 10
    heavy_passages: int = 50

    @classmethod
    def for_claims(cls, claims, **given):
        """Sizes in the proportions of the issue's library (100k claims: 10k articles of which 200
        have 50 passages, 50k studies, 300k evidence rows, 500 warnings); ``given`` overrides."""
        given = {name: value for name, value in given.items() if value is not None}
        articles = given.get("articles", max(1, claims // 10))
        sizes = {
            "claims": claims,
            "articles": articles,
            "studies": max(1, claims // 2),
            "evidence": 3 * claims,
            "warnings": max(1, claims // 200),
            "heavy_articles": articles // 50 if articles >= 50 else min(1, articles),
        }
        sizes.update(given)
        result = cls(**sizes)
        result.check()
        return result

    def check(self):
        for name in ("claims", "articles", "studies"):
            if getattr(self, name) < 1:
                raise SizeError(f"--{name} must be at least 1.")
        for name in ("evidence", "warnings", "heavy_articles"):
            if getattr(self, name) < 0:
                raise SizeError(f"--{name.replace('_', '-')} cannot be negative.")
        if self.heavy_articles > self.articles:
            raise SizeError("--heavy-articles cannot exceed --articles.")
        if self.evidence > self.claims * min(self.studies, 20):
            raise SizeError("--evidence allows at most 20 studies per claim (and no more than --studies).")
        if self.claims > 5_000_000:
            raise SizeError("--claims is limited to 5,000,000.")


# --- vocabulary ----------------------------------------------------------------------------------------


class Zipf:
    """Pick items with weight 1 / rank**s: the first item is the most common."""

    def __init__(self, items, s=1.0):
        self.items = list(items)
        self.cum = list(itertools.accumulate(1 / (rank**s) for rank in range(1, len(self.items) + 1)))

    def pick(self, rng):
        return self.items[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


def weighted(pairs):
    values, weights = zip(*pairs, strict=True)
    return values, list(itertools.accumulate(weights))


def choose(rng, table):
    values, cum = table
    return values[bisect.bisect(cum, rng.random() * cum[-1])]


# Terms in order of frequency: kratom first, then the words articles about it use most.
TERMS = Zipf(
    [
        "kratom",
        "pain",
        "dose",
        "opioid",
        "withdrawal",
        "mitragynine",
        "liver",
        "energy",
        "anxiety",
        "7-hydroxymitragynine",
        "dependence",
        "sleep",
        "tea",
        "powder",
        "capsules",
        "alkaloids",
        "tolerance",
        "mood",
        "nausea",
        "focus",
        "leaf",
        "constipation",
        "receptors",
        "fatigue",
        "extract",
        "depression",
        "seizures",
        "blood pressure",
        "heart rate",
        "kidney",
        "overdose",
        "interaction",
        "alcohol",
        "caffeine",
        "benzodiazepines",
        "methadone",
        "buprenorphine",
        "Thailand",
        "Malaysia",
        "Indonesia",
        "red vein",
        "green vein",
        "white vein",
        "gummies",
        "tincture",
        "speciogynine",
        "paynantheine",
        "speciociliatine",
        "corynantheidine",
        "mitraphylline",
        "hepatotoxicity",
        "jaundice",
        "itching",
        "weight loss",
        "appetite",
        "sweating",
        "insomnia",
        "restlessness",
        "irritability",
        "cravings",
        "relapse",
        "chronic pain",
        "back pain",
        "arthritis",
        "fibromyalgia",
        "migraine",
        "inflammation",
        "muscle soreness",
        "endurance",
        "libido",
        "hormones",
        "testosterone",
        "thyroid",
        "cytochrome P450",
        "CYP3A4",
        "CYP2D6",
        "half-life",
        "metabolism",
        "bioavailability",
        "plasma levels",
        "urine tests",
        "drug screening",
        "poison centres",
        "emergency visits",
        "case reports",
        "surveys",
        "clinical trials",
        "animal studies",
        "cell studies",
        "FDA",
        "DEA",
        "scheduling",
        "import alerts",
        "labelling",
        "contamination",
        "salmonella",
        "heavy metals",
        "adulteration",
        "purity",
        "potency",
        "serotonin",
        "adrenergic",
        "dopamine",
        "respiratory depression",
        "bradycardia",
        "tachycardia",
        "arrhythmia",
        "QT prolongation",
        "cholestasis",
        "hepatitis",
        "rhabdomyolysis",
        "hyponatremia",
        "psychosis",
        "hallucinations",
        "neonatal abstinence",
        "pregnancy",
        "breastfeeding",
        "adolescents",
        "older adults",
        "veterans",
        "athletes",
        "shift workers",
        "farmers",
        "traditional use",
        "folk medicine",
        "ketum",
        "biak",
        "kakuam",
        "Mitragyna speciosa",
        "Rubiaceae",
        "coffee family",
        "indole alkaloids",
        "naloxone",
        "kappa receptors",
        "mu receptors",
        "delta receptors",
        "analgesia",
        "euphoria",
        "sedation",
        "stimulation",
        "microdosing",
        "tapering",
        "harm reduction",
        "naltrexone",
        "gabapentin",
        "modafinil",
        "quetiapine",
        "tramadol",
        "oxycodone",
        "fentanyl",
        "heroin",
        "loperamide",
        "phenibut",
        "kava",
        "cannabis",
        "CBD",
        "nicotine",
    ],
    s=1.0,
)
SUBJECTS = Zipf(
    [
        "Kratom",
        "Mitragynine",
        "Kratom tea",
        "7-hydroxymitragynine",
        "Kratom powder",
        "Regular kratom use",
        "A high dose of kratom",
        "Kratom extract",
        "A low dose of kratom",
        "A kratom capsule",
        "Red vein kratom",
        "Speciogynine",
        "Paynantheine",
        "Daily kratom use",
        "Stopping kratom",
        "Corynantheidine",
        "Speciociliatine",
        "A kratom gummy",
    ],
    s=1.1,
)
VERBS = Zipf(
    [
        "relieves",
        "causes",
        "reduces",
        "is linked to",
        "eases",
        "can lead to",
        "worsens",
        "may help with",
        "increases",
        "lowers",
        "does not affect",
        "prevents",
        "interacts with",
        "is associated with",
        "masks",
        "triggers",
    ],
    s=0.8,
)
OBJECTS = Zipf(
    [
        "chronic pain",
        "opioid withdrawal",
        "anxiety",
        "dependence",
        "liver injury",
        "fatigue",
        "sleep problems",
        "low mood",
        "muscle soreness",
        "nausea",
        "constipation",
        "seizures",
        "high blood pressure",
        "alcohol cravings",
        "tolerance",
        "poor focus",
        "depression",
        "inflammation",
        "appetite loss",
        "weight loss",
        "a fast heart rate",
        "respiratory depression",
        "itching",
        "jaundice",
        "restless legs",
        "migraine",
        "back pain",
        "arthritis pain",
        "fibromyalgia",
        "low libido",
        "low testosterone",
        "hypothyroidism",
        "psychosis",
        "hallucinations",
        "kidney injury",
        "cholestasis",
        "QT prolongation",
        "rhabdomyolysis",
        "hyponatremia",
        "neonatal abstinence",
    ],
    s=0.9,
)
POPULATIONS = Zipf(
    [
        "in adults",
        "in long-term users",
        "in people with chronic pain",
        "in people who use opioids",
        "in rats",
        "in mice",
        "in older adults",
        "in healthy volunteers",
        "in daily users",
        "at doses under 5 grams",
        "at high doses",
        "within days of stopping",
        "over several weeks",
        "in women",
        "in men",
        "in veterans",
        "in athletes",
        "in shift workers",
        "in adolescents",
        "during pregnancy",
    ],
    s=0.8,
)
QUALIFIERS = Zipf(
    [
        "",
        " when taken with alcohol",
        " compared with placebo",
        " when combined with benzodiazepines",
        " according to user surveys",
        " as a tea",
        " in capsule form",
        " compared with methadone",
        " compared with buprenorphine",
        " when taken on an empty stomach",
        " when mixed with caffeine",
        " in traditional use",
        " after a single dose",
        " at a steady daily dose",
    ],
    s=0.7,
)
FILLER = [
    "Many readers ask about {a} and {b}.",
    "Research on {a} is still limited, especially where {b} is concerned.",
    "Vendors often describe {a} as a remedy for {b}.",
    "Some users report {a} after a change in {b}.",
    "The question of {a} matters for anyone considering {b}.",
    "Reports of {a} tend to mention {b} as well.",
    "Guides to {a} rarely explain how {b} was measured.",
    "Forum posts link {a} with {b}, though the reasons are unclear.",
    "Doctors asked about {a} often want to know about {b} first.",
    "A common pattern is {a} followed by questions about {b}.",
    "Articles like this one mention {a} far more often than {b}.",
    "Experiences with {a} vary, and so do accounts of {b}.",
    "Before trying {a}, people tend to read about {b}.",
    "Little is known about how {a} relates to {b} over time.",
]
LEADS = [
    "{s}.",
    "Research suggests that {l}.",
    "Many users say that {l}.",
    "It is well established that {l}.",
    "Some experts believe that {l}.",
    "There is growing evidence that {l}.",
]
HEADINGS = [
    "What Is {A}?",
    "How {A} Works",
    "{A} and {B}",
    "What the Research Says About {A}",
    "Dosage and {A}",
    "Risks of {A}",
    "{A}: Benefits and Side Effects",
    "Who Should Avoid {A}?",
    "Using {A} Safely",
    "The Science Behind {A}",
    "{A} Compared With {B}",
    "Common Questions About {A}",
    "Stories From {A} Users",
    "Legal Status of {A}",
]
TITLES = [
    "{S} for {O}: What the Evidence Says",
    "Can {S} Help With {O}?",
    "{S} and {O}: A Complete Guide",
    "The Truth About {S} and {O}",
    "{S}, {O} and Safety",
    "Everything You Need to Know About {S} and {O}",
]
FIRST_NAMES = ["Alex", "Jordan", "Sam", "Robin", "Casey", "Morgan", "Taylor", "Jamie", "Riley", "Avery", "Quinn"]
AUTHOR_ROLES = [
    "is a freelance writer with years of experience covering herbal supplements.",
    "is a certified wellness coach who writes about natural remedies.",
    "has written about plant medicine for a decade.",
    "holds a degree in nutrition and writes for several wellness sites.",
]

SUBSTANCES = [
    # (slug, name, kind, parent slug, synonyms): real names, summaries marked synthetic.
    ("kratom", "Kratom", "plant", "", ["ketum", "biak", "kakuam"]),
    ("mitragynine", "Mitragynine", "alkaloid", "kratom", ["MG"]),
    ("7-hydroxymitragynine", "7-Hydroxymitragynine", "metabolite", "mitragynine", ["7-OH"]),
    ("speciogynine", "Speciogynine", "alkaloid", "kratom", []),
    ("paynantheine", "Paynantheine", "alkaloid", "kratom", []),
    ("speciociliatine", "Speciociliatine", "alkaloid", "kratom", []),
    ("corynantheidine", "Corynantheidine", "alkaloid", "kratom", []),
    ("mitraphylline", "Mitraphylline", "alkaloid", "kratom", []),
]
SUBSTANCE_OF_SUBJECT = {
    "Mitragynine": "mitragynine",
    "7-hydroxymitragynine": "7-hydroxymitragynine",
    "Speciogynine": "speciogynine",
    "Paynantheine": "paynantheine",
    "Speciociliatine": "speciociliatine",
    "Corynantheidine": "corynantheidine",
}

CLAIM_STATUS = weighted([(Status.PUBLISHED, 94), (Status.DRAFT, 3), (Status.IN_REVIEW, 2), (Status.WITHDRAWN, 1)])
ITEM_STATUS = weighted([(Status.PUBLISHED, 97), (Status.DRAFT, 2), (Status.IN_REVIEW, 1)])
VERDICTS = weighted(
    [
        (Verdict.INSUFFICIENT, 35),
        (Verdict.MIXED, 20),
        (Verdict.SUPPORTED, 15),
        (Verdict.CONTRADICTED, 25),
        (Verdict.UNVERIFIABLE, 5),
    ]
)
CERTAINTIES = weighted([(Certainty.VERY_LOW, 40), (Certainty.LOW, 35), (Certainty.MODERATE, 20), (Certainty.HIGH, 5)])
POLARITIES = weighted([(Polarity.BENEFIT, 40), (Polarity.HARM, 40), (Polarity.NEUTRAL, 20)])
TOPICS = weighted(
    [(topic, weight) for topic, weight in zip(Topic.values, [10, 25, 10, 25, 10, 6, 8, 3, 3], strict=True)]
)
DIRECTIONS = weighted(
    [(Direction.SUPPORTS, 40), (Direction.CONTRADICTS, 25), (Direction.MIXED, 15), (Direction.NEUTRAL, 20)]
)
WORDINGS = weighted(
    [(Wording.ACCURATE, 70), (Wording.OVERSTATED, 22), (Wording.UNDERSTATED, 4), (Wording.MISREPRESENTED, 4)]
)
DESIGNS = weighted(
    [
        (design, weight)
        for design, weight in zip(StudyDesign.values, [8, 3, 10, 3, 15, 14, 5, 6, 8, 2, 12, 8, 3, 2, 1], strict=True)
    ]
)
POPULATION_OF_DESIGN = {
    StudyDesign.ANIMAL: Population.ANIMALS,
    StudyDesign.IN_VITRO: Population.CELLS,
    StudyDesign.REGULATORY: Population.NONE,
    StudyDesign.GUIDELINE: Population.NONE,
}
SEVERITIES = weighted([(Severity.LOW, 30), (Severity.MODERATE, 45), (Severity.HIGH, 25)])


def lower_first(sentence):
    first = sentence.split(" ", 1)[0]
    return sentence if len(first) > 1 and first.isupper() else sentence[:1].lower() + sentence[1:]


def title_case(phrase):
    return " ".join(word[:1].upper() + word[1:] for word in phrase.split(" "))


# --- the generator -------------------------------------------------------------------------------------


class LibraryNotEmpty(Exception):
    """The database already holds library content; the generator writes only into an empty library."""


def library_content_counts():
    """How many rows of library content the database holds, per kind (only kinds with rows)."""
    models = [Substance, SourceArticle, Claim, Study, Evidence, Passage, Warning, UnfoundReference, ChangeRequest]
    counts = {model._meta.verbose_name_plural: model.objects.count() for model in models}
    return {name: count for name, count in counts.items() if count}


def generated_only():
    """Whether every item present carries this generator's marks and no person has worked on it."""
    from evidence.services.workflow import library_is_curated

    return not (
        SourceArticle.objects.exclude(source_name__startswith=SOURCE_PREFIX).exists()
        or Study.objects.exclude(doi__startswith=DOI_PREFIX).exists()
        or Claim.objects.exclude(summary__startswith=CLAIM_MARK).exists()
        or Warning.objects.exclude(text__startswith=WARNING_MARK).exists()
        or Substance.objects.exclude(summary__contains=SUBSTANCE_MARK).exists()
        or library_is_curated()
    )


def refuse_unless_empty():
    counts = library_content_counts()
    if not counts:
        return
    held = ", ".join(f"{count} {name}" for name, count in counts.items())
    if generated_only():
        raise LibraryNotEmpty(
            f"This database already holds a generated library ({held}). Generate into a new, migrated "
            "database (e.g. createdb, then migrate) instead."
        )
    raise LibraryNotEmpty(
        f"This database holds curated library content ({held}); generate_library never writes next to it. "
        "Use a new, migrated database."
    )


class Generator:
    """Builds the library stage by stage; ``progress`` is called with (stage, rows written)."""

    def __init__(self, sizes, seed, progress=None):
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.progress = progress or (lambda stage, rows: None)
        self.now = timezone.now()
        self.counts = {}

    # -- helpers
    def when(self):
        """A moment in the three years before the run, seconds precision."""
        return self.now - datetime.timedelta(seconds=self.rng.randrange(3 * 365 * 86400))

    def filler(self):
        return self.rng.choice(FILLER).format(a=TERMS.pick(self.rng), b=TERMS.pick(self.rng))

    def insert(self, model, rows, stage):
        written = []
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            written += model.objects.bulk_create(batch, batch_size=BATCH)
            reset_queries()  # with DEBUG on, Django would keep every bulk INSERT's SQL in memory
            self.progress(stage, len(batch))
        return written

    def through(self, field, pairs, stage):
        """Bulk-insert many-to-many links ``(from_pk, to_pk)`` of ``field`` (e.g. Claim.substances)."""
        through = field.remote_field.through
        source = field.m2m_field_name() + "_id"
        target = field.m2m_reverse_field_name() + "_id"
        rows = [through(**{source: a, target: b}) for a, b in pairs]
        self.insert(through, rows, stage)

    def reviewed(self, status, schedule=False):
        """Workflow fields of an item with ``status``, as the workflow would have left them."""
        values = {"status": status}
        if status in (Status.PUBLISHED, Status.WITHDRAWN):
            published = self.when()
            values.update(published_at=published, first_published_at=published)
            if schedule:
                values.update(last_reviewed_at=published, next_review_due=add_months(published.date(), 12))
        return values

    # -- stages
    def run(self):
        refuse_unless_empty()
        with transaction.atomic():
            self.substances()
            self.studies()
            self.claims()
            self.evidence()
            self.articles()
            self.warnings()
            self.versions()
            rebuild_library_words()  # "Did you mean" draws on every statement's words
            announce_library_change(Claim.objects.order_by("pk").first())
        self.analyze()
        return self.counts

    def analyze(self):
        """On PostgreSQL, VACUUM ANALYZE every table written: after a bulk load the planner would
        otherwise plan for empty tables, and every first read would set the rows' hint bits and find
        no visibility map (no index-only scans), until autovacuum gets round to them (never, where
        it is off). The library is then measured as a settled production database would be."""
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            return
        models = [Substance, Study, Claim, Evidence, SourceArticle, Passage, Warning, ClaimVersion]
        tables = {model._meta.db_table for model in models}
        tables |= {Claim.substances.through._meta.db_table}
        tables |= {
            getattr(Warning, name).through._meta.db_table
            for name in ("claims", "mentioned_by", "substances", "studies")
        }
        with connection.cursor() as cursor:
            for table in sorted(tables):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")

    def substances(self):
        rows, by_slug = [], {}
        for slug, name, kind, parent, synonyms in SUBSTANCES:
            row = Substance(
                slug=slug,
                name=name,
                kind=kind,
                synonyms=synonyms,
                summary=f"{name}: {SUBSTANCE_MARK} (generate_library).",
                parent=by_slug.get(parent),
                **self.reviewed(Status.PUBLISHED),
            )
            row.save()  # eight rows, each may point at one saved before it
            by_slug[slug] = row
            rows.append(row)
        self.substance_pk = {slug: row.pk for slug, row in by_slug.items()}
        self.substance_info = {row.pk: {"slug": row.slug, "name": row.name} for row in rows}
        self.counts["substances"] = len(rows)
        self.progress("substances", len(rows))

    def studies(self):
        rng, rows = self.rng, []
        for n in range(1, self.sizes.studies + 1):
            design = choose(rng, DESIGNS)
            population = POPULATION_OF_DESIGN.get(design, Population.HUMANS)
            status = choose(rng, ITEM_STATUS)
            about = f"{OBJECTS.pick(rng)} and {TERMS.pick(rng)}"
            rows.append(
                Study(
                    key=f"synthetic-study-{n:06d}",
                    title=f"Synthetic study {n:06d}: {StudyDesign(design).label.lower()} of {about}",
                    title_is_descriptive=True,
                    authors="",
                    authors_confirmed=False,
                    venue="KratomRef synthetic data",
                    year=min(2025, 1995 + int(31 * rng.random() ** 0.5)),
                    doi=f"{DOI_PREFIX}{n}",
                    design=design,
                    population=population,
                    sample_size=f"{rng.randrange(8, 4000)} participants" if population == Population.HUMANS else "",
                    finding=f"Synthetic finding: {self.filler()}",
                    is_verified=status == Status.PUBLISHED,
                    notes="Generated by generate_library for load testing; not a real study.",
                    **self.reviewed(status),
                )
            )
        written = self.insert(Study, rows, "studies")
        self.study_pks = [row.pk for row in written]
        self.counts["studies"] = len(written)

    def claims(self):
        rng, rows, seen, slugs = self.rng, [], set(), set()
        self.claim_subjects = []
        for n in range(1, self.sizes.claims + 1):
            for _attempt in range(50):
                subject = SUBJECTS.pick(rng)
                statement = f"{subject} {VERBS.pick(rng)} {OBJECTS.pick(rng)} {POPULATIONS.pick(rng)}"
                statement += QUALIFIERS.pick(rng)
                if statement not in seen:
                    break
            else:  # the phrase space is crowded at this size: a numbered variant stays unique
                statement = f"{statement} (variant {n})"
            seen.add(statement)
            slug = slugify(statement)[:110].rstrip("-")
            if slug in slugs:
                slug = f"{slug[:100]}-{n}"
            slugs.add(slug)
            status = choose(rng, CLAIM_STATUS)
            rows.append(
                Claim(
                    slug=slug,
                    statement=statement,
                    topic=choose(rng, TOPICS),
                    verdict=choose(rng, VERDICTS),
                    certainty=choose(rng, CERTAINTIES),
                    polarity=choose(rng, POLARITIES),
                    summary=f"{CLAIM_MARK} {self.filler()} {self.filler()}",
                    **self.reviewed(status, schedule=True),
                )
            )
            self.claim_subjects.append(subject)
        written = self.insert(Claim, rows, "claims")
        self.claim_rows = [(row.pk, row.statement, row.status) for row in written]
        pairs = []
        for (pk, _statement, _status), subject in zip(self.claim_rows, self.claim_subjects, strict=True):
            slugs_of = {"kratom"} if rng.random() < 0.85 or subject not in SUBSTANCE_OF_SUBJECT else set()
            if subject in SUBSTANCE_OF_SUBJECT:
                slugs_of.add(SUBSTANCE_OF_SUBJECT[subject])
            if rng.random() < 0.1:
                slugs_of.add(rng.choice(SUBSTANCES)[0])
            pairs += [(pk, self.substance_pk[slug]) for slug in sorted(slugs_of)]
        self.through(Claim._meta.get_field("substances"), pairs, "claim substances")
        self.counts["claims"] = len(written)
        self.counts["claim substances"] = len(pairs)

    def evidence(self):
        rng, studies = self.rng, self.study_pks
        per_claim = self.sizes.evidence / self.sizes.claims
        most = min(len(studies), 20)
        rows, total = [], 0
        for pk, _statement, _status in self.claim_rows:
            # Around the mean, and popular studies (reviews, big surveys) cited far more than others.
            wanted = min(most, max(0, round(per_claim * 2 * rng.random())))
            chosen = set()
            while len(chosen) < wanted:
                chosen.add(studies[int(len(studies) * rng.random() ** 2)])
            for study in sorted(chosen):
                rows.append(Evidence(claim_id=pk, study_id=study, direction=choose(rng, DIRECTIONS)))
            if len(rows) >= BATCH * 5:
                total += len(self.insert(Evidence, rows, "evidence"))
                rows = []
        total += len(self.insert(Evidence, rows, "evidence"))
        self.counts["evidence"] = total

    def article_text(self, n, passages, heavy):
        """A seed-format article: summary, introduction, contents, sections, sometimes an author
        note; ``passages`` claim sentences placed in body paragraphs. Returns (title, text, placed)
        where placed is [(claim index, start, quote)]."""
        rng = self.rng
        sections = rng.randint(10, 13) if heavy else rng.randint(4, 6)
        subject, obj = SUBJECTS.pick(rng), OBJECTS.pick(rng)
        title = rng.choice(TITLES).format(S=subject, O=title_case(obj))
        headings = [title]
        while len(headings) < sections:
            heading = rng.choice(HEADINGS).format(A=title_case(TERMS.pick(rng)), B=title_case(TERMS.pick(rng)))
            if heading not in headings:
                headings.append(heading)
        body = []  # per section: per paragraph: list of sentences (None marks a passage slot)
        for _section in headings:
            paragraphs = [[self.filler() for _ in range(rng.randint(3, 6))] for _ in range(rng.randint(2, 4))]
            body.append(paragraphs)
        slots = [(s, p, i) for s, section in enumerate(body) for p, par in enumerate(section) for i in range(len(par))]
        for s, p, i in rng.sample(slots, min(len(passages), len(slots))):
            body[s][p][i] = None
        claim_iter = iter(passages)

        lines = [
            " ".join(self.filler() for _ in range(3)),
            " ".join(self.filler() for _ in range(3)),
            *(f"- {heading}" for heading in headings),
        ]
        placed = []
        position = sum(len(line) + 1 for line in lines)
        for heading, paragraphs in zip(headings, body, strict=True):
            lines.append(heading)
            position += len(heading) + 1
            for paragraph in paragraphs:
                parts, offset = [], position
                for sentence in paragraph:
                    if sentence is None:
                        claim = next(claim_iter)
                        statement = self.claim_rows[claim][1]
                        sentence = rng.choice(LEADS).format(s=statement, l=lower_first(statement))
                        placed.append((claim, offset, sentence))
                    parts.append(sentence)
                    offset += len(sentence) + 1
                line = " ".join(parts)
                lines.append(line)
                position += len(line) + 1
        if rng.random() < 0.5:
            lines += ["About the Author", f"{rng.choice(FIRST_NAMES)} Example {rng.choice(AUTHOR_ROLES)}"]
        return title, "\n".join(lines), placed

    def articles(self):
        rng, sizes = self.rng, self.sizes
        claims = len(self.claim_rows)
        heavy = set(rng.sample(range(sizes.articles), sizes.heavy_articles))
        # Every claim appears in some article before any appears twice (while passages last).
        order = list(range(claims))
        rng.shuffle(order)
        cycle = itertools.cycle(order)
        slugs, hashes = set(), set()
        self.article_info = {}
        total_passages = 0
        pending = []

        def flush():
            nonlocal pending, total_passages
            written = self.insert(SourceArticle, [article for article, _ in pending], "articles")
            rows = []
            for article, (_, placed) in zip(written, pending, strict=True):
                self.article_info[article.pk] = {"slug": article.slug, "title": article.title, "status": article.status}
                for claim, start, quote in placed:
                    wording = choose(rng, WORDINGS)
                    prefix, suffix = context_around(article.text, start, start + len(quote), Passage.CONTEXT_LENGTH)
                    rows.append(
                        Passage(
                            article_id=article.pk,
                            claim_id=self.claim_rows[claim][0],
                            quote=quote,
                            start=start,
                            end=start + len(quote),
                            prefix=prefix,
                            suffix=suffix,
                            wording=wording,
                            wording_note=""
                            if wording == Wording.ACCURATE
                            else f"Synthetic note: the article's wording is {Wording(wording).label.lower()}.",
                        )
                    )
            total_passages += len(self.insert(Passage, rows, "passages"))
            pending = []

        for n in range(sizes.articles):
            count = (
                sizes.heavy_passages
                if n in heavy
                else rng.randint(max(1, sizes.passages_per_article - 5), sizes.passages_per_article + 5)
            )
            count = min(count, claims) if n not in heavy else count
            claim_indexes = [next(cycle) for _ in range(count)]
            title, text, placed = self.article_text(n, claim_indexes, n in heavy)
            digest = text_hash(text)
            if digest in hashes:  # never seen in practice; a repeated text would break a unique rule
                raise RuntimeError("Two generated articles have the same text; try another seed.")
            hashes.add(digest)
            slug = slugify(title)[:100].rstrip("-")
            if slug in slugs:
                slug = f"{slug}-{n + 1}"
            slugs.add(slug)
            status = choose(rng, ITEM_STATUS)
            structure = parse_article(text)  # also proves the text is a seed-format article
            article = SourceArticle(
                title=title[:300],
                slug=slug,
                source_name=f"{SOURCE_PREFIX}article-{n + 1:06d}.txt",
                original_url=f"https://articles.example/{slug}",
                site="articles.example",
                stated_author=structure.stated_author[:200],
                stated_credentials=structure.stated_credentials,
                text=text,
                content_hash=digest,
                # What SourceArticle.save() would derive; readers see the whole (synthetic) text.
                url_key=url_key(f"https://articles.example/{slug}")[:500],
                full_text_shown=True,
                full_text_reason=FULL_TEXT_REASON,
                published_on=(self.now - datetime.timedelta(days=rng.randrange(365 * 6))).date(),
                **self.reviewed(status),
            )
            pending.append((article, placed))
            if len(pending) >= 500:
                flush()
        if pending:
            flush()
        self.counts["articles"] = sizes.articles
        self.counts["heavy articles"] = len(heavy)
        self.counts["passages"] = total_passages

    def warnings(self):
        rng, sizes = self.rng, self.sizes
        public_claims = [pk for pk, _statement, status in self.claim_rows if status == Status.PUBLISHED]
        rows, titles = [], set()
        for n in range(1, sizes.warnings + 1):
            title = f"Synthetic warning {n:04d}: {title_case(OBJECTS.pick(rng))} With {SUBJECTS.pick(rng)}"
            titles.add(title)
            rows.append(
                Warning(
                    slug=slugify(title)[:110],
                    title=title[:200],
                    severity=choose(rng, SEVERITIES),
                    certainty=choose(rng, CERTAINTIES),
                    text=f"{WARNING_MARK} {self.filler()} {self.filler()}",
                    **self.reviewed(choose(rng, ITEM_STATUS), schedule=True),
                )
            )
        written = self.insert(Warning, rows, "warnings")
        claims, mentioned, substances, studies = [], [], [], []
        for warning in written:
            bears = rng.sample(public_claims, min(len(public_claims), rng.randint(5, 30))) if public_claims else []
            claims += [(warning.pk, claim) for claim in sorted(bears)]
            mentioned += [(warning.pk, claim) for claim in sorted(bears[: rng.randint(0, 3)])]
            substances.append((warning.pk, self.substance_pk["kratom"]))
            studies += [(warning.pk, s) for s in sorted(set(rng.sample(self.study_pks, min(len(self.study_pks), 3))))]
        self.through(Warning._meta.get_field("claims"), claims, "warning links")
        self.through(Warning._meta.get_field("mentioned_by"), mentioned, "warning links")
        self.through(Warning._meta.get_field("substances"), substances, "warning links")
        self.through(Warning._meta.get_field("studies"), studies, "warning links")
        self.counts["warnings"] = len(written)

    def versions(self):
        """Each public claim's review version 1: the snapshot ``claim_snapshot`` records on publication,
        built from what was written (in the database's own orderings) rather than one claim at a time."""
        public = [
            (pk, status) for pk, _statement, status in self.claim_rows if status in (Status.PUBLISHED, Status.WITHDRAWN)
        ]
        if not public:
            self.counts["claim versions"] = 0
            return
        from evidence.services.versions import study_citation

        fields = ("slug", "statement", "topic", "verdict", "certainty", "polarity", "summary", "published_at")
        claims = Claim.objects.filter(status__in=[Status.PUBLISHED, Status.WITHDRAWN]).only(*fields).order_by()
        claims = {claim.pk: claim for claim in claims}  # the database holds only what this run wrote
        substances = defaultdict(list)
        through = Claim.substances.through.objects.order_by("claim_id", "substance__name")
        for claim_id, substance_id in through.values_list("claim_id", "substance_id"):
            substances[claim_id].append(self.substance_info[substance_id])
        studies = {
            s.pk: study_citation(s)
            for s in Study.objects.published().only(
                "key",
                "title",
                "title_is_descriptive",
                "authors",
                "authors_confirmed",
                "venue",
                "year",
                "doi",
                "pmid",
                "pmcid",
                "url",
                "design",
                "population",
                "sample_size",
                "finding",
            )
        }
        evidence = defaultdict(list)
        ordered = Evidence.objects.filter(study_id__in=Study.objects.published().values("pk"))
        ordered = ordered.order_by("claim_id", "study__year", "study__title", "pk")
        for claim_id, study_id, direction, note in ordered.values_list("claim_id", "study_id", "direction", "note"):
            evidence[claim_id].append({"study": studies[study_id], "direction": direction, "note": note})
        passages = defaultdict(list)
        shown = Passage.objects.filter(article__status=Status.PUBLISHED, placement=Passage.Placement.EXACT)
        shown = shown.order_by("claim_id", "article__title", "article__pk", "start")
        fields = ("claim_id", "pk", "article_id", "quote", "start", "end", "wording", "wording_note")
        for claim_id, pk, article_id, quote, start, end, wording, note in shown.values_list(*fields):
            article = self.article_info[article_id]
            passages[claim_id].append(
                {
                    "id": pk,
                    "article": {"slug": article["slug"], "title": article["title"]},
                    "quote": quote,
                    "start": start,
                    "end": end,
                    "wording": wording,
                    "wording_note": note,
                }
            )
        warnings = defaultdict(list)
        links = Warning.claims.through.objects.filter(warning__status=Status.PUBLISHED)
        links = links.order_by("claim_id", "warning__title")
        for claim_id, slug, title, severity in links.values_list(
            "claim_id", "warning__slug", "warning__title", "warning__severity"
        ):
            warnings[claim_id].append({"slug": slug, "title": title, "severity": severity})

        rows = []
        for pk, _status in public:
            claim = claims[pk]
            snapshot = {
                "format": SNAPSHOT_FORMAT,
                "slug": claim.slug,
                "statement": claim.statement,
                "topic": claim.topic,
                "verdict": claim.verdict,
                "certainty": claim.certainty,
                "polarity": claim.polarity,
                "summary": claim.summary,
                "substances": substances[pk],
                "evidence": evidence[pk],
                "passages": passages[pk],
                "unfound_references": [],
                "warnings": warnings[pk],
            }
            rows.append(
                ClaimVersion(
                    claim_id=pk,
                    number=1,
                    approved_at=claim.published_at,
                    approved_by_system=ACTOR,
                    change_note=VERSION_NOTE,
                    snapshot=snapshot,
                )
            )
        self.counts["claim versions"] = len(self.insert(ClaimVersion, rows, "claim versions"))


def expected_rows(sizes):
    """About how many rows ``generate`` writes (for a progress bar's total)."""
    passages = sizes.heavy_articles * sizes.heavy_passages
    passages += (sizes.articles - sizes.heavy_articles) * sizes.passages_per_article
    return (
        len(SUBSTANCES)
        + sizes.studies
        + sizes.claims * 2  # claims and their substance links
        + sizes.evidence
        + sizes.articles
        + passages
        + sizes.warnings * 25
        + sizes.claims  # review versions
    )


def generate(sizes, *, seed=1, progress=None):
    """Write a synthetic library of ``sizes`` into an empty database, as the system actor
    "scale-generator"; returns the rows written per kind. Raises LibraryNotEmpty on a database
    that already holds library content, and PermissionDenied on one curators have worked on."""
    from evidence.services import system_writes

    refuse_unless_empty()
    with system_writes(ACTOR):
        return Generator(sizes, seed, progress).run()
