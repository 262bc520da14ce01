"""The evidence library's models: substances, articles, claims, passages, studies, warnings.

Invariants live in the database as named constraints (``evidence_<model>_<rule>``);
``clean()`` repeats a rule only where a form needs a friendly message.
"""

from concurrency.fields import IntegerVersionField
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evidence.models.choices import (
    POLARITY_DEFINITIONS,
    WORDING_DEFINITIONS,
    Certainty,
    Direction,
    Placement,
    Polarity,
    Population,
    Severity,
    Status,
    StudyDesign,
    SubstanceKind,
    TextFormat,
    Topic,
    Verdict,
    Wording,
    choices_check,
    grade_words,
    text_hash,
)
from evidence.models.desk import ReviewSchedule
from evidence.models.querysets import (
    ClaimQuerySet,
    PassageQuerySet,
    SourceArticleQuerySet,
    StudyQuerySet,
    SubstanceQuerySet,
    WarningQuerySet,
)
from evidence.text import fits_one_block, passage_assessment

PUBLISHED = Q(status=Status.PUBLISHED)  # the condition of the partial indexes public lists use


CHOICE_LABELS = {}  # (field, language) -> {stored value: label}, built on first use (Versioned._get_FIELD_display)


class Versioned(models.Model):
    """What every row a curator edits shares: when it last changed, and an edit version that
    refuses a save made to a copy someone else has since changed (optimistic locking)."""

    updated_at = models.DateTimeField(auto_now=True)
    version = IntegerVersionField(help_text=_("Refuses an edit made to a copy that someone else has since changed."))

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        """``get_<field>_display()`` as Django's, except that a field's labels are looked up in a dict
        made once per language, not rebuilt and translated on every call (a 50-passage article page
        asks about 400 times)."""
        language = get_language()
        labels = CHOICE_LABELS.get((field, language))
        if labels is None:
            labels = {make_hashable(value): force_str(label) for value, label in field.flatchoices}
            CHOICE_LABELS[(field, language)] = labels
        value = getattr(self, field.attname)
        return labels.get(make_hashable(value), value)


class Reviewed(Versioned):
    """What the library's reviewed items share: a workflow status, who submitted and approved the
    current state, and when it was first and last published (evidence/services/workflow.py)."""

    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text=_("When the current public state was approved.")
    )
    first_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_("Empty when a system actor (the seed library) published it, or the approver is unknown."),
    )
    contributors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_("Who changed it since its last approval; none of them may approve it."),
    )

    class Meta:
        abstract = True

    @property
    def is_public(self):
        """Whether readers see this item (a withdrawn one still answers 410 with its title)."""
        return self.status in (Status.PUBLISHED, Status.WITHDRAWN)


class Substance(Reviewed):
    Kind = SubstanceKind

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    scientific_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=Kind)
    synonyms = models.JSONField(default=list, blank=True, help_text=_("Other names readers use, e.g. 7-OH."))
    summary = models.TextField(blank=True, help_text=_("Markdown; raw HTML is not rendered."))
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))
    objects = SubstanceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [("publish_substance", "Can approve substances")]
        constraints = [
            choices_check("kind", SubstanceKind, "evidence_substance_kind_valid"),
            choices_check("status", Status, "evidence_substance_status_valid"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("evidence:substance-detail", kwargs={"slug": self.slug})

    def clean(self):
        if self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A substance cannot be part of itself.")})

    @property
    def public_parent(self):
        """The parent substance as readers may see it: only once it is published."""
        return self.parent if self.parent_id and self.parent.status == Status.PUBLISHED else None


class SourceArticle(Reviewed):
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, unique=True)
    source_name = models.CharField(
        max_length=255,
        unique=True,
        help_text=_("The file or source the text was imported from."),
    )
    original_url = models.URLField(max_length=500, blank=True)
    site = models.CharField(max_length=200, blank=True, help_text=_("Site or publisher."))
    stated_author = models.CharField(max_length=200, blank=True)
    stated_credentials = models.TextField(blank=True)
    reviewer_note = models.TextField(
        blank=True,
        help_text=_(
            "Shown to readers at the top of the article: what they should know about the article "
            "itself, e.g. an undisclosed commercial interest. Markdown; raw HTML is not rendered."
        ),
    )
    published_on = models.DateField(null=True, blank=True)
    imported_at = models.DateTimeField(
        default=timezone.now, editable=False, help_text=_("When the current revision's text was taken (its snapshot).")
    )
    text = models.TextField(help_text=_("The article text exactly as imported. Never edited in place."))
    text_format = models.CharField(
        max_length=20,
        choices=TextFormat,
        default=TextFormat.SEED,
        editable=False,
        help_text=_("How the stored text marks headings, paragraphs and lists."),
    )
    content_hash = models.CharField(max_length=64, unique=True, editable=False)
    revision = models.PositiveIntegerField(
        default=1, editable=False, help_text=_("The current revision; earlier ones are kept as article revisions.")
    )
    url_key = models.CharField(
        max_length=500,
        blank=True,
        db_index=True,
        editable=False,
        help_text=_("The original URL normalised for finding the article by its address."),
    )
    full_text_shown = models.BooleanField(
        default=False,
        help_text=_(
            "Show readers the whole text. Only where the reason below allows it; otherwise readers see each "
            "reviewed passage with a sentence of context and a link into the original."
        ),
    )
    full_text_reason = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("Why showing the whole text is allowed, e.g. “Provided to the project as its seed material.”"),
    )

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))
    objects = SourceArticleQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        permissions = [("publish_sourcearticle", "Can approve source articles")]
        constraints = [
            choices_check("status", Status, "evidence_sourcearticle_status_valid"),
            models.CheckConstraint(condition=~Q(text=""), name="evidence_sourcearticle_text_not_empty"),
            models.CheckConstraint(
                condition=Exact(Length("content_hash"), 64),
                name="evidence_sourcearticle_hash_is_sha256",
            ),
            choices_check("text_format", TextFormat, "evidence_sourcearticle_text_format_valid"),
            models.CheckConstraint(
                condition=Q(full_text_shown=False) | ~Q(full_text_reason=""),
                name="evidence_sourcearticle_full_text_has_reason",
            ),
        ]
        # The articles list and the home page: published articles by title (migration 0015).
        indexes = [models.Index(fields=["title", "id"], condition=PUBLISHED, name="evidence_article_pub_title")]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        from evidence.links import url_key

        key = url_key(self.original_url)[:500]
        if key != self.url_key:
            self.url_key = key
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "url_key"}
        return super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("evidence:article-detail", kwargs={"slug": self.slug})

    def clean(self):
        if self.text and self.content_hash and self.content_hash != text_hash(self.text):
            raise ValidationError(_("The article text does not match its content hash."))
        if self.full_text_shown and not self.full_text_reason.strip():
            raise ValidationError(
                {
                    "full_text_reason": _(
                        "Say why readers may see the whole text (for example, the publisher's permission or "
                        "licence), or untick “full text shown”: readers then see each reviewed passage in context."
                    )
                }
            )


class Claim(ReviewSchedule, Reviewed):
    Topic = Topic

    Verdict = Verdict
    Certainty = Certainty
    Status = Status

    slug = models.SlugField(max_length=120, unique=True)
    statement = models.CharField(max_length=300, unique=True)
    topic = models.CharField(max_length=20, choices=Topic)
    substances = models.ManyToManyField(Substance, blank=True, related_name="claims")
    verdict = models.CharField(max_length=20, choices=Verdict, default=Verdict.INSUFFICIENT)
    certainty = models.CharField(max_length=20, choices=Certainty, default=Certainty.VERY_LOW)
    polarity = models.CharField(
        max_length=10,
        choices=Polarity,
        default=Polarity.NEUTRAL,
        help_text=" ".join(f"{label}: {POLARITY_DEFINITIONS[value]}" for value, label in Polarity.choices),
    )
    summary = models.TextField(blank=True, help_text=_("Markdown; raw HTML is not rendered."))

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))
    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["statement"]
        permissions = [("publish_claim", "Can approve claims: publish, withdraw, approve changes")]
        constraints = [
            choices_check("topic", Topic, "evidence_claim_topic_valid"),
            choices_check("verdict", Verdict, "evidence_claim_verdict_valid"),
            choices_check("certainty", Certainty, "evidence_claim_certainty_valid"),
            choices_check("polarity", Polarity, "evidence_claim_polarity_valid"),
            choices_check("status", Status, "evidence_claim_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=Status.PUBLISHED) | ~Q(summary=""),
                name="evidence_claim_published_has_summary",
            ),
        ]
        # The claims list: published claims by statement, alone or within a verdict, certainty or
        # topic, and by last update (partial: drafts never show; migration 0015).
        indexes = [
            models.Index(fields=["statement", "id"], condition=PUBLISHED, name="evidence_claim_pub_statement"),
            models.Index(fields=["verdict", "statement"], condition=PUBLISHED, name="evidence_claim_pub_verdict"),
            models.Index(fields=["certainty", "statement"], condition=PUBLISHED, name="evidence_claim_pub_certainty"),
            models.Index(fields=["topic", "statement"], condition=PUBLISHED, name="evidence_claim_pub_topic"),
            models.Index(fields=["updated_at"], condition=PUBLISHED, name="evidence_claim_pub_updated"),
        ]

    def __str__(self):
        return self.statement

    def get_absolute_url(self):
        return reverse("evidence:claim-detail", kwargs={"slug": self.slug})

    def clean(self):
        if self.status == Status.PUBLISHED and not self.summary.strip():
            raise ValidationError({"summary": _("A published claim needs a reviewer's summary.")})

    @property
    def grade_label(self):
        return grade_words(self.verdict, self.certainty)


class Study(Reviewed):
    Design = StudyDesign

    Population = Population

    key = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=500)
    title_is_descriptive = models.BooleanField(
        default=False,
        help_text=_("The exact title was not confirmed; the title describes the work."),
    )
    authors = models.CharField(max_length=500, blank=True)
    authors_confirmed = models.BooleanField(
        default=True,
        help_text=_("Untick when the author list was inferred and not checked."),
    )
    venue = models.CharField(max_length=300, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True)
    pmid = models.CharField(
        "PMID", max_length=12, blank=True, validators=[RegexValidator(r"^[0-9]+$", "A PMID is digits only.")]
    )
    pmcid = models.CharField("PMCID", max_length=16, blank=True)
    url = models.URLField("URL", max_length=500, blank=True)
    design = models.CharField(max_length=30, choices=Design)
    population = models.CharField(max_length=20, choices=Population)
    sample_size = models.CharField(max_length=120, blank=True)
    finding = models.TextField(blank=True, help_text=_("One line: what the study found."))
    is_verified = models.BooleanField(
        default=False,
        help_text=_("Its identifiers were checked against a public record."),
    )
    verified_on = models.URLField(
        max_length=500,
        blank=True,
        help_text=_("The page the identifiers were checked on."),
    )
    notes = models.TextField(blank=True)

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    objects = StudyQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "title"]
        verbose_name_plural = "studies"
        permissions = [("publish_study", "Can approve studies")]
        constraints = [
            choices_check("status", Status, "evidence_study_status_valid"),
            choices_check("design", StudyDesign, "evidence_study_design_valid"),
            choices_check("population", Population, "evidence_study_population_valid"),
            models.UniqueConstraint(fields=["doi"], condition=~Q(doi=""), name="evidence_study_doi_unique"),
            models.UniqueConstraint(
                fields=["pmid"],
                condition=~Q(pmid=""),
                name="evidence_study_pmid_unique",
            ),
            models.CheckConstraint(
                condition=Q(is_verified=False) | ~Q(doi="") | ~Q(pmid="") | ~Q(url=""),
                name="evidence_study_verified_has_identifier",
            ),
        ]
        # The studies list: public studies newest first, alone or within a design (migration 0015).
        indexes = [
            models.Index(
                fields=["-year", "title", "id"],
                condition=PUBLISHED & Q(is_verified=True),
                name="evidence_study_pub_year",
            ),
            models.Index(
                fields=["design", "-year"], condition=PUBLISHED & Q(is_verified=True), name="evidence_study_pub_design"
            ),
        ]

    def __str__(self):
        return f"{self.short_citation}: {self.title}"

    def get_absolute_url(self):
        return reverse("evidence:study-detail", kwargs={"key": self.key})

    def clean(self):
        if self.is_verified and not (self.doi or self.pmid or self.url):
            raise ValidationError(_("A verified study needs a DOI, a PMID or a URL."))

    @property
    def first_author(self):
        if not self.authors_confirmed or not self.authors:
            return ""
        return self.authors.split(",")[0].replace(" et al.", "").strip()

    @property
    def short_citation(self):
        author = self.first_author
        if author and ("," in self.authors or "et al" in self.authors):
            author = f"{author.split()[0]} et al."
        return " ".join(part for part in [author, str(self.year or "")] if part) or self.key

    @property
    def link_label(self):
        """The study's name where a page links to it: first author and year when the authors are
        confirmed, else its title shortened and the year — never a bare year (``short_citation`` is
        one when the authors are hidden)."""
        if self.first_author:
            return self.short_citation
        title = Truncator(" ".join(self.title.split())).words(8, truncate="…")
        return f"{title} ({self.year})" if self.year else title

    @property
    def doi_url(self):
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def pubmed_url(self):
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""

    @property
    def reader_url(self):
        """Where a reader should go to read the study: doi.org or PubMed before any other copy."""
        return self.doi_url or self.pubmed_url or self.url

    @property
    def notice_badge(self):
        """The publisher's notice readers should see first (``StudyNotice.SEVERITY``), or None.

        Reads ``notices`` as the page's queryset prefetched them. A reinstatement supersedes the
        retractions and expressions of concern dated before it; corrections stand. Among notices of
        one nature the newest wins.
        """
        notice_model = self.notices.model
        nature = notice_model.Nature

        def day(notice):
            return notice.notice_date.toordinal() if notice.notice_date else 0

        notices = list(self.notices.all())
        reinstated = max((day(n) for n in notices if n.nature == nature.REINSTATEMENT), default=None)
        if reinstated is not None:
            superseded = {nature.RETRACTION, nature.CONCERN}
            notices = [n for n in notices if n.nature not in superseded or day(n) > reinstated]
        return min(notices, key=lambda n: (notice_model.SEVERITY.index(n.nature), -day(n)), default=None)


class Evidence(Versioned):
    Direction = Direction

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="evidence")
    direction = models.CharField(max_length=20, choices=Direction)
    note = models.TextField(blank=True)

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ["claim", "study"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "study"], name="evidence_evidence_one_per_claim_study"),
            choices_check("direction", Direction, "evidence_evidence_direction_valid"),
        ]

    def __str__(self):
        return f"{self.study.short_citation} {self.get_direction_display().lower()} “{self.claim}”"


class Passage(Versioned):
    """Where a claim appears in an article: a TextQuoteSelector plus a TextPositionSelector."""

    Wording = Wording

    Placement = Placement

    CONTEXT_LENGTH = 32

    article = models.ForeignKey(SourceArticle, on_delete=models.PROTECT, related_name="passages")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="passages")
    quote = models.TextField()
    start = models.PositiveIntegerField(help_text=_("Offset of the quote in the article text, in code points."))
    end = models.PositiveIntegerField()
    prefix = models.CharField(max_length=CONTEXT_LENGTH, blank=True)
    suffix = models.CharField(max_length=CONTEXT_LENGTH, blank=True)
    wording = models.CharField(
        max_length=20,
        choices=Wording,
        default=Wording.ACCURATE,
        help_text=" ".join(
            [str(_("Judged against the claim this passage is linked to."))]
            + [f"{label}: {WORDING_DEFINITIONS[value]}" for value, label in Wording.choices]
        ),
    )
    wording_note = models.CharField(max_length=300, blank=True)
    placement = models.CharField(
        max_length=20,
        choices=Placement,
        default=Placement.EXACT,
        help_text=_(
            "Where the quote sits in the current revision: exact, moved (found elsewhere with its context), "
            "fuzzy (a changed wording, with its score) or orphaned (not found). Only exact passages are public."
        ),
    )
    match_score = models.FloatField(default=100.0)
    previous_quote = models.TextField(
        blank=True, help_text=_("The quote as the article's previous revision had it, until a curator confirms.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))
    objects = PassageQuerySet.as_manager()

    class Meta:
        ordering = ["article", "start"]
        constraints = [
            models.CheckConstraint(condition=~Q(quote=""), name="evidence_passage_quote_not_empty"),
            models.CheckConstraint(
                condition=Q(end=F("start") + Length("quote")),
                name="evidence_passage_span_matches_quote",
            ),
            models.UniqueConstraint(
                fields=["article", "start"],
                condition=~Q(placement=Placement.ORPHANED),
                name="evidence_passage_one_per_start",
            ),
            choices_check("wording", Wording, "evidence_passage_wording_valid"),
            choices_check("placement", Placement, "evidence_passage_placement_valid"),
            models.CheckConstraint(
                condition=Q(match_score__gte=0) & Q(match_score__lte=100),
                name="evidence_passage_match_score_range",
            ),
            models.CheckConstraint(
                condition=Q(wording=Wording.ACCURATE) | ~Q(wording_note=""),
                name="evidence_passage_wording_note_when_not_accurate",
            ),
        ]

    def __str__(self):
        quote = self.quote if len(self.quote) <= 60 else self.quote[:57] + "…"
        return f"“{quote}”"

    def get_absolute_url(self):
        return f"{self.article.get_absolute_url()}#passage-{self.pk}"

    @property
    def anchor(self):
        return f"passage-{self.pk}"

    @property
    def assessment(self):
        """Its claim's grade and how the article words the claim (``evidence.text.passage_assessment``)."""
        return passage_assessment(self)

    def clean(self):
        if self.wording != Wording.ACCURATE and not self.wording_note.strip():
            raise ValidationError({"wording_note": _("Say in one line how this wording departs from the evidence.")})
        if not self.article_id or not self.quote:
            return
        text = self.article.text
        if self.start is None or self.end is None or text[self.start : self.end] != self.quote:
            raise ValidationError({"quote": _("The article text at these offsets is not this quote.")})
        if not fits_one_block(text, self.start, self.end, self.article.text_format):
            raise ValidationError(
                {
                    "quote": _(
                        "A passage must lie inside one paragraph, heading or list item of the article "
                        "(without a list's “- ” marker)."
                    )
                }
            )
        overlapping = Passage.objects.filter(article_id=self.article_id, start__lt=self.end, end__gt=self.start)
        if self.pk:
            overlapping = overlapping.exclude(pk=self.pk)
        other = overlapping.first()
        if other:
            raise ValidationError({"quote": _("This quote overlaps another passage: %(other)s") % {"other": other}})


class Warning(ReviewSchedule, Reviewed):
    Severity = Severity

    Status = Status

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=200, unique=True)
    severity = models.CharField(
        max_length=20, choices=Severity, help_text=_("How serious the harm is when it happens.")
    )
    certainty = models.CharField(
        max_length=20,
        choices=Certainty,
        default=Certainty.VERY_LOW,
        help_text=_("How sure the evidence lets us be that the harm is real, graded as for a claim."),
    )
    text = models.TextField(help_text=_("Markdown; raw HTML is not rendered."))
    substances = models.ManyToManyField(Substance, blank=True, related_name="warnings")
    studies = models.ManyToManyField(Study, blank=True, related_name="warnings")
    claims = models.ManyToManyField(
        Claim,
        blank=True,
        related_name="warnings",
        help_text=_("Claims this warning bears on: an article making one should mention the warning."),
    )
    mentioned_by = models.ManyToManyField(
        Claim,
        blank=True,
        related_name="mentions_warnings",
        help_text=_("Claims whose statement itself conveys this warning."),
    )

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    objects = WarningQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        permissions = [("publish_warning", "Can approve warnings: publish, withdraw, approve changes")]
        constraints = [
            choices_check("severity", Severity, "evidence_warning_severity_valid"),
            choices_check("certainty", Certainty, "evidence_warning_certainty_valid"),
            choices_check("status", Status, "evidence_warning_status_valid"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("evidence:warning-detail", kwargs={"slug": self.slug})


class UnfoundReference(Versioned):
    """A source an article cites that could not be found; its claim is unverifiable."""

    article = models.ForeignKey(SourceArticle, on_delete=models.PROTECT, related_name="unfound_references")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="unfound_references")
    citation = models.CharField(max_length=300, help_text=_("The reference as the article gives it."))
    searched = models.TextField(help_text=_("What was searched, where, and what was found instead."))

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    class Meta:
        ordering = ["article", "citation"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "claim", "citation"],
                name="evidence_unfoundreference_unique",
            )
        ]

    def __str__(self):
        return f"{self.citation} (cited in {self.article})"


class SlugRedirect(models.Model):
    """A public address that moved: the old slug of a claim, article, warning, substance or study.

    A claim split in two or renamed keeps answering at its old address (301 to its successor),
    because other sites link to it. The target is a slug, not a row, so a chain of renames resolves.
    """

    model = models.CharField(max_length=40, help_text=_("The model's name, e.g. claim or sourcearticle."))
    old_slug = models.SlugField(max_length=120)
    new_slug = models.SlugField(max_length=120)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["model", "old_slug"]
        constraints = [
            models.UniqueConstraint(fields=["model", "old_slug"], name="evidence_slugredirect_one_per_old_slug"),
            models.CheckConstraint(condition=~Q(old_slug=F("new_slug")), name="evidence_slugredirect_not_to_itself"),
        ]

    def __str__(self):
        return f"{self.model}: {self.old_slug} → {self.new_slug}"

    MAX_HOPS = 10

    @classmethod
    def resolve(cls, model, slug):
        """The slug an old address now lives at, following renames; None when it never moved."""
        seen = {slug}
        target = None
        for _hop in range(cls.MAX_HOPS):
            found = cls.objects.filter(model=model, old_slug=slug).values_list("new_slug", flat=True).first()
            if found is None or found in seen:
                break
            seen.add(found)
            target = slug = found
        return target
