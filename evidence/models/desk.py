"""The curation desk's records: review schedules, reviewers' public profiles, publishers' notices
about studies (retractions, corrections, concerns) and what readers report.

See docs/decisions/0005-curation-desk.md.
"""

import calendar
import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from evidence.models.choices import NoticeNature, ReportKind, ReportState, choices_check


def add_months(day, months):
    """``day`` moved ``months`` calendar months on, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class ReviewSchedule(models.Model):
    """When a published claim or warning was last reviewed, by whom, and when it is due again.

    Publishing, approving a change, and a re-review that changes nothing each move "last reviewed"
    (evidence/services/desk.py); the next due date follows from the interval curators set per item.
    """

    DEFAULT_INTERVAL_MONTHS = 12

    last_reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_("Empty when a system actor (the seed library) published it."),
    )
    review_interval_months = models.PositiveSmallIntegerField(
        default=DEFAULT_INTERVAL_MONTHS,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("How long a review stands before it is due again (1–60 months)."),
    )
    next_review_due = models.DateField(null=True, blank=True, editable=False, db_index=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        due = add_months(self.last_reviewed_at.date(), self.review_interval_months) if self.last_reviewed_at else None
        if due != self.next_review_due:
            self.next_review_due = due
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "next_review_due"}
        return super().save(*args, **kwargs)


class ReviewerProfile(models.Model):
    """How a curator appears to readers. Unnamed curators appear as the team, by role."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile")
    show_name = models.BooleanField(
        default=False, help_text=_("Name me on the pages I review. Unticked, readers see “the KratomRef editors”.")
    )
    public_name = models.CharField(max_length=120, blank=True, help_text=_("As readers should see it."))
    slug = models.SlugField(max_length=120, unique=True, help_text=_("The address of your public profile."))
    credentials = models.TextField(blank=True, help_text=_("Qualifications and experience relevant to reviewing."))
    conflicts_of_interest = models.TextField(
        blank=True, help_text=_("Financial or other interests in kratom, or “None declared”.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["public_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(show_name=False) | (~Q(public_name="") & ~Q(conflicts_of_interest="")),
                name="evidence_reviewerprofile_named_has_name_and_conflicts",
            )
        ]

    def __str__(self):
        return self.public_name or self.user.get_username()

    def get_absolute_url(self):
        return reverse("evidence:reviewer-detail", kwargs={"slug": self.slug})


class StudyNotice(models.Model):
    """A publisher's notice about a study: retraction, expression of concern, correction, reinstatement."""

    Nature = NoticeNature

    study = models.ForeignKey("evidence.Study", on_delete=models.CASCADE, related_name="notices")
    nature = models.CharField(max_length=20, choices=NoticeNature)
    notice_date = models.DateField(null=True, blank=True)
    notice_url = models.URLField(max_length=500, blank=True)
    notice_doi = models.CharField("Notice DOI", max_length=200, blank=True)
    reason = models.TextField(blank=True)
    source = models.CharField(max_length=120, help_text=_("Where the notice was found, e.g. Retraction Watch."))
    record_id = models.CharField(max_length=60, help_text=_("The notice's identifier in its source."))
    imported_at = models.DateTimeField(auto_now_add=True)

    # Most serious first: the badge a reader sees is the first notice in this order.
    SEVERITY = [NoticeNature.RETRACTION, NoticeNature.CONCERN, NoticeNature.CORRECTION, NoticeNature.REINSTATEMENT]

    class Meta:
        ordering = ["study", "-notice_date", "pk"]
        constraints = [
            choices_check("nature", NoticeNature, "evidence_studynotice_nature_valid"),
            models.UniqueConstraint(fields=["study", "source", "record_id"], name="evidence_studynotice_once"),
        ]

    def __str__(self):
        return f"{self.get_nature_display()}: {self.study.key}"

    @property
    def link(self):
        return self.notice_url or (f"https://doi.org/{self.notice_doi}" if self.notice_doi else "")

    @property
    def is_red(self):
        return self.nature == NoticeNature.RETRACTION


class ReaderReport(models.Model):
    """What a reader sent: an error on a page, or an article they ask the library to review."""

    Kind = ReportKind
    State = ReportState
    MESSAGE_LIMIT = 2000

    kind = models.CharField(max_length=10, choices=ReportKind)
    page = models.CharField(max_length=300, blank=True, help_text=_("The page the reader reported, as a path."))
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    article_url = models.URLField(max_length=500, blank=True, help_text=_("The article a reader asks us to review."))
    message = models.TextField(max_length=MESSAGE_LIMIT)
    email = models.EmailField(blank=True, help_text=_("Optional; only for answering this report."))
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=10, choices=ReportState, default=ReportState.OPEN)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True, help_text=_("What the desk did about it."))
    change_request = models.ForeignKey(
        "evidence.ChangeRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reader_reports",
        help_text=_("The change that answered it, when one did."),
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            choices_check("kind", ReportKind, "evidence_readerreport_kind_valid"),
            choices_check("state", ReportState, "evidence_readerreport_state_valid"),
            models.CheckConstraint(condition=~Q(message=""), name="evidence_readerreport_has_message"),
            models.CheckConstraint(
                condition=Q(state="open") | (Q(answered_at__isnull=False) & ~Q(answer="")),
                name="evidence_readerreport_answered_has_answer",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.page or self.article_url}"[:120]
