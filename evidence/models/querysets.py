"""Named reads: every public page starts from ``published()`` and a shape method."""

from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce

import evidence.models as library  # the model classes, looked up when a query is built
from evidence.models.choices import Certainty, Severity, Status, Verdict, rank
from evidence.search import search_queryset


def count_of(queryset, column):
    """How many rows of ``queryset`` each outer row has (``column`` is the foreign key to it), as a
    correlated subquery: counted for the rows a page shows, never by joining and grouping the whole
    list before its ``LIMIT`` (PostgreSQL evaluates it after the sort), and dropped from ``count()``."""
    counted = queryset.filter(**{column: OuterRef("pk")}).order_by().values(column).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class SearchableQuerySet(models.QuerySet):
    """``search(q)``: full-text search over ``SEARCH_FIELDS`` (field → weight A–D), best match first.

    The body is backend-aware (evidence/search.py). On PostgreSQL it matches the stored
    ``search_vector`` column of migration 0003, whose fields and weights must match these
    (PostgreSQL refuses to change the type of a searched column until that column is dropped).
    ``SEARCH_TITLE`` and ``SEARCH_BODY`` are the fields shown, highlighted, in results.
    Public search starts from ``published()``: ``Claim.objects.published().search(q)``.
    """

    SEARCH_FIELDS = {}
    SEARCH_TITLE = ""
    SEARCH_BODY = ""

    def search(self, q):
        return search_queryset(self, q, fields=self.SEARCH_FIELDS, title=self.SEARCH_TITLE, body=self.SEARCH_BODY)


class PublishableQuerySet(SearchableQuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)


class SubstanceQuerySet(PublishableQuerySet):
    SEARCH_FIELDS = {"name": "A", "scientific_name": "A", "synonyms": "A", "summary": "B"}
    SEARCH_TITLE, SEARCH_BODY = "name", "summary"

    def for_list(self):
        return (
            self.published()
            .select_related("parent")
            .annotate(claim_count=count_of(library.Claim.objects.published(), "substances"))
        )

    def for_detail(self, *, claims=True):
        """The substance with its constituents and warnings, and (unless ``claims=False``: the page
        lists them a page at a time) every published claim about it."""
        lookups = [
            Prefetch("children", queryset=library.Substance.objects.published()),
            Prefetch("warnings", queryset=library.Warning.objects.published().by_severity()),
        ]
        if claims:
            lookups.append(Prefetch("claims", queryset=library.Claim.objects.published().order_by("statement")))
        return self.select_related("parent").prefetch_related(*lookups)


class SourceArticleQuerySet(PublishableQuerySet):
    SEARCH_FIELDS = {"title": "A", "text": "B"}
    SEARCH_TITLE, SEARCH_BODY = "title", "text"

    def with_passage_counts(self):
        public = library.Passage.objects.filter(
            claim__status=Status.PUBLISHED, placement=library.Passage.Placement.EXACT
        )
        return self.annotate(passage_count=count_of(public, "article"))

    def for_list(self):
        # Never the article texts: a list shows titles and counts.
        return self.with_passage_counts().defer("text").order_by("title", "pk")


class ClaimQuerySet(PublishableQuerySet):
    SEARCH_FIELDS = {"statement": "A", "summary": "B"}
    SEARCH_TITLE, SEARCH_BODY = "statement", "summary"

    def with_counts(self):
        return self.annotate(
            evidence_count=count_of(library.Evidence.objects.all(), "claim"),
            passage_count=count_of(library.Passage.objects.all(), "claim"),
        )

    def for_list(self):
        # What a claim row shows (statement, grade, link): no counts, no summary.
        return (
            self.defer("summary")
            .annotate(verdict_rank=rank("verdict", Verdict.values), certainty_rank=rank("certainty", Certainty.values))
            .prefetch_related(Prefetch("substances", queryset=library.Substance.objects.published()))
            .order_by("statement")
        )

    def for_detail(self):
        return self.select_related("last_reviewed_by__reviewer_profile").prefetch_related(
            Prefetch("substances", queryset=library.Substance.objects.published()),
            Prefetch(
                "evidence",
                queryset=library.Evidence.objects.filter(study__in=library.Study.objects.published())
                .select_related("study")
                .prefetch_related("study__notices")  # each study's retraction/correction badge
                .order_by("study__year", "study__title", "pk"),  # ties too: a page renders the same every time
            ),
            Prefetch(
                "passages",
                queryset=library.Passage.objects.published()
                .select_related("article")
                .defer("article__text")  # a claim page quotes passages; it never needs whole articles
                .order_by("article__title", "article__pk", "start"),
            ),
            Prefetch("warnings", queryset=library.Warning.objects.published().order_by("title")),
            Prefetch(
                "unfound_references",
                queryset=library.UnfoundReference.objects.filter(article__status=Status.PUBLISHED)
                .select_related("article")
                .defer("article__text")
                .order_by("pk"),
            ),
        )


class StudyQuerySet(SearchableQuerySet):
    SEARCH_FIELDS = {"title": "A", "finding": "B", "authors": "C", "venue": "C"}
    SEARCH_TITLE, SEARCH_BODY = "title", "finding"

    def published(self):
        # A study is public once approved, and only while its identifiers stand verified.
        return self.filter(status=Status.PUBLISHED, is_verified=True)

    def for_list(self):
        return (
            self.annotate(
                claim_count=count_of(library.Evidence.objects.filter(claim__status=Status.PUBLISHED), "study")
            )
            .prefetch_related("notices")  # the retraction/correction badge
            .order_by("-year", "title", "pk")
        )

    def for_detail(self):
        return self.prefetch_related(
            "notices",
            Prefetch(
                "evidence",
                queryset=library.Evidence.objects.filter(claim__status=Status.PUBLISHED)
                .select_related("claim")
                .order_by("claim__statement"),
            ),
            Prefetch("warnings", queryset=library.Warning.objects.published().order_by("title")),
        )


class PassageQuerySet(SearchableQuerySet):
    SEARCH_FIELDS = {"quote": "A"}
    SEARCH_TITLE = "quote"

    def published(self):
        # A passage shows only when its claim and its article are published and its place in the
        # article text is exact; any other placement waits for a curator to confirm it.
        return self.filter(
            claim__status=Status.PUBLISHED,
            article__status=Status.PUBLISHED,
            placement=library.Passage.Placement.EXACT,
        )

    def for_article(self):
        return self.published().select_related("claim").order_by("start")


class WarningQuerySet(PublishableQuerySet):
    SEARCH_FIELDS = {"title": "A", "text": "B"}
    SEARCH_TITLE, SEARCH_BODY = "title", "text"

    SEVERITY_ORDER = rank("severity", list(reversed(Severity.values)))  # high first

    def by_severity(self):
        return self.order_by(self.SEVERITY_ORDER, "title")

    def for_list(self):
        return (
            self.prefetch_related(Prefetch("substances", queryset=library.Substance.objects.published()))
            .annotate(study_count=count_of(library.Study.objects.published(), "warnings"))
            .by_severity()
        )

    def for_detail(self):
        return self.select_related("last_reviewed_by__reviewer_profile").prefetch_related(
            Prefetch("substances", queryset=library.Substance.objects.published()),
            Prefetch(
                "studies",
                queryset=library.Study.objects.published().prefetch_related("notices").order_by("-year", "title", "pk"),
            ),
            Prefetch("claims", queryset=library.Claim.objects.published().order_by("statement")),
        )

    def omitted_by(self, article):
        """Published warnings bearing on a claim the article makes that the article never mentions."""
        claim_ids = library.Passage.objects.filter(article=article).published().values("claim_id")
        return (
            self.published().filter(claims__in=claim_ids).exclude(mentioned_by__in=claim_ids).distinct().by_severity()
        )
