"""Admin for publishers' notices about studies (retractions, concerns, corrections).

Notices are verified external records, written only by ``import_retractions``
(evidence/services/notices.py): here curators read them, and nobody adds, edits or deletes one.
Whoever may view studies may view their notices.
"""

from django.contrib import admin
from django.utils.html import format_html

from evidence.models import StudyNotice

FIELDS = [
    "study",
    "nature",
    "notice_date",
    "notice_link",
    "notice_doi",
    "reason",
    "source",
    "record_id",
    "imported_at",
]


@admin.register(StudyNotice)
class StudyNoticeAdmin(admin.ModelAdmin):
    list_display = ["study", "nature", "notice_date", "source", "imported_at"]
    list_filter = ["nature", "source"]
    list_select_related = ["study"]
    search_fields = ["study__key", "study__doi", "study__pmid", "record_id"]
    date_hierarchy = "notice_date"
    fields = FIELDS
    readonly_fields = FIELDS

    def has_view_permission(self, request, obj=None):
        user = request.user
        return (
            user.is_active
            and user.is_staff
            and (user.has_perm("evidence.view_studynotice") or user.has_perm("evidence.view_study"))
        )

    def has_add_permission(self, request):
        return False  # notices come from import_retractions

    def has_change_permission(self, request, obj=None):
        return False  # a notice is the publisher's record, kept as imported

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Notice")
    def notice_link(self, obj):
        return format_html('<a href="{0}" rel="nofollow noopener">{0}</a>', obj.link) if obj.link else "—"
