"""The curators' tool. Reviewers draft and submit; editors publish and withdraw.

The publish rule is enforced on the server in three places: the status field offers a
reviewer only draft and in-review (a crafted POST fails validation), the publish and withdraw
actions exist only for editors, and the services refuse anyone without the permission.
"""

import itertools

from concurrency.admin import ConcurrentModelAdmin
from concurrency.config import CONCURRENCY_LIST_EDITABLE_POLICY_ABORT_ALL
from concurrency.forms import ConcurrentForm
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from simple_history.admin import SimpleHistoryAdmin

from evidence import services
from evidence.models import (
    REVIEWER_STATUSES,
    Claim,
    Evidence,
    Passage,
    SourceArticle,
    Status,
    Study,
    Substance,
    UnfoundReference,
    Warning,
    text_hash,
)
from evidence.text import (
    ArticleFormatError,
    QuoteAmbiguous,
    QuoteNotFound,
    locate_quote,
    parse_article,
)


class PassageLockMixin:
    """Reviewers may not change or delete a passage once its claim is public."""

    def _locked(self, request, obj):
        return obj is not None and not services.can_publish(request.user, Claim) and passage_is_public(obj)

    def has_change_permission(self, request, obj=None):
        return not self._locked(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(request, obj) and super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.can_publish = services.can_publish(request.user, Claim)
        return form


class HistoryAdmin(SimpleHistoryAdmin):
    """History is for reading: who changed what, when. Reverting would bypass the review rules,
    so a change is made by editing the item, where those rules apply."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("History is read-only; edit the item itself to change it.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class PassageForm(forms.ModelForm):
    """Reviewers paste a quote; the form finds it in the article text and sets the offsets."""

    can_publish = True  # set per request: reviewers may not change passages of published claims

    class Meta:
        model = Passage
        fields = ["article", "claim", "quote", "wording", "wording_note"]
        widgets = {"quote": forms.Textarea(attrs={"rows": 2, "cols": 60})}

    def clean(self):
        data = super().clean()
        if self.instance.pk and not self.can_publish and self.has_changed() and passage_is_public(self.instance):
            raise ValidationError("Only editors can change a passage of a published claim.")
        quote = data.get("quote")
        article = data.get("article")
        if article is None and self.instance.article_id:
            article = self.instance.article
        if not quote or article is None:
            return data
        unchanged = self.instance.pk and quote == self.instance.quote and article.pk == self.instance.article_id
        if unchanged:
            return data
        try:
            start = locate_quote(article.text, quote)
        except (QuoteNotFound, QuoteAmbiguous) as error:
            self.add_error("quote", str(error))
            return data
        self.instance.article = article
        self.instance.quote = quote
        services.passage_place(passage=self.instance, start=start)
        if data.get("wording") not in (
            None,
            "",
            Passage.Wording.ACCURATE,
        ) and not data.get("wording_note"):
            self.add_error(
                "wording_note",
                "Say in one line how this wording departs from the evidence.",
            )
        return data


def passage_is_public(passage):
    """Whether the stored passage belongs to a claim the public can see (or saw)."""
    status = Passage.objects.filter(pk=passage.pk).values_list("claim__status", flat=True).first()
    return status is not None and status not in REVIEWER_STATUSES


class PassageFormSet(forms.BaseInlineFormSet):
    """Checks what a single form cannot: overlaps between rows, and who may delete a row."""

    can_publish = True

    def clean(self):
        super().clean()
        spans = []
        for form in self.forms:
            if not getattr(form, "cleaned_data", None):
                continue
            if self.can_delete and self._should_delete_form(form):
                if form.instance.pk and not self.can_publish and passage_is_public(form.instance):
                    raise ValidationError("Only editors can remove a passage of a published claim.")
                continue
            passage = form.instance
            if passage.article_id and passage.start is not None and passage.end is not None:
                spans.append((passage.article_id, passage.start, passage.end, passage.quote))
        spans.sort()
        for before, after in itertools.pairwise(spans):
            if before[0] == after[0] and after[1] < before[2]:
                raise ValidationError(f"Two passages overlap: “{before[3][:60]}” and “{after[3][:60]}”.")


class PassageInlineForArticle(admin.TabularInline):
    model = Passage
    form = PassageForm
    formset = PassageFormSet
    fields = ["quote", "claim", "wording", "wording_note", "start", "end", "placement"]
    readonly_fields = ["start", "end", "placement"]
    autocomplete_fields = ["claim"]
    extra = 0
    show_change_link = True

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.can_publish = formset.form.can_publish = services.can_publish(request.user, Claim)
        return formset

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim", "article").defer("article__text")


class PassageInlineForClaim(PassageInlineForArticle):
    fields = [
        "article",
        "quote",
        "wording",
        "wording_note",
        "start",
        "end",
        "placement",
    ]
    autocomplete_fields = ["article"]


class EvidenceInline(admin.TabularInline):
    model = Evidence
    fields = ["study", "direction", "note"]
    autocomplete_fields = ["study"]
    extra = 0
    show_change_link = True


class StatusAdminMixin:
    """Status changes go through the model's service; reviewers cannot publish or withdraw."""

    status_service = None  # staticmethod(services.<model>_set_status) in subclasses
    actions = ["submit_for_review", "publish_selected", "withdraw_selected"]

    def has_publish_permission(self, request):
        return services.can_publish(request.user, self.model)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status not in REVIEWER_STATUSES and not self.has_publish_permission(request):
            return False
        return super().has_change_permission(request, obj)

    def _restrict_status(self, request, form):
        if "status" in form.base_fields and not self.has_publish_permission(request):
            form.base_fields["status"].choices = [c for c in Status.choices if c[0] in REVIEWER_STATUSES]
        return form

    def get_form(self, request, obj=None, change=False, **kwargs):
        return self._restrict_status(request, super().get_form(request, obj, change=change, **kwargs))

    def get_changelist_formset(self, request, **kwargs):
        # modelformset_factory rebuilds the form's fields, so restrict the form it finally uses.
        formset = super().get_changelist_formset(request, **kwargs)
        self._restrict_status(request, formset.form)
        return formset

    def get_readonly_fields(self, request, obj=None):
        # A public address is permanent: the slug is fixed once the item has been published.
        fixed = ["slug"] if obj is not None and obj.published_at else []
        return [*super().get_readonly_fields(request, obj), *fixed]

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None and obj.published_at else super().get_prepopulated_fields(request, obj)

    def save_model(self, request, obj, form, change):
        wanted = obj.status
        stored = type(obj).objects.filter(pk=obj.pk).values_list("status", flat=True).first() if change else None
        previous = stored or Status.DRAFT
        obj.status = previous
        obj._history_user = request.user
        super().save_model(request, obj, form, change)
        if wanted != previous:
            self._set_status(obj, wanted, request.user)

    def _set_status(self, obj, status, user):
        keyword = self.model._meta.model_name
        self.status_service(**{keyword: obj, "status": status, "by": user})

    def _bulk_status(self, request, queryset, status):
        done = 0
        for obj in queryset:
            try:
                self._set_status(obj, status, request.user)
                done += 1
            except (PermissionDenied, ValidationError) as error:
                message = error.messages[0] if isinstance(error, ValidationError) else str(error)
                self.message_user(request, f"{obj}: {message}", messages.ERROR)
        if done:
            self.message_user(
                request,
                f"{done} item(s) now “{Status(status).label}”.",
                messages.SUCCESS,
            )

    @admin.action(description="Submit selected for review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        self._bulk_status(request, queryset, Status.IN_REVIEW)

    @admin.action(description="Publish selected", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self._bulk_status(request, queryset, Status.PUBLISHED)

    @admin.action(description="Withdraw selected", permissions=["publish"])
    def withdraw_selected(self, request, queryset):
        self._bulk_status(request, queryset, Status.WITHDRAWN)


class LockedForm(ConcurrentForm):
    """Refuses to save over a change someone else made after this form was opened."""

    def clean(self):
        name = self.instance._concurrencymeta.field.name
        if self.instance.pk and name in self.cleaned_data:
            stored = type(self.instance).objects.filter(pk=self.instance.pk).values_list(name, flat=True).first()
            if stored != self.cleaned_data[name]:
                raise ValidationError(
                    "Someone else changed this %(name)s after you opened it, so your changes were not saved. "
                    "Open it again from the list to see their version, then make your edit again.",
                    params={"name": self.instance._meta.verbose_name},
                )
        return forms.ModelForm.clean(self)


class LockedAdmin(ConcurrentModelAdmin):
    form = LockedForm
    # A conflict found while saving raises instead of being reported as a success.
    list_editable_policy = CONCURRENCY_LIST_EDITABLE_POLICY_ABORT_ALL

    def response_action(self, request, queryset):
        # Each selected row carries the version the list showed ("pk,version"); a bare pk is refused.
        try:
            return super().response_action(request, queryset)
        except ImproperlyConfigured:
            self.message_user(request, "The selection was out of date; select the items again.", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ClaimForm(LockedForm):
    class Meta:
        model = Claim
        fields = ["statement", "slug", "topic", "substances", "verdict", "certainty", "summary", "status", "version"]

    def clean(self):
        data = super().clean()
        if data.get("status") == Status.PUBLISHED and not (data.get("summary") or "").strip():
            self.add_error("summary", "A claim needs a reviewer's summary before it is published.")
        return data


@admin.register(Claim)
class ClaimAdmin(StatusAdminMixin, LockedAdmin, HistoryAdmin):
    status_service = staticmethod(services.claim_set_status)
    form = ClaimForm
    list_display = [
        "statement",
        "topic",
        "verdict",
        "certainty",
        "status",
        "evidence_count",
        "passage_count",
    ]
    list_filter = ["status", "verdict", "certainty", "topic", "substances"]
    search_fields = ["statement", "slug", "summary"]
    prepopulated_fields = {"slug": ["statement"]}
    autocomplete_fields = ["substances"]
    readonly_fields = ["published_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["statement", "slug", "topic", "substances"]}),
        ("Grade", {"fields": ["verdict", "certainty", "summary"]}),
        ("Status", {"fields": ["status", "published_at", "created_at", "updated_at", "version"]}),
    ]
    inlines = [EvidenceInline, PassageInlineForClaim]

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts()

    @admin.display(description="Evidence", ordering="evidence_count")
    def evidence_count(self, obj):
        return obj.evidence_count

    @admin.display(description="Passages", ordering="passage_count")
    def passage_count(self, obj):
        return obj.passage_count


class ArticleImportForm(forms.ModelForm):
    """Adding an article in the admin imports pasted text, exactly as the command does."""

    class Meta:
        model = SourceArticle
        fields = ["source_name", "original_url", "site", "text"]

    def clean_text(self):
        # Browsers send a textarea's line breaks as CRLF (HTML spec); the article's own are LF.
        return self.cleaned_data["text"].replace("\r\n", "\n")

    def clean(self):
        data = super().clean()
        text = data.get("text")
        if text:
            try:
                parse_article(text)
            except ArticleFormatError as error:
                self.add_error("text", f"Not a source article: {error}")
            existing = SourceArticle.objects.filter(content_hash=text_hash(text)).first()
            if existing:
                self.add_error("text", f"This text is already in the library as “{existing.title}”.")
        return data


@admin.register(SourceArticle)
class SourceArticleAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "source_name",
        "stated_author",
        "passage_total",
        "imported_at",
    ]
    search_fields = ["title", "source_name", "stated_author", "site"]
    list_filter = ["site"]
    readonly_fields = ["slug", "text", "content_hash", "imported_at", "source_name"]  # slug: a permanent address
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "source_name",
                    "original_url",
                    "site",
                    "published_on",
                ]
            },
        ),
        ("Stated author", {"fields": ["stated_author", "stated_credentials"]}),
        (
            "Text as imported",
            {
                "fields": ["text", "content_hash", "imported_at"],
                "classes": ["collapse"],
            },
        ),
    ]
    inlines = [PassageInlineForArticle]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(passage_total=Count("passages"))

    @admin.display(description="Passages", ordering="passage_total")
    def passage_total(self, obj):
        return obj.passage_total

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ArticleImportForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["source_name", "original_url", "site", "text"]})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        result = services.article_import(
            text=obj.text,
            source_name=obj.source_name,
            original_url=obj.original_url,
            site=obj.site,
        )
        obj.__dict__.update(result.article.__dict__)  # the admin's messages and redirect use the stored row


@admin.register(Study)
class StudyAdmin(HistoryAdmin):
    list_display = [
        "key",
        "short_citation",
        "design",
        "population",
        "year",
        "is_verified",
        "claim_total",
    ]
    list_filter = ["design", "population", "is_verified", "authors_confirmed"]
    search_fields = ["key", "title", "authors", "doi", "pmid", "venue"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "key",
                    "title",
                    "title_is_descriptive",
                    "authors",
                    "authors_confirmed",
                    "venue",
                    "year",
                ]
            },
        ),
        (
            "Identifiers",
            {"fields": ["doi", "pmid", "pmcid", "url", "is_verified", "verified_on"]},
        ),
        (
            "Study",
            {"fields": ["design", "population", "sample_size", "finding", "notes"]},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_total=Count("evidence"))

    @admin.display(description="Claims", ordering="claim_total")
    def claim_total(self, obj):
        return obj.claim_total


@admin.register(Substance)
class SubstanceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "scientific_name", "parent"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug", "scientific_name", "synonyms"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]


@admin.register(Warning)
class WarningAdmin(StatusAdminMixin, LockedAdmin, HistoryAdmin):
    status_service = staticmethod(services.warning_set_status)
    list_display = ["title", "severity", "status", "study_total"]
    list_filter = ["status", "severity", "substances"]
    search_fields = ["title", "slug", "text"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["substances", "studies", "claims", "mentioned_by"]
    readonly_fields = ["published_at", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {"fields": ["title", "slug", "severity", "text", "substances", "studies"]},
        ),
        ("Claims", {"fields": ["claims", "mentioned_by"]}),
        ("Status", {"fields": ["status", "published_at", "created_at", "updated_at", "version"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(study_total=Count("studies"))

    @admin.display(description="Studies", ordering="study_total")
    def study_total(self, obj):
        return obj.study_total


@admin.register(Passage)
class PassageAdmin(PassageLockMixin, HistoryAdmin):
    form = PassageForm
    list_display = ["__str__", "article", "claim", "wording", "placement"]
    list_filter = ["wording", "placement", "claim__verdict"]
    list_select_related = ["article", "claim"]
    search_fields = ["quote", "claim__statement", "article__title"]
    autocomplete_fields = ["article", "claim"]
    readonly_fields = ["start", "end", "prefix", "suffix", "placement", "match_score"]


@admin.register(UnfoundReference)
class UnfoundReferenceAdmin(admin.ModelAdmin):
    list_display = ["citation", "article", "claim"]
    list_select_related = ["article", "claim"]
    search_fields = ["citation", "searched"]
    autocomplete_fields = ["article", "claim"]
