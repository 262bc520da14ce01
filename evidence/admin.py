"""The curators' tool. Every save, delete and action goes through evidence/services.

Reviewers and editors edit drafts directly. A change to anything the public sees — a claim, its
evidence, passages and unfound references, a warning, an article, a study, a substance — becomes
a pending change that another editor approves under "Changes waiting for approval"; until then
the public keeps reading the approved state. Publishing needs a change note and a second person.
"""

import datetime
import itertools

from concurrency.admin import ConcurrentModelAdmin
from concurrency.config import CONCURRENCY_LIST_EDITABLE_POLICY_ABORT_ALL
from concurrency.forms import ConcurrentForm
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from simple_history.admin import SimpleHistoryAdmin

from evidence import dataset, services
from evidence.admin_import import ArticleImportForm
from evidence.models import (
    ChangeItem,
    ChangeRequest,
    Claim,
    ClaimVersion,
    DatasetRelease,
    Evidence,
    Passage,
    ReaderReport,
    SourceArticle,
    Status,
    Study,
    Substance,
    UnfoundReference,
    Warning,
)
from evidence.services import desk
from evidence.services.workflow import TRANSITIONS, WORKFLOW_FIELDS
from evidence.text import QuoteAmbiguous, QuoteNotFound, match_quote

WRITE_ERRORS = (ValidationError, PermissionDenied)
STALE_MESSAGE = (
    "Someone else changed this %(name)s after you opened it, so your changes were not saved. "
    "Open it again from the list to see their version, then make your edit again."
)


def error_text(error):
    return "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)


# --- forms ----------------------------------------------------------------------------------------


class LockedForm(ConcurrentForm):
    """Refuses to save over a change someone else made after this form was opened; carries the
    submitter's change note. The services check the version again under a row lock."""

    change_note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="What changes for readers, and why. Needed to publish; shown to the approving editor.",
    )

    def clean(self):
        name = self.instance._concurrencymeta.field.name
        if self.instance.pk and name in self.cleaned_data:
            stored = type(self.instance).objects.filter(pk=self.instance.pk).values_list(name, flat=True).first()
            if stored != self.cleaned_data[name]:
                raise ValidationError(STALE_MESSAGE, params={"name": self.instance._meta.verbose_name})
        return forms.ModelForm.clean(self)


class LockedInlineForm(LockedForm):
    change_note = None  # the parent form's note covers the whole save


class StatusForm(LockedForm):
    """A reviewed item's form: the status field offers only the moves the workflow allows this user."""

    user = None  # set per request by ReviewedAdmin.get_form

    status = forms.ChoiceField(choices=Status.choices, required=False)
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Superusers only: why you approve an item you changed yourself (kept in the history).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.status if self.instance.pk else Status.DRAFT
        allowed = [current] + [to for (frm, to) in TRANSITIONS if frm == current and self._may(to)]
        self.fields["status"].choices = [c for c in Status.choices if c[0] in allowed]
        self.fields["status"].initial = current
        if not (self.user and self.user.is_superuser):
            del self.fields["override_reason"]
        # A post that leaves out a field added later (an older open form, a script) keeps the item's value.
        for name in ("review_interval_months", "certainty"):
            if name in self.fields and self.is_bound and name not in self.data:
                self.data = self.data.copy()
                self.data[name] = getattr(self.instance, name)

    def _may(self, status):
        rule = TRANSITIONS[(self.instance.status if self.instance.pk else Status.DRAFT, status)]
        return rule.permission == "change" or services.can_publish(self.user, self._meta.model)

    def clean(self):
        data = super().clean()
        wanted = data.get("status") or (self.instance.status if self.instance.pk else Status.DRAFT)
        current = self.instance.status if self.instance.pk else Status.DRAFT
        if wanted == current:
            return data
        if not self.instance.pk:
            self.add_error("status", "Save the new item first; it starts as a draft.")
            return data
        edited = [name for name in self.changed_data if name not in ("status", "change_note", "override_reason")]
        if wanted == Status.PUBLISHED and edited and not data.get("override_reason"):
            self.add_error(
                "status",
                "You changed this item in this save, so another editor must publish it. Save your edits; "
                "an editor who did not make them publishes it.",
            )
            return data
        try:
            services.status_change(
                obj=self.instance,
                status=wanted,
                by=self.user,
                note=data.get("change_note") or "",
                override_reason=data.get("override_reason") or "",
                dry_run=True,
            )
        except WRITE_ERRORS as error:
            self.add_error("status", error_text(error))
        return data


class PassageForm(LockedInlineForm):
    """Reviewers paste a quote; the form finds it in the article text and sets the offsets."""

    class Meta:
        model = Passage
        fields = ["article", "claim", "quote", "wording", "wording_note", "version"]
        widgets = {"quote": forms.Textarea(attrs={"rows": 2, "cols": 60})}

    def clean(self):
        data = super().clean()
        quote = data.get("quote")
        article = data.get("article")
        if article is None and self.instance.article_id:
            article = self.instance.article
        if not quote or article is None:
            return data
        if self.instance.pk and quote == self.instance.quote and article.pk == self.instance.article_id:
            return data
        try:
            start, quote = match_quote(article.text, quote)  # the article's own characters
        except (QuoteNotFound, QuoteAmbiguous) as error:
            self.add_error("quote", str(error))
            return data
        data["quote"] = quote
        self.instance.article = article
        self.instance.quote = quote
        services.passage_place(passage=self.instance, start=start)
        return data


def placement_shown(passage):
    """A passage's placement, or that its quote has not been located yet (nothing is exact before it is found)."""
    if passage is None or passage.pk is None:
        return "Not located yet: the quote is found in the article when you save."
    return passage.get_placement_display()


# Long columns an admin row never shows for a related item: inline querysets and autocomplete
# fields leave them out (an article's text is tens of kilobytes).
HEAVY_FIELDS = {SourceArticle: ["text"], Claim: ["summary"], Study: ["finding", "notes"]}


def deferred_related(queryset, *names):
    """``queryset`` joined to its related items ``names``, without their heavy columns."""
    related = [(name, queryset.model._meta.get_field(name).related_model) for name in names]
    heavy = [f"{name}__{column}" for name, model in related for column in HEAVY_FIELDS.get(model, [])]
    return queryset.select_related(*names).defer(*heavy)


class PreloadedFormSet(forms.BaseInlineFormSet):
    """Gives each row's autocomplete widgets the related objects the row's queryset already joined,
    so a change form with 50 inline rows does not run a query per row to label them."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        instance = form.instance
        for name, formfield in form.fields.items():
            widget = getattr(formfield.widget, "widget", formfield.widget)  # inside RelatedFieldWidgetWrapper
            if not isinstance(widget, SafeAutocompleteMixin):
                continue
            field = instance._meta.get_field(name)
            related = field.get_cached_value(instance, default=None) if field.is_relation else None
            if related is not None:
                widget.preloaded = {str(related.pk): related}
        return form


class PassageFormSet(PreloadedFormSet):
    """Checks what a single form cannot: overlaps between the rows of one save."""

    def clean(self):
        super().clean()
        spans = []
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or (self.can_delete and self._should_delete_form(form)):
                continue
            passage = form.instance
            if passage.article_id and passage.start is not None and passage.end is not None:
                spans.append((passage.article_id, passage.start, passage.end, passage.quote))
        spans.sort()
        for before, after in itertools.pairwise(spans):
            if before[0] == after[0] and after[1] < before[2]:
                raise ValidationError(f"Two passages overlap: “{before[3][:60]}” and “{after[3][:60]}”.")


# --- writing through the services ------------------------------------------------------------------


def refusal_as_message(model_admin, request, done, view, *args):
    """Run an admin POST in one transaction; a refusal the form could not foresee (a simultaneous
    save, a permission lost, a proposal gone stale) rolls it back and becomes a message, not a 500."""
    if request.method != "POST":
        return view(*args)
    try:
        with transaction.atomic():
            return view(*args)
    except WRITE_ERRORS as error:
        model_admin.message_user(request, f"Nothing was {done}: {error_text(error)}", messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())


def with_review_lock(model_admin, request, object_id, view, *args):
    """Opening an item for review takes its soft lock (evidence/services/desk.py) and says who else
    is on it; a successful save, approval or rejection lets it go."""
    obj = model_admin.get_object(request, object_id) if object_id else None
    if obj is None or not model_admin.has_change_permission(request, obj):
        return view(*args)
    if request.method != "POST":
        outcome = desk.lock_open(obj, request.user)
        if outcome.held_by:
            lock = outcome.held_by
            model_admin.message_user(
                request,
                f"Being reviewed by {lock.name} since {localtime(lock.since):%H:%M} (marked until "
                f"{localtime(lock.until):%H:%M}). Read it freely; ask {lock.name} before changing it, so you "
                "do not do the same work twice.",
                messages.WARNING,
            )
        elif outcome.lapsed:
            lock = outcome.lapsed
            model_admin.message_user(
                request,
                f"{lock.name}'s review of this item, opened at {localtime(lock.since):%H:%M}, lapsed at "
                f"{localtime(lock.until):%H:%M}; it is now marked as yours. Nothing was lost: a save made from "
                "an older copy is refused, never written over a newer one.",
                messages.INFO,
            )
        return view(*args)
    response = view(*args)
    if response.status_code in (301, 302, 303) and request.path not in response.get("Location", ""):
        desk.lock_release(obj, request.user)
    return response


PLACEMENT_FIELDS = ("start", "end", "prefix", "suffix", "placement", "match_score")


def form_values(form):
    """The model fields a form edits, split into plain values and many-to-many lists."""
    values, m2m = {}, {}
    model = form._meta.model
    for name in form.cleaned_data:
        if name in WORKFLOW_FIELDS or name not in form.fields:
            continue
        try:
            field = model._meta.get_field(name)
        except Exception:  # a form-only field such as change_note
            continue
        if field.many_to_many:
            m2m[name] = list(form.cleaned_data[name])
        elif field.concrete and not field.auto_created:
            values[name] = getattr(form.instance, name) if not field.is_relation else form.cleaned_data[name]
    if model is Passage:
        values.update({name: getattr(form.instance, name) for name in PLACEMENT_FIELDS})
    return values, m2m


class SafeAutocompleteMixin:
    """Admin autocomplete widgets re-render a refused form; a value that is not an id (``abc``)
    would make them fail while rendering, so they show only the values that are ids.

    Django's widget fetches its selected row to label it: one query per inline row. An inline's
    formset (``PreloadedFormSet``) hands each row's widget the related object its queryset already
    joined (``preloaded``), so rows render without a query; any other value is fetched as before."""

    preloaded = None  # {str(pk): object}, set per form by PreloadedFormSet

    def optgroups(self, name, value, attr=None):
        pk = self.field.remote_field.model._meta.pk
        kept = []
        for item in value:
            try:
                pk.to_python(item)
            except ValidationError:
                continue
            kept.append(item)
        known = self.preloaded or {}
        selected = [str(item) for item in kept if str(item) not in self.choices.field.empty_values]
        if selected and all(item in known for item in selected) and self.field.remote_field.field_name == pk.name:
            return self.preloaded_optgroups(name, [known[item] for item in selected])
        return super().optgroups(name, kept, attr)

    def preloaded_optgroups(self, name, objects):
        """What Django's ``optgroups`` returns, built from objects already loaded."""
        options = []
        if not self.is_required and not self.allow_multiple_selected:
            options.append(self.create_option(name, "", "", False, 0))
        selected = {str(obj.pk) for obj in objects}
        for obj in objects:
            label = self.choices.field.label_from_instance(obj)
            options.append(self.create_option(name, obj.pk, label, selected, len(options)))
        return [(None, options, 0)]


class SafeAutocompleteSelect(SafeAutocompleteMixin, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(SafeAutocompleteMixin, AutocompleteSelectMultiple):
    pass


class SafeAutocompleteAdmin:
    """Model admins and inlines whose autocomplete fields survive a bad value in a crafted POST."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request) and "widget" not in kwargs:
            kwargs["widget"] = SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
            heavy = HEAVY_FIELDS.get(db_field.remote_field.model)
            if heavy and "queryset" not in kwargs:
                # Checking a posted id (and labelling one the formset did not preload) needs no article text.
                kwargs["queryset"] = db_field.remote_field.model._default_manager.defer(*heavy)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request) and "widget" not in kwargs:
            kwargs["widget"] = SafeAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ServiceWritesMixin(SafeAutocompleteAdmin):
    """Saves, deletes and related rows go through library_save / library_delete, never ``save()``."""

    def _note(self, request, form=None):
        return ((form.cleaned_data.get("change_note") if form is not None else "") or "").strip()

    def _tell_pending(self, request, outcome):
        if outcome.pending is not None:
            request._kratomref_pending = outcome.pending

    def save_model(self, request, obj, form, change):
        values, m2m = form_values(form)
        version = form.cleaned_data.get("version") if change else None
        if change:
            outcome = services.library_save(
                obj=obj,
                by=request.user,
                values=values,
                m2m=m2m,
                expected_version=version,
                change_note=self._note(request, form),
            )
        else:
            outcome = services.library_save(obj=obj, by=request.user, m2m=m2m, change_note=self._note(request, form))
        self._tell_pending(request, outcome)

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        note = self._note(request, form)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []  # for the admin log
        for inline_form in formset.forms:
            if not hasattr(inline_form, "cleaned_data"):
                continue
            instance = inline_form.instance
            version = inline_form.cleaned_data.get("version")
            if formset.can_delete and formset._should_delete_form(inline_form):
                if instance.pk:
                    outcome = services.library_delete(
                        obj=instance, by=request.user, expected_version=version, change_note=note
                    )
                    self._tell_pending(request, outcome)
                continue
            if not inline_form.has_changed():
                continue
            setattr(instance, formset.fk.name, formset.instance)
            if instance.pk is None:
                instance = inline_form.save(commit=False)
                outcome = services.library_save(obj=instance, by=request.user, change_note=note)
            else:
                values, m2m = form_values(inline_form)
                outcome = services.library_save(
                    obj=instance, by=request.user, values=values, m2m=m2m, expected_version=version, change_note=note
                )
            self._tell_pending(request, outcome)

    def delete_model(self, request, obj):
        self._tell_pending(
            request, services.library_delete(obj=obj, by=request.user, change_note="removed in the admin")
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        view = super().changeform_view
        return refusal_as_message(self, request, "saved", view, request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        return refusal_as_message(self, request, "removed", super().delete_view, request, object_id, extra_context)

    def message_user(self, request, message, level=messages.INFO, extra_tags="", fail_silently=False):
        pending = getattr(request, "_kratomref_pending", None)
        if pending is not None and level == messages.SUCCESS:
            level = messages.WARNING
            message = format_html(
                'Your change waits for approval by another editor (<a href="{}">change {}</a>). '
                "The public still sees the approved version.",
                pending.get_absolute_url(),
                pending.pk,
            )
        return super().message_user(request, message, level, extra_tags, fail_silently)

    def response_add(self, request, obj, post_url_continue=None):
        pending = getattr(request, "_kratomref_pending", None)
        if pending is not None and obj.pk is None:
            self.message_user(request, "", messages.SUCCESS)
            return HttpResponseRedirect(pending.get_absolute_url())
        return super().response_add(request, obj, post_url_continue)

    # A pending change is recorded as a change request, not as something the admin did.
    def log_addition(self, request, obj, message):
        return None if getattr(request, "_kratomref_pending", None) else super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        return None if getattr(request, "_kratomref_pending", None) else super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        return None if getattr(request, "_kratomref_pending", None) else super().log_deletions(request, queryset)


class HistoryAdmin(SimpleHistoryAdmin):
    """History is for reading: who changed what, when. Reverting would bypass the review rules,
    so a change is made by editing the item, where those rules apply."""

    # Bookkeeping every save moves; the history lists what a curator changed, field by field.
    HISTORY_HIDDEN = ["version", "updated_at"]

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        previous = None
        for current in historical_records:
            if previous is not None:
                hidden = [name for name in self.HISTORY_HIDDEN if hasattr(self.model, name)]
                delta = previous.diff_against(
                    current, excluded_fields=hidden, foreign_keys_are_objs=foreign_keys_are_objs
                )
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("History is read-only; edit the item itself to change it.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class LockedAdmin(ServiceWritesMixin, ConcurrentModelAdmin, HistoryAdmin):
    form = LockedForm
    # A conflict found while saving raises instead of being reported as a success.
    list_editable_policy = CONCURRENCY_LIST_EDITABLE_POLICY_ABORT_ALL

    def response_action(self, request, queryset):
        # Each selected row carries the version the list showed ("pk,version"); a bare or malformed
        # selection is refused. An action is all or nothing: a refusal for one item saves none.
        try:
            with transaction.atomic():
                return super().response_action(request, queryset)
        except (ImproperlyConfigured, ValueError):
            self.message_user(request, "The selection was out of date; select the items again.", messages.ERROR)
        except WRITE_ERRORS as error:
            self.message_user(request, f"Nothing was changed: {error_text(error)}", messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())


FORM_ONLY_FIELDS = {"status", "change_note", "override_reason"}
REVIEW_FIELDSET = (
    "Review",
    {
        "fields": [
            "status",
            "change_note",
            "override_reason",
            "pending_changes",
            "published_at",
            "first_published_at",
            "approved_by",
            "submitted_by",
            "version",
        ]
    },
)
SCHEDULE_FIELDSET = (
    "Review schedule",
    {"fields": ["review_interval_months", "last_reviewed_at", "last_reviewed_by", "next_review_due"]},
)
SCHEDULE_READONLY = ["last_reviewed_at", "last_reviewed_by", "next_review_due"]


class ReviewDueFilter(admin.SimpleListFilter):
    """Published claims and warnings by where they stand on their review schedule."""

    title = "re-review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("soon", f"Due within {desk.DUE_SOON_DAYS} days"), ("current", "Current")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        soon = today + datetime.timedelta(days=desk.DUE_SOON_DAYS)
        published = queryset.filter(status=Status.PUBLISHED)
        if self.value() == "overdue":
            return published.filter(next_review_due__lt=today)
        if self.value() == "soon":
            return published.filter(next_review_due__gte=today, next_review_due__lte=soon)
        if self.value() == "current":
            return published.filter(next_review_due__gt=soon)
        return queryset


class NeedsAttentionFilter(admin.SimpleListFilter):
    """Claims the desk lists under "needs attention" (evidence or studies changed, notices, grade flags)."""

    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", "Needs attention")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(pk__in=[claim.pk for claim, _reasons in desk.claims_needing_attention()])
        return queryset


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Change note",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text="What readers will see differently, and why. Kept with the version and in the history.",
    )


class ReviewedAdmin(LockedAdmin):
    """A reviewed item: status moves through the workflow's services, with pending changes listed."""

    form = StatusForm
    actions = ["submit_for_review", "publish_selected", "withdraw_selected"]
    readonly_status = ["published_at", "first_published_at", "approved_by", "submitted_by", "pending_changes"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The workflow's fields are the form's own (status is not editable on the model).
        fields = kwargs.get("fields") or helpers.flatten_fieldsets(self.get_fieldsets(request, obj))
        kwargs["fields"] = [f for f in fields if f not in FORM_ONLY_FIELDS]
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "override_reason"]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        # A public address is permanent: once the item has been published only an editor may change
        # its slug (another editor approves it), and the old address then redirects to the new one.
        published = obj is not None and obj.first_published_at
        editor = services.can_publish(request.user, self.model)
        fixed = ["slug"] if published and "slug" in self._field_names() and not editor else []
        return [*super().get_readonly_fields(request, obj), *self.readonly_status, *fixed]

    def _field_names(self):
        return {f.name for f in self.model._meta.get_fields()}

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None and obj.first_published_at else super().get_prepopulated_fields(request, obj)

    @admin.display(description="Waiting for approval")
    def pending_changes(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        pending = list(services.pending_for(obj))
        if not pending:
            return "Nothing: the public sees this as stored."
        return format_html_join(
            ", ",
            '<a href="{}">change {} by {}</a>',
            ((p.get_absolute_url(), p.pk, p.submitter_name) for p in pending),
        )

    def has_publish_permission(self, request):
        return services.can_publish(request.user, self.model)

    def save_model(self, request, obj, form, change):
        wanted = form.cleaned_data.get("status")
        if (form.has_changed() and set(form.changed_data) - {"status", "change_note", "override_reason"}) or not change:
            super().save_model(request, obj, form, change)
        if change and wanted and wanted != obj.status:
            stored = type(obj).objects.get(pk=obj.pk)
            outcome = services.status_change(
                obj=stored,
                status=wanted,
                by=request.user,
                note=form.cleaned_data.get("change_note") or "",
                override_reason=form.cleaned_data.get("override_reason") or "",
            )
            self._tell_pending(request, outcome)

    def _bulk_status(self, request, queryset, status, note=""):
        done = pending = 0
        for obj in queryset:
            try:
                outcome = services.status_change(obj=obj, status=status, by=request.user, note=note)
            except WRITE_ERRORS as error:
                self.message_user(request, f"{obj}: {error_text(error)}", messages.ERROR)
                continue
            if outcome.staged:
                pending += 1
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} item(s) now “{Status(status).label}”.", messages.SUCCESS)
        if pending:
            self.message_user(
                request,
                f"{pending} item(s) will be “{Status(status).label}” once another editor approves.",
                messages.INFO,
            )

    def _with_note(self, request, queryset, status, title, *, apply=None, label="", help_text=""):
        """An intermediate page asks for the change note, as Django's delete confirmation does;
        then ``apply(note)`` runs (by default, the status move to ``status``)."""
        form = NoteForm(request.POST if "apply" in request.POST else None)
        if label:
            form.fields["note"].label = label
        if help_text:
            form.fields["note"].help_text = help_text
        if form.is_bound and form.is_valid():
            note = form.cleaned_data["note"]
            (apply or (lambda note: self._bulk_status(request, queryset, status, note=note)))(note)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "objects": queryset,
            "form": form,
            "action": request.POST.get("action"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/evidence/change_note.html", context)

    @admin.action(description="Submit selected for review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        self._bulk_status(request, queryset, Status.IN_REVIEW)

    @admin.action(description="Publish selected (asks for a change note)", permissions=["publish"])
    def publish_selected(self, request, queryset):
        return self._with_note(request, queryset, Status.PUBLISHED, "Publish: write the change note")

    @admin.action(description="Propose withdrawing selected (asks for a reason)", permissions=["publish"])
    def withdraw_selected(self, request, queryset):
        return self._with_note(request, queryset, Status.WITHDRAWN, "Withdraw: say why")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        view = super().changeform_view
        return with_review_lock(self, request, object_id, view, request, object_id, form_url, extra_context)


class ScheduledAdmin(ReviewedAdmin):
    """A claim or a warning: reviewed on a schedule, and re-reviewed without a change when it still stands."""

    actions = [*ReviewedAdmin.actions, "record_rereview"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *SCHEDULE_READONLY]

    @admin.action(
        description="Record a re-review that changes nothing (asks what you checked)", permissions=["publish"]
    )
    def record_rereview(self, request, queryset):
        def rereview(note):
            done = 0
            for obj in queryset:
                try:
                    desk.review_confirm(obj=obj, by=request.user, note=note)
                    done += 1
                except WRITE_ERRORS as error:
                    self.message_user(request, f"{obj}: {error_text(error)}", messages.ERROR)
            if done:
                self.message_user(request, f"{done} item(s) recorded as re-reviewed today.", messages.SUCCESS)

        return self._with_note(
            request,
            queryset,
            None,
            "Re-review: say what you checked",
            apply=rereview,
            label="What you checked",
            help_text="Kept in the history; “last reviewed” moves to today and no new version is made.",
        )


# --- inlines ----------------------------------------------------------------------------------------


class PassageInlineForArticle(SafeAutocompleteAdmin, admin.TabularInline):
    model = Passage
    form = PassageForm
    formset = PassageFormSet
    fields = ["quote", "claim", "wording", "wording_note", "start", "end", "located", "version"]
    readonly_fields = ["start", "end", "located"]
    autocomplete_fields = ["claim"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return deferred_related(super().get_queryset(request), "claim", "article")

    @admin.display(description="Placement")
    def located(self, obj):
        return placement_shown(obj)


class PassageInlineForClaim(PassageInlineForArticle):
    fields = ["article", "quote", "wording", "wording_note", "start", "end", "located", "version"]
    autocomplete_fields = ["article"]


class EvidenceForm(LockedInlineForm):
    class Meta:
        model = Evidence
        fields = ["study", "direction", "note", "version"]


class EvidenceInline(SafeAutocompleteAdmin, admin.TabularInline):
    model = Evidence
    form = EvidenceForm
    formset = PreloadedFormSet
    fields = ["study", "direction", "note", "version"]
    autocomplete_fields = ["study"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return deferred_related(super().get_queryset(request), "study", "claim")  # a row's label names both


class UnfoundReferenceForm(LockedInlineForm):
    class Meta:
        model = UnfoundReference
        fields = ["article", "citation", "searched", "version"]


class UnfoundReferenceInline(SafeAutocompleteAdmin, admin.TabularInline):
    model = UnfoundReference
    form = UnfoundReferenceForm
    formset = PreloadedFormSet
    fields = ["article", "citation", "searched", "version"]
    autocomplete_fields = ["article"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return deferred_related(super().get_queryset(request), "article", "claim")  # a row's label names the article


# --- the library's models -----------------------------------------------------------------------------


class ClaimForm(StatusForm):
    class Meta:
        model = Claim
        fields = [
            "statement",
            "slug",
            "topic",
            "substances",
            "polarity",
            "verdict",
            "certainty",
            "summary",
            "review_interval_months",
            "version",
        ]


@admin.register(Claim)
class ClaimAdmin(ScheduledAdmin):
    show_full_result_count = False  # no second COUNT of the whole table for the "N total" link
    form = ClaimForm
    list_display = [
        "statement",
        "topic",
        "polarity",
        "verdict",
        "certainty",
        "status",
        "next_review_due",
        "evidence_count",
        "passage_count",
    ]
    list_filter = [
        "status",
        ReviewDueFilter,
        NeedsAttentionFilter,
        "verdict",
        "certainty",
        "polarity",
        "topic",
        "substances",
    ]
    search_fields = ["statement", "slug", "summary"]
    prepopulated_fields = {"slug": ["statement"]}
    autocomplete_fields = ["substances"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["statement", "slug", "topic", "substances", "polarity"]}),
        ("Grade", {"fields": ["verdict", "certainty", "summary"]}),
        REVIEW_FIELDSET,
        SCHEDULE_FIELDSET,
    ]
    inlines = [EvidenceInline, PassageInlineForClaim, UnfoundReferenceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts()

    @admin.display(description="Evidence", ordering="evidence_count")
    def evidence_count(self, obj):
        return obj.evidence_count

    @admin.display(description="Passages", ordering="passage_count")
    def passage_count(self, obj):
        return obj.passage_count


class SourceArticleForm(StatusForm):
    class Meta:
        model = SourceArticle
        fields = ["title", "original_url", "site", "published_on", "stated_author", "stated_credentials", "version"]


@admin.register(SourceArticle)
class SourceArticleAdmin(ReviewedAdmin):
    show_full_result_count = False  # no second COUNT of the whole table for the "N total" link
    form = SourceArticleForm
    list_display = ["title", "source_name", "stated_author", "status", "passage_total", "imported_at"]
    search_fields = ["title", "source_name", "stated_author", "site"]
    list_filter = ["status", "site"]
    # slug: a permanent address
    readonly_fields = ["slug", "text", "content_hash", "imported_at", "source_name", "revision", "placements"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "source_name", "original_url", "site", "published_on"]}),
        ("Stated author", {"fields": ["stated_author", "stated_credentials"]}),
        ("For readers", {"fields": ["reviewer_note"]}),
        # Whether readers see the whole text, and why that is allowed (docs/decisions/0007).
        ("Display rights", {"fields": ["full_text_shown", "full_text_reason"]}),
        ("Revisions", {"fields": ["revision", "placements"]}),
        ("Text as imported", {"fields": ["text", "content_hash", "imported_at"], "classes": ["collapse"]}),
        REVIEW_FIELDSET,
    ]
    inlines = [PassageInlineForArticle]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(passage_total=Count("passages"))

    @admin.display(description="Passages", ordering="passage_total")
    def passage_total(self, obj):
        return obj.passage_total

    @admin.display(description="Passage placements")
    def placements(self, obj):
        from evidence.admin_revisions import reanchor_link

        return reanchor_link(obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ArticleImportForm
            kwargs["fields"] = ArticleImportForm.Meta.fields
            return admin.ModelAdmin.get_form(self, request, obj, change=change, **kwargs)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["kind", "text", "text_format", "html", "upload", "url"]}),
                ("About the article (optional)", {"fields": ["source_name", "original_url", "site", "title"]}),
            ]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else super().get_readonly_fields(request, obj)

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        try:
            result = services.article_import(
                text=form.prepared.text,
                source_name=form.source_name,
                text_format=form.prepared.text_format,
                by=request.user,
                **form.values,
            )
        except services.ArticleImportError as error:  # e.g. the same text imported a moment ago
            raise ValidationError(f"The article was not imported: {error}") from error
        obj.__dict__.update(result.article.__dict__)  # the admin's messages and redirect use the stored row
        if result.reanchored is not None:
            counts = ", ".join(f"{n} {how}" for how, n in result.reanchored.items())
            messages.warning(
                request,
                f"“{result.article.title}” was already in the library: the text became its revision "
                f"{result.article.revision}, and its passages were re-anchored ({counts}).",
            )

    def response_add(self, request, obj, post_url_continue=None):
        """After an import, the article's change page: its text, metadata and passages."""
        if obj.pk is None or getattr(request, "_kratomref_pending", None) is not None:
            return super().response_add(request, obj, post_url_continue)
        spot = reverse("admin:article-spot", args=[obj.pk])
        message = format_html('Imported “{}”. <a href="{}">See the claims suggested in it</a>.', obj.title, spot)
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:evidence_sourcearticle_change", args=[obj.pk]))


class StudyForm(StatusForm):
    class Meta:
        model = Study
        fields = [
            "key",
            "title",
            "title_is_descriptive",
            "authors",
            "authors_confirmed",
            "venue",
            "year",
            "doi",
            "pmid",
            "pmcid",
            "url",
            "is_verified",
            "verified_on",
            "design",
            "population",
            "sample_size",
            "finding",
            "notes",
            "version",
        ]


@admin.register(Study)
class StudyAdmin(ReviewedAdmin):
    show_full_result_count = False  # no second COUNT of the whole table for the "N total" link
    form = StudyForm
    list_display = ["key", "short_citation", "design", "population", "year", "is_verified", "status", "claim_total"]
    list_filter = ["status", "design", "population", "is_verified", "authors_confirmed"]
    search_fields = ["key", "title", "authors", "doi", "pmid", "venue"]
    fieldsets = [
        (None, {"fields": ["key", "title", "title_is_descriptive", "authors", "authors_confirmed", "venue", "year"]}),
        ("Identifiers", {"fields": ["doi", "pmid", "pmcid", "url", "is_verified", "verified_on"]}),
        ("Study", {"fields": ["design", "population", "sample_size", "finding", "notes"]}),
        REVIEW_FIELDSET,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_total=Count("evidence"))

    def get_search_results(self, request, queryset, search_term):
        """Best matches first, so Enter in the study picker takes the study meant: an exact key, DOI
        or PMID, then a first author, then a title that starts with the words, then any other match."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = " ".join(search_term.split())
        if term:
            priority = Case(
                When(Q(key__iexact=term) | Q(doi__iexact=term) | Q(pmid=term), then=Value(0)),
                When(authors__istartswith=term, then=Value(1)),
                When(title__iexact=term, then=Value(1)),
                When(title__istartswith=term, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
            queryset = queryset.annotate(search_priority=priority).order_by(
                "search_priority", *Study._meta.ordering, "pk"
            )
        return queryset, may_have_duplicates

    @admin.display(description="Claims", ordering="claim_total")
    def claim_total(self, obj):
        return obj.claim_total


class SubstanceForm(StatusForm):
    class Meta:
        model = Substance
        fields = ["name", "slug", "scientific_name", "kind", "synonyms", "summary", "parent", "version"]


@admin.register(Substance)
class SubstanceAdmin(ReviewedAdmin):
    form = SubstanceForm
    list_display = ["name", "kind", "scientific_name", "parent", "status"]
    list_filter = ["status", "kind"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug", "scientific_name", "synonyms"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "scientific_name", "kind", "synonyms", "summary", "parent"]}),
        REVIEW_FIELDSET,
    ]


class WarningForm(StatusForm):
    class Meta:
        model = Warning
        fields = [
            "title",
            "slug",
            "severity",
            "certainty",
            "text",
            "substances",
            "studies",
            "claims",
            "mentioned_by",
            "review_interval_months",
            "version",
        ]


@admin.register(Warning)
class WarningAdmin(ScheduledAdmin):
    form = WarningForm
    list_display = ["title", "severity", "certainty", "status", "next_review_due", "study_total"]
    list_filter = ["status", ReviewDueFilter, "severity", "certainty", "substances"]
    search_fields = ["title", "slug", "text"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["substances", "studies", "claims", "mentioned_by"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "severity", "certainty", "text", "substances", "studies"]}),
        ("Claims", {"fields": ["claims", "mentioned_by"]}),
        REVIEW_FIELDSET,
        SCHEDULE_FIELDSET,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(study_total=Count("studies"))

    @admin.display(description="Studies", ordering="study_total")
    def study_total(self, obj):
        return obj.study_total


class PassageAdminForm(PassageForm):
    change_note = LockedForm.base_fields["change_note"]


@admin.register(Passage)
class PassageAdmin(LockedAdmin):
    show_full_result_count = False  # no second COUNT of the whole table for the "N total" link
    form = PassageAdminForm
    list_display = ["__str__", "article", "claim", "wording", "placement"]
    list_filter = ["wording", "placement", "claim__verdict"]
    list_select_related = ["article", "claim"]
    search_fields = ["quote", "claim__statement", "article__title"]
    autocomplete_fields = ["article", "claim"]
    fields = ["article", "claim", "quote", "wording", "wording_note", "change_note", "version"]
    readonly_fields = ["start", "end", "prefix", "suffix", "located", "match_score"]
    actions = ["confirm_placement"]

    @admin.display(description="Placement")
    def located(self, obj):
        return placement_shown(obj)

    def get_fields(self, request, obj=None):
        return [*self.fields, *self.readonly_fields]

    @admin.action(description="Confirm the placement of selected passages", permissions=["change"])
    def confirm_placement(self, request, queryset):
        confirmed = 0
        for passage in queryset.exclude(placement=Passage.Placement.EXACT).select_related("article"):
            try:
                outcome = services.passage_confirm_placement(passage=passage, by=request.user)
            except (*WRITE_ERRORS, QuoteNotFound, QuoteAmbiguous) as error:
                self.message_user(
                    request,
                    f"{passage}: {error_text(error) if isinstance(error, WRITE_ERRORS) else error}",
                    messages.ERROR,
                )
                continue
            self._tell_pending(request, outcome)
            confirmed += 1
        if confirmed:
            self.message_user(request, f"{confirmed} placement(s) confirmed.", messages.SUCCESS)


class EvidenceAdminForm(EvidenceForm):
    change_note = LockedForm.base_fields["change_note"]

    class Meta(EvidenceForm.Meta):
        fields = ["claim", "study", "direction", "note", "version"]


@admin.register(Evidence)
class EvidenceAdmin(LockedAdmin):
    show_full_result_count = False  # no second COUNT of the whole table for the "N total" link
    form = EvidenceAdminForm
    list_display = ["__str__", "claim", "study", "direction"]
    list_filter = ["direction"]
    list_select_related = ["claim", "study"]
    search_fields = ["claim__statement", "study__title", "study__key"]
    autocomplete_fields = ["claim", "study"]


class UnfoundReferenceAdminForm(UnfoundReferenceForm):
    change_note = LockedForm.base_fields["change_note"]

    class Meta(UnfoundReferenceForm.Meta):
        fields = ["article", "claim", "citation", "searched", "version"]


@admin.register(UnfoundReference)
class UnfoundReferenceAdmin(LockedAdmin):
    form = UnfoundReferenceAdminForm
    list_display = ["citation", "article", "claim"]
    list_select_related = ["article", "claim"]
    search_fields = ["citation", "searched"]
    autocomplete_fields = ["article", "claim"]


# --- approving changes and reading versions -------------------------------------------------------------


class DecisionForm(forms.ModelForm):
    """An editor approves or rejects a pending change, with the note readers' versions keep."""

    user = None
    decision = forms.ChoiceField(choices=[("approve", "Approve: publish this change"), ("reject", "Reject")])
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        required=False,
        help_text="Approving: the change note readers see with the new version. Rejecting: why.",
    )
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 70}),
        help_text="Superusers only: why you approve a change you proposed yourself.",
    )
    seen = forms.CharField(widget=forms.HiddenInput, required=False)  # the items this approver read
    corrects_error = forms.BooleanField(
        required=False,
        label="This change corrects an error readers could see — list it in the public corrections log",
    )
    answers_report = forms.ModelChoiceField(
        queryset=ReaderReport.objects.filter(state=ReaderReport.State.OPEN).order_by("-created_at"),
        required=False,
        label="Answers a reader's report",
        help_text="Optional. Approving marks that open report answered, with the change note as the answer.",
    )

    class Meta:
        model = ChangeRequest
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].initial = self.instance.note
        self.fields["seen"].initial = services.items_seen(self.instance) if self.instance.pk else ""
        if not (self.user and self.user.is_superuser):
            self.fields.pop("override_reason", None)  # already gone when read-only (a decided change)

    def clean(self):
        data = super().clean()
        try:
            if data.get("decision") == "approve":
                services.change_approve(
                    request=self.instance,
                    by=self.user,
                    note=data.get("note") or "",
                    override_reason=data.get("override_reason") or "",
                    seen=data.get("seen") or "",
                    dry_run=True,
                )
            elif data.get("decision") == "reject" and not (data.get("note") or "").strip():
                self.add_error("note", "Say why the change is rejected.")
        except WRITE_ERRORS as error:
            self.add_error(None, error_text(error))
        return data


class WaitingForFilter(admin.SimpleListFilter):
    """The desk's split of pending changes: others' waiting for me, and my own."""

    title = "whose"
    parameter_name = "whose"

    def lookups(self, request, model_admin):
        return [("others", "Waiting for me (others' pending changes)"), ("mine", "Mine")]

    def queryset(self, request, queryset):
        if self.value() == "others":
            return queryset.filter(state=ChangeRequest.State.PENDING).exclude(submitted_by=request.user)
        if self.value() == "mine":
            return queryset.filter(submitted_by=request.user)
        return queryset


@admin.register(ChangeRequest)
class ChangeRequestAdmin(admin.ModelAdmin):
    form = DecisionForm
    list_display = ["__str__", "subject_type", "submitter", "submitted_at", "state", "item_total", "decided_by"]
    list_filter = ["state", WaitingForFilter, "corrects_error", ("subject_type", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["submitted_by", "decided_by", "subject_type"]
    search_fields = ["subject_label", "note", "decision_note"]
    readonly_fields = [
        "subject_link",
        "submitter",
        "submitted_at",
        "state",
        "proposed_note",
        "changes",
        "decided_by",
        "decided_at",
        "decision_note",
        "override_reason",
        "corrects_error",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_total=Count("items"))

    def get_fieldsets(self, request, obj=None):
        shown = ["subject_link", "submitter", "submitted_at", "state", "proposed_note", "changes"]
        if obj is not None and obj.state == ChangeRequest.State.PENDING and self.has_change_permission(request, obj):
            decide = ["decision", "note", "corrects_error", "answers_report", "seen"]
            decide += ["override_reason"] if request.user.is_superuser else []
            return [(None, {"fields": shown}), ("Decision", {"fields": decide})]
        decided = ["decided_by", "decided_at", "decision_note", "corrects_error"]
        return [(None, {"fields": shown}), ("Decision", {"fields": decided})]

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and obj.state == ChangeRequest.State.PENDING:
            fields.remove("override_reason")
            fields.remove("corrects_error")
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["fields"] = []
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.state != ChangeRequest.State.PENDING:
            return False
        return super().has_change_permission(request, obj) or (
            obj is not None and obj.submitted_by_id == request.user.pk
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if data["decision"] == "approve":
            services.change_approve(
                request=obj,
                by=request.user,
                note=data.get("note") or "",
                override_reason=data.get("override_reason") or "",
                seen=data.get("seen") or "",
                corrects_error=data.get("corrects_error", False),
            )
            if data.get("answers_report"):
                from evidence.services.desk import report_answer

                answer = (data.get("note") or obj.note).strip()
                report_answer(
                    report=data["answers_report"], by=request.user, state="answered", answer=answer, change_request=obj
                )
        else:
            services.change_reject(request=obj, by=request.user, note=data.get("note") or "")

    def save_related(self, request, form, formsets, change):
        return None

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        view = super().changeform_view
        return with_review_lock(
            self,
            request,
            object_id,
            refusal_as_message,
            self,
            request,
            "applied",
            view,
            request,
            object_id,
            form_url,
            extra_context,
        )

    @admin.display(description="Changes")
    def item_total(self, obj):
        return obj.item_total

    @admin.display(description="Proposed by")
    def submitter(self, obj):
        return obj.submitter_name

    @admin.display(description="Note from the proposer")
    def proposed_note(self, obj):
        return obj.note or "—"

    @admin.display(description="Item")
    def subject_link(self, obj):
        model = obj.subject_type.model_class()
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.subject_id])
        return format_html('<a href="{}">{}</a> ({})', url, obj.subject_label, model._meta.verbose_name)

    @admin.display(description="What changes")
    def changes(self, obj):
        rows = []
        for item in obj.items.select_related("target_type"):
            names = sorted(set(item.data) | set(item.before))
            diff = format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        name,
                        _shown(item.before.get(name, "")),
                        _shown(item.data.get(name, "")) if item.action != ChangeItem.Action.DELETE else "—",
                    )
                    for name in names
                    if item.action != ChangeItem.Action.UPDATE or item.before.get(name) != item.data.get(name)
                ),
            )
            rows.append(
                format_html(
                    "<h3>{} {}: {}</h3><table><thead><tr><th>Field</th><th>Now</th><th>Proposed</th></tr></thead>"
                    "<tbody>{}</tbody></table>",
                    item.get_action_display(),
                    item.target_type.name,
                    item.target_label,
                    diff,
                )
            )
        return format_html_join("", "{}", ((row,) for row in rows))


def _shown(value):
    """A proposed or current value as the approver reads it (escaped by format_html)."""
    return value if isinstance(value, str) else repr(value)


@admin.register(ClaimVersion)
class ClaimVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "number", "approved_at", "approver"]
    list_select_related = ["claim", "approved_by"]
    search_fields = ["claim__statement", "change_note"]
    fields = ["claim", "number", "approved_at", "approver", "change_note", "change_request", "snapshot"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Approved by")
    def approver(self, obj):
        return obj.approver_name


@admin.register(DatasetRelease)
class DatasetReleaseAdmin(admin.ModelAdmin):
    """Releases of the bulk dataset, read-only. An editor makes one with "Make a release" (the
    changelist's button; evidence/dataset/releases.py's ``release_create``), or ``export_dataset DIR --release``."""

    change_list_template = "admin/evidence/datasetrelease/change_list.html"
    list_display = ["version", "content_changed_at", "created_at", "size", "sha256", "licence", "released_by"]
    list_select_related = ["released_by"]
    search_fields = ["version", "sha256"]
    fields = [
        "version",
        "content_changed_at",
        "created_at",
        "file_name",
        "size",
        "sha256",
        "licence",
        "counts",
        "released_by",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_release_permission(self, request):
        return request.user.has_perm("evidence.release_datasetrelease")

    def get_urls(self):
        opts = self.model._meta
        release = path(
            "release/",
            self.admin_site.admin_view(self.release_view),
            name=f"{opts.app_label}_{opts.model_name}_release",
        )
        return [release, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_release": self.has_release_permission(request)}
        return super().changelist_view(request, extra_context)

    def release_view(self, request):
        """Show what a release of the library as it stands would be; make it on POST."""
        if not self.has_release_permission(request):
            raise PermissionDenied
        opts = self.model._meta
        package = dataset.build_package()
        if request.method == "POST":
            try:
                release, created = dataset.release_create(by=request.user, package=package)
            except (PermissionDenied, dataset.ReleaseError) as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                if created:
                    self.message_user(request, f"Released {release.version}; it is listed on /data/.", messages.SUCCESS)
                else:
                    self.message_user(
                        request, f"Release {release.version} already has this content; nothing changed.", messages.INFO
                    )
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Make a dataset release",
            "opts": opts,
            "package": package,
            "existing": DatasetRelease.objects.filter(version=package.version).first(),
        }
        return TemplateResponse(request, "admin/evidence/datasetrelease/release.html", context)


# The curation desk's admin pages live beside this module; importing them registers them.
from evidence import admin_desk, admin_notices, admin_reports, admin_search, admin_spotting  # noqa: E402, F401
