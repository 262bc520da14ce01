"""What an article was before it changed, and what reviewers did with the claim spotter's suggestions.

An article's current text lives on SourceArticle. When a changed text is imported for an article
already in the library, the text it replaces is kept here as an ArticleRevision, with the passages
as they were then, so an earlier revision stays readable at its own address and old citations
still make sense (evidence/services/revisions.py). SpotDecision records each accept, reject and
"new claim needed" on the spotter's suggestions, so its precision can be reported.
"""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from evidence.models.choices import SpotDecisionKind, TextFormat, choices_check


class ArticleRevision(models.Model):
    """An earlier text of an article, exactly as it was imported, with its passages as they were."""

    article = models.ForeignKey("evidence.SourceArticle", on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    text_format = models.CharField(max_length=20, choices=TextFormat)
    content_hash = models.CharField(max_length=64)
    imported_at = models.DateTimeField(help_text=_("When this revision's text was taken (its snapshot)."))
    replaced_at = models.DateTimeField(help_text=_("When the next revision replaced it."))
    passages = models.JSONField(
        default=list,
        help_text=_("The passages as they were: id, claim slug and statement, quote, start, end, wording."),
    )

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="evidence_articlerevision_once"),
            choices_check("text_format", TextFormat, "evidence_articlerevision_text_format_valid"),
            models.CheckConstraint(
                condition=Exact(Length("content_hash"), 64), name="evidence_articlerevision_hash_is_sha256"
            ),
        ]

    def __str__(self):
        return f"{self.article} — revision {self.number}"

    def get_absolute_url(self):
        return reverse("evidence:article-revision", kwargs={"slug": self.article.slug, "number": self.number})


class SpotDecision(models.Model):
    """A reviewer's answer to the spotter's suggestions for one sentence of an article."""

    Kind = SpotDecisionKind

    article = models.ForeignKey("evidence.SourceArticle", on_delete=models.CASCADE, related_name="spot_decisions")
    revision = models.PositiveIntegerField(help_text=_("The article revision the offsets refer to."))
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    sentence = models.TextField()
    decision = models.CharField(max_length=20, choices=SpotDecisionKind)
    claim = models.ForeignKey(
        "evidence.Claim",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The claim accepted, or the best suggestion rejected; for a new claim, the draft created."),
    )
    rank = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Where the accepted claim stood among the suggestions (1 = first).")
    )
    candidates = models.JSONField(default=list, help_text=_("The suggestions shown: claim slug and score."))
    passage = models.ForeignKey("evidence.Passage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_by = models.CharField(max_length=150)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "start", "-decided_at"]
        constraints = [
            choices_check("decision", SpotDecisionKind, "evidence_spotdecision_decision_valid"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="evidence_spotdecision_span_not_empty"),
        ]

    def __str__(self):
        return f"{self.get_decision_display()}: {self.sentence[:60]}"
