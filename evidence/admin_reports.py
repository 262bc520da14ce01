"""Admin for what readers report: errors on pages, articles to review.

Reports come from readers (/report/, evidence/reports.py): no one adds them here, and only
superusers delete them. Reviewers and editors read them and answer each one in writing — answered
or dismissed, recorded with who and when, optionally with the change request that answered it.
"""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from evidence.admin import SafeAutocompleteAdmin, refusal_as_message
from evidence.models import ReaderReport
from evidence.services.desk import report_answer, report_draft

READER_FIELDS = ["created_at", "kind", "page_link", "article_link", "message", "email"]


class AnswerForm(forms.ModelForm):
    """The desk's answer: marking a report answered or dismissed needs a written answer."""

    # Not the model's field: the stored state changes only through report_answer, on save.
    decision = forms.ChoiceField(
        choices=[
            (ReaderReport.State.OPEN, "Keep it open"),
            (ReaderReport.State.ANSWERED, "Answered: the desk acted on it"),
            (ReaderReport.State.DISMISSED, "Dismissed: nothing to change (say why in the answer)"),
        ],
        initial=ReaderReport.State.OPEN,
    )

    class Meta:
        model = ReaderReport
        fields = ["answer", "change_request"]
        help_texts = {"answer": "What the desk did about this report, or why it is dismissed. Required to close it."}

    def clean(self):
        data = super().clean()
        if data.get("decision", ReaderReport.State.OPEN) != ReaderReport.State.OPEN and not (
            (data.get("answer") or "").strip()
        ):
            self.add_error(
                "answer",
                "Write the answer before marking this report answered or dismissed: what the desk did about it, "
                "or why it is dismissed. Nothing was changed.",
            )
        return data


@admin.register(ReaderReport)
class ReaderReportAdmin(SafeAutocompleteAdmin, admin.ModelAdmin):
    form = AnswerForm
    list_display = ["created_at", "kind", "page_link", "short_message", "state"]
    list_filter = ["state", "kind"]
    list_select_related = ["subject_type"]
    date_hierarchy = "created_at"
    search_fields = ["message", "page", "article_url"]
    autocomplete_fields = ["change_request"]
    readonly_fields = [*READER_FIELDS, "answered_by", "answered_at"]
    fieldsets = [
        ("What the reader sent", {"fields": READER_FIELDS}),
        ("The desk's answer", {"fields": ["decision", "answer", "change_request"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is not None and obj.state != ReaderReport.State.OPEN:
            answered = ["state", "answer", "change_request", "answered_by", "answered_at"]
            return [self.fieldsets[0], ("The desk's answer", {"fields": answered})]
        return self.fieldsets

    def has_add_permission(self, request):
        return False  # reports come from readers, through /report/

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.state != ReaderReport.State.OPEN:
            return False  # an answer, once given, stands as recorded
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if data["decision"] == ReaderReport.State.OPEN:  # a draft answer, or the change that will answer it
            report_draft(report=obj, answer=data.get("answer"), change_request=data.get("change_request"))
            return
        answered = report_answer(
            report=obj,
            by=request.user,
            state=data["decision"],
            answer=data["answer"],
            change_request=data.get("change_request"),
        )
        obj.answered_by, obj.answered_at = answered.answered_by, answered.answered_at

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        view = super().changeform_view
        return refusal_as_message(self, request, "saved", view, request, object_id, form_url, extra_context)

    @admin.display(description="Page", ordering="page")
    def page_link(self, obj):
        links = []
        if obj.page:
            links.append(format_html('<a href="{}">{}</a>', obj.page, obj.page))
        if obj.subject_type_id:
            opts = obj.subject_type
            url = reverse(f"admin:{opts.app_label}_{opts.model}_change", args=[obj.subject_id])
            links.append(format_html('<a href="{}">edit the {}</a>', url, opts.name))
        if obj.article_url:
            links.append(
                format_html('<a href="{}" rel="noopener noreferrer nofollow">{}</a>', obj.article_url, obj.article_url)
            )
        return format_html_join(" · ", "{}", ((link,) for link in links)) or "—"

    @admin.display(description="Article to review")
    def article_link(self, obj):
        if not obj.article_url:
            return "—"
        return format_html('<a href="{}" rel="noopener noreferrer nofollow">{}</a>', obj.article_url, obj.article_url)

    @admin.display(description="Message")
    def short_message(self, obj):
        return Truncator(obj.message).chars(90)
