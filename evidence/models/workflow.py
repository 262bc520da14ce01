"""The review workflow's records: pending changes to public items, and claim review versions.

See docs/decisions/0001-pending-changes-and-versions.md for why public items change through
change requests (copy-on-write) rather than in place.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from evidence.models.choices import choices_check


class ChangeState(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ChangeAction(models.TextChoices):
    CREATE = "create", _("Add")
    UPDATE = "update", _("Change")
    DELETE = "delete", _("Remove")


class ChangeRequest(models.Model):
    """Changes one person proposes to one public item (a claim with its evidence, passages and
    unfound references; a warning; an article; a study; a substance). The public keeps seeing the
    approved state until a second person approves; then every item is applied in one transaction."""

    State = ChangeState

    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    subject_label = models.CharField(max_length=300, help_text=_("The item as curators knew it when proposed."))
    state = models.CharField(max_length=20, choices=State, default=ChangeState.PENDING)
    note = models.TextField(blank=True, help_text=_("What changes and why; the approver completes it."))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="change_requests",
        help_text=_("Empty for a system actor such as the seed library."),
    )
    submitted_by_system = models.CharField(max_length=60, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    override_reason = models.TextField(
        blank=True, help_text=_("Why a superuser approved a change they proposed themselves.")
    )
    corrects_error = models.BooleanField(
        default=False,
        help_text=_("The change corrects an error readers saw; it is listed in the public corrections log."),
    )

    class Meta:
        ordering = ["submitted_at", "pk"]
        permissions = [("approve_changerequest", "Can approve or reject changes to public items")]
        indexes = [models.Index(fields=["subject_type", "subject_id", "state"], name="evidence_changereq_subject")]
        constraints = [
            choices_check("state", ChangeState, "evidence_changerequest_state_valid"),
            models.CheckConstraint(
                condition=Q(state="pending") | Q(decided_at__isnull=False),
                name="evidence_changerequest_decided_has_date",
            ),
        ]

    def __str__(self):
        return f"Change {self.pk} to “{self.subject_label}” ({self.get_state_display().lower()})"

    def get_absolute_url(self):
        return reverse("admin:evidence_changerequest_change", args=[self.pk])

    @property
    def submitter_name(self):
        if self.submitted_by_id:
            return self.submitted_by.get_username()
        return self.submitted_by_system or "system"


class ChangeItem(models.Model):
    """One proposed write: create, update or delete one row, with its field values as JSON."""

    Action = ChangeAction

    request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="items")
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text=_("Empty until an addition is applied.")
    )
    target_label = models.CharField(max_length=300)
    action = models.CharField(max_length=20, choices=ChangeAction)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    before = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    base_version = models.BigIntegerField(
        null=True, blank=True, help_text=_("The row's edit version when proposed; approval refuses a moved row.")
    )

    class Meta:
        ordering = ["request", "pk"]
        constraints = [
            choices_check("action", ChangeAction, "evidence_changeitem_action_valid"),
            models.CheckConstraint(
                condition=Q(action="create") | Q(target_id__isnull=False, base_version__isnull=False),
                name="evidence_changeitem_existing_row_has_id_and_version",
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.target_type.name}: {self.target_label}"


class ClaimVersion(models.Model):
    """An immutable record of a claim review as the public read it after one approval."""

    claim = models.ForeignKey("evidence.Claim", on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    approved_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the approver is unknown or a system actor approved."),
    )
    approved_by_system = models.CharField(max_length=60, blank=True)
    change_note = models.TextField()
    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="claim_versions"
    )
    snapshot = models.JSONField(encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["claim", "number"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "number"], name="evidence_claimversion_one_per_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="evidence_claimversion_number_positive"),
            models.CheckConstraint(condition=~Q(change_note=""), name="evidence_claimversion_has_note"),
        ]

    def __str__(self):
        return f"{self.snapshot.get('statement', self.claim_id)} — version {self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None or kwargs.get("force_update"):
            raise ValidationError("A review version is immutable; record a new version instead.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("A review version is immutable and cannot be deleted.")

    @property
    def approver_name(self):
        if self.approved_by_id:
            return self.approved_by.get_username()
        return self.approved_by_system or "unknown"
