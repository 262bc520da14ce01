"""Published releases of the bulk dataset (evidence/dataset/ builds them; /data/ lists them).

A release is a row here plus a zip in the default storage, which every app server reads. It is made
by ``manage.py export_dataset DIR --release`` or an editor in the admin, never on request, and it
is never edited afterwards: the same library content gives the same version and the same bytes.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class DatasetRelease(models.Model):
    version = models.CharField(
        max_length=40,
        unique=True,
        help_text=_("The date of the latest approval it contains and a hash of its content, e.g. 2025.01.31-1a2b3c4d."),
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text=_("When the release was made."))
    content_changed_at = models.DateTimeField(
        null=True, blank=True, help_text=_("The latest approval the data contains (empty for an empty library).")
    )
    file_name = models.CharField(max_length=255, unique=True, help_text=_("The zip's name in the default storage."))
    size = models.PositiveBigIntegerField(help_text=_("The zip's size in bytes."))
    sha256 = models.CharField("SHA-256", max_length=64, unique=True, help_text=_("The zip's SHA-256 checksum."))
    licence = models.CharField(max_length=40, default="CC-BY-4.0")
    counts = models.JSONField(default=dict, blank=True, help_text=_("Rows per table."))
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The editor who made it in the admin; empty when the export_dataset command made it."),
    )

    class Meta:
        ordering = [F("content_changed_at").desc(nulls_last=True), "-pk"]  # newest content first, on every database
        permissions = [("release_datasetrelease", "Can make a dataset release")]
        constraints = [
            models.CheckConstraint(condition=Exact(Length("sha256"), 64), name="evidence_datasetrelease_sha256_length"),
            models.CheckConstraint(condition=Q(size__gt=0), name="evidence_datasetrelease_size_positive"),
            models.CheckConstraint(condition=~Q(version=""), name="evidence_datasetrelease_version_not_empty"),
        ]

    def __str__(self):
        return f"Dataset {self.version}"

    def get_absolute_url(self):
        return reverse("evidence:dataset-download", kwargs={"version": self.version})

    @property
    def download_name(self):
        return f"kratomref-dataset-{self.version}.zip"
