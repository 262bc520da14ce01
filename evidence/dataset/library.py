"""Reading the public library for the dataset: every read starts from ``published()``, rows come
ordered by unique keys and lists inside a row sorted, all in one consistent transaction."""

from contextlib import contextmanager
from datetime import UTC

from django.db import connection, transaction
from django.db.models import Max, Prefetch
from django.utils import translation

from evidence.annotations import web_annotation
from evidence.dataset.schema import EDITORS, PUBLISHER, TABLES
from evidence.links import absolute, claim_url, text_fragment_url
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
    Warning,
)
from evidence.services.workflow import SYSTEM_ACTORS


def stamp(value):
    """A datetime as the dataset writes it: UTC, to the second, with a Z."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slugs(items, attr="slug"):
    return sorted(getattr(item, attr) for item in items)


def approver_label(version):
    """Who approved a version, as the public may read it: never an account name, a reviewer's public
    name only when they chose to be named."""
    if version.approved_by_id:
        profile = getattr(version.approved_by, "reviewer_profile", None)
        return profile.public_name if profile is not None and profile.show_name else EDITORS
    if version.approved_by_system:
        return SYSTEM_ACTORS.get(version.approved_by_system, version.approved_by_system)
    return ""


def published_substances():
    return Substance.objects.published().only("pk", "slug").order_by()


def claim_rows():
    claims = (
        Claim.objects.published()
        .annotate(current_version=Max("versions__number"))
        .prefetch_related(Prefetch("substances", queryset=published_substances()))
        .order_by("pk")
    )
    return [
        {
            "id": c.pk,
            "slug": c.slug,
            "url": claim_url(c),
            "statement": c.statement,
            "topic": c.topic,
            "verdict": c.verdict,
            "certainty": c.certainty,
            "polarity": c.polarity,
            "summary": c.summary,
            "substances": slugs(c.substances.all()),
            "version": c.current_version,
            "version_url": claim_url(c, c.current_version) if c.current_version else None,
            "first_published_at": stamp(c.first_published_at),
            "published_at": stamp(c.published_at),
        }
        for c in claims
    ]


def claim_version_rows():
    versions = (
        ClaimVersion.objects.filter(claim__status=Status.PUBLISHED)
        .select_related("claim", "approved_by__reviewer_profile")
        .only(
            "claim__slug",
            "number",
            "approved_at",
            "approved_by__id",
            "approved_by__reviewer_profile__show_name",
            "approved_by__reviewer_profile__public_name",
            "approved_by_system",
            "change_note",
            "snapshot",
        )
        .order_by("claim_id", "number")
    )
    return [
        {
            "claim_id": v.claim_id,
            "claim_slug": v.claim.slug,
            "number": v.number,
            "url": claim_url(v.claim, v.number),
            "approved_at": stamp(v.approved_at),
            "approved_by": approver_label(v),
            "change_note": v.change_note,
            "statement": v.snapshot.get("statement", ""),
            "verdict": v.snapshot.get("verdict") or None,
            "certainty": v.snapshot.get("certainty") or None,
            "polarity": v.snapshot.get("polarity") or None,
            "summary": v.snapshot.get("summary", ""),
        }
        for v in versions
    ]


def evidence_rows():
    rows = (
        Evidence.objects.filter(claim__status=Status.PUBLISHED, study__in=Study.objects.published())
        .select_related("claim", "study")
        .only("claim__slug", "study__key", "direction", "note")
        .order_by("claim_id", "study_id")
    )
    return [
        {
            "claim_id": e.claim_id,
            "study_id": e.study_id,
            "claim_slug": e.claim.slug,
            "study_key": e.study.key,
            "direction": e.direction,
            "note": e.note,
        }
        for e in rows
    ]


def study_rows():
    return [
        {
            "id": s.pk,
            "key": s.key,
            "url": absolute(s.get_absolute_url()),
            "title": s.title,
            "title_is_descriptive": s.title_is_descriptive,
            "authors": s.authors if s.authors_confirmed else "",
            "venue": s.venue,
            "year": s.year,
            "doi": s.doi,
            "pmid": s.pmid,
            "pmcid": s.pmcid,
            "source_url": s.url,
            "design": s.design,
            "population": s.population,
            "sample_size": s.sample_size,
            "finding": s.finding,
            "verified_on": s.verified_on,
            "first_published_at": stamp(s.first_published_at),
            "published_at": stamp(s.published_at),
        }
        for s in Study.objects.published().order_by("pk")
    ]


def public_passages():
    return (
        Passage.objects.published()
        .select_related("article", "claim")
        .defer("article__text", "claim__summary")
        .order_by("pk")
    )


def passage_row(p):
    return {
        "id": p.pk,
        "article_id": p.article_id,
        "claim_id": p.claim_id,
        "article_slug": p.article.slug,
        "claim_slug": p.claim.slug,
        "url": absolute(p.article.get_absolute_url()) + f"#{p.anchor}",
        "quote": p.quote,
        "start": p.start,
        "end": p.end,
        "prefix": p.prefix,
        "suffix": p.suffix,
        "wording": p.wording,
        "wording_note": p.wording_note,
        "source_url": p.article.original_url,
        "source_fragment_url": text_fragment_url(p.article.original_url, p.quote, p.prefix, p.suffix),
    }


def article_rows():
    articles = SourceArticle.objects.published().with_passage_counts().defer("text").order_by("pk")
    return [
        {
            "id": a.pk,
            "slug": a.slug,
            "url": absolute(a.get_absolute_url()),
            "title": a.title,
            "original_url": a.original_url,
            "site": a.site,
            "stated_author": a.stated_author,
            "reviewer_note": a.reviewer_note,
            "published_on": a.published_on.isoformat() if a.published_on else None,
            "imported_at": stamp(a.imported_at),
            "text_sha256": a.content_hash,
            "full_text_shown": a.full_text_shown,
            "passage_count": a.passage_count,
            "first_published_at": stamp(a.first_published_at),
            "published_at": stamp(a.published_at),
        }
        for a in articles
    ]


def warning_rows():
    warnings = (
        Warning.objects.published()
        .prefetch_related(
            Prefetch("substances", queryset=published_substances()),
            Prefetch("studies", queryset=Study.objects.published().only("pk", "key").order_by()),
            Prefetch("claims", queryset=Claim.objects.published().only("pk", "slug").order_by()),
            Prefetch("mentioned_by", queryset=Claim.objects.published().only("pk", "slug").order_by()),
        )
        .order_by("pk")
    )
    return [
        {
            "id": w.pk,
            "slug": w.slug,
            "url": absolute(w.get_absolute_url()),
            "title": w.title,
            "severity": w.severity,
            "certainty": w.certainty,
            "text": w.text,
            "substances": slugs(w.substances.all()),
            "studies": slugs(w.studies.all(), "key"),
            "claims": slugs(w.claims.all()),
            "mentioned_by": slugs(w.mentioned_by.all()),
            "first_published_at": stamp(w.first_published_at),
            "published_at": stamp(w.published_at),
        }
        for w in warnings
    ]


def substance_rows():
    substances = Substance.objects.published().select_related("parent").order_by("pk")
    return [
        {
            "id": s.pk,
            "slug": s.slug,
            "url": absolute(s.get_absolute_url()),
            "name": s.name,
            "scientific_name": s.scientific_name,
            "kind": s.kind,
            "synonyms": sorted(s.synonyms or []),
            "summary": s.summary,
            "parent_id": s.parent_id if s.public_parent else None,
            "first_published_at": stamp(s.first_published_at),
            "published_at": stamp(s.published_at),
        }
        for s in substances
    ]


def annotation(p):
    """A passage as the W3C Web Annotation the API also writes (evidence/annotations.py), with the
    data package's dates and its publisher as the creator."""
    return {
        **web_annotation(p, stamp=stamp),
        "creator": {"type": "Organization", "name": PUBLISHER, "homepage": absolute("/")},
    }


def latest_approval():
    """When the latest approval the data can reflect happened: no clock, only recorded approvals."""
    candidates = [
        ClaimVersion.objects.aggregate(at=Max("approved_at"))["at"],
        ChangeRequest.objects.filter(state=ChangeRequest.State.APPROVED).aggregate(at=Max("decided_at"))["at"],
    ]
    for model in (Claim, SourceArticle, Study, Substance, Warning):
        candidates.append(model.objects.aggregate(at=Max("published_at"))["at"])
    found = [at for at in candidates if at is not None]
    return max(found).astimezone(UTC).replace(microsecond=0) if found else None


@contextmanager
def consistent_reads():
    """One read transaction; on PostgreSQL a repeatable-read snapshot, so every table sees one state."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


ROW_BUILDERS = {
    "claims": claim_rows,
    "claim_versions": claim_version_rows,
    "evidence": evidence_rows,
    "studies": study_rows,
    "articles": article_rows,
    "warnings": warning_rows,
    "substances": substance_rows,
}


def read_library(progress=None):
    """Every table's rows and the annotations, from one consistent view of the public library."""
    with consistent_reads(), translation.override("en"):
        content_at = latest_approval()
        tables = {}
        for table in TABLES:
            if table.name == "passages":
                passages = list(public_passages())
                tables["passages"] = [passage_row(p) for p in passages]
                annotations = [annotation(p) for p in passages]
            else:
                tables[table.name] = ROW_BUILDERS[table.name]()
            if progress:
                progress(table.name)
    return tables, annotations, content_at
