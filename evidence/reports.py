"""Readers report, the desk answers: the public report form and the corrections log.

The form lives on its own page (/report/) so that claim, warning and article pages stay free of
cookies and cacheable: they only link here with ``?page=<their path>``. Spam is kept out without
third-party scripts: a honeypot field and the site's rate limiter (``RATE_LIMITS["report"]``).
The desk answers reports in the admin (evidence/admin_reports.py); an approved change that corrects
an error readers could see is listed on /corrections/.
"""

from urllib.parse import urlsplit

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import URLValidator
from django.db.models import Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from evidence.models import (
    ChangeRequest,
    Claim,
    ClaimVersion,
    ReaderReport,
    SourceArticle,
    Study,
    Substance,
    Warning,
)
from evidence.services.desk import report_submit
from kratomref.ratelimit import rate_limited

CORRECTIONS_PAGE_SIZE = 25

# The public pages a reader may report an error on: URL name → the model it shows (by slug).
REPORTABLE_PAGES = {
    "evidence:claim-detail": Claim,
    "evidence:claim-version": Claim,
    "evidence:warning-detail": Warning,
    "evidence:article-detail": SourceArticle,
}

# The items the corrections log lists, with the field readers know each by.
CORRECTED_MODELS = {Claim: "statement", Warning: "title", SourceArticle: "title", Study: "title", Substance: "name"}


def item_title(obj):
    """What readers know a claim, warning, article, study or substance by."""
    return getattr(obj, CORRECTED_MODELS[type(obj)])


# --- finding the page a reader reports -----------------------------------------------------------


def page_subject(page, *, host):
    """The public claim, warning or article that ``page`` (a path, or an address on ``host``) shows.

    Returns ``(path, obj)``; raises ValidationError with a reader's message for anything else: an
    address on another site, a page that does not exist, a draft or a withdrawn item.
    """
    parts = urlsplit(page.strip())
    foreign = parts.scheme not in ("http", "https") or parts.netloc.lower() != host.lower()
    if (parts.scheme or parts.netloc) and foreign:
        raise ValidationError(_("That is not an address on KratomRef. Give the address of one of our pages."))
    path = parts.path
    if not path.startswith("/") or path.startswith("//"):
        raise ValidationError(_("Give the address of a KratomRef page, such as /claims/…/."))
    try:
        match = resolve(path)
    except Resolver404:
        match = None
    model = REPORTABLE_PAGES.get(match.view_name) if match else None
    if model is None:
        raise ValidationError(
            _("We could not find a claim, warning or article at that address. Copy the address of the page.")
        )
    obj = model.objects.published().filter(slug=match.kwargs.get("slug")).first()
    if obj is None:
        raise ValidationError(_("That page is not (or no longer) public, so there is nothing on it to correct."))
    return path, obj


# --- the form ---------------------------------------------------------------------------------------


class MessageField(forms.CharField):
    """Counts a line break as one character, as the browser's ``maxlength`` does."""

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n")


class ReportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What would you like to do?"),
        choices=ReaderReport.Kind.choices,
        initial=ReaderReport.Kind.ERROR,
        widget=forms.RadioSelect,
    )
    page = forms.CharField(
        label=gettext_lazy("Address of the page"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("The claim, warning or article page with the error, e.g. /claims/…/."),
    )
    article_url = forms.URLField(
        label=gettext_lazy("Address of the article to review"),
        max_length=500,
        required=False,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=gettext_lazy("Needed when you ask us to review an article: its web address (http or https)."),
    )
    message = MessageField(
        label=gettext_lazy("Your message"),
        max_length=ReaderReport.MESSAGE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text=gettext_lazy("What is wrong, and how you know (a source helps). At most %(limit)s characters."),
    )
    email = forms.EmailField(
        label=gettext_lazy("Your email address (optional)"),
        required=False,
        help_text=gettext_lazy("Only to answer you about this report. We never publish it or add it to a list."),
    )
    # The honeypot: hidden from sighted readers by a class in the stylesheet; people leave it empty.
    website = forms.CharField(label=gettext_lazy("Leave this empty"), required=False, max_length=300)

    def __init__(self, *args, host, **kwargs):
        super().__init__(*args, **kwargs)
        self.host = host
        self.subject = None
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        message = self.fields["message"]
        message.help_text = message.help_text % {"limit": ReaderReport.MESSAGE_LIMIT}

    @property
    def is_trap(self):
        return bool(self.data.get("website"))

    def clean(self):
        data = super().clean()
        kind, page = data.get("kind"), data.get("page") or ""
        if page:
            try:
                data["page"], self.subject = page_subject(page, host=self.host)
            except ValidationError as error:
                self.add_error("page", error)
        elif kind == ReaderReport.Kind.ERROR and "page" not in self.errors:
            self.add_error("page", _("Give the address of the page with the error."))
        if kind == ReaderReport.Kind.REVIEW and not data.get("article_url") and "article_url" not in self.errors:
            self.add_error("article_url", _("Give the address of the article you would like us to review."))
        return data


# --- views --------------------------------------------------------------------------------------------


def _form_page(request, form, notices=()):
    subject = form.subject
    context = {
        "form": form,
        "notices": notices,
        "subject": subject,
        "subject_title": item_title(subject) if subject is not None else "",
        "message_limit": ReaderReport.MESSAGE_LIMIT,
    }
    return render(request, "evidence/report_form.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def report(request):
    """The report form: GET shows it (prefilled from ``?kind=`` and ``?page=``), POST sends it."""
    if request.method == "POST":
        return _report_post(request)
    host = request.get_host()
    initial, notices, subject = {}, [], None
    kind = request.GET.get("kind", "")
    if kind in ReaderReport.Kind.values:
        initial["kind"] = kind
    elif kind:
        notices.append(_("We did not understand what that link asked for; choose below."))
    article_url = request.GET.get("article_url", "")  # "Ask us to review it" from a URL not in the library
    if article_url and len(article_url) <= ReportForm.base_fields["article_url"].max_length:
        initial["article_url"] = article_url
    page = request.GET.get("page", "")
    if page:
        try:
            if len(page) > ReportForm.base_fields["page"].max_length:
                raise ValidationError(_("That page address is too long to be one of ours."))
            initial["page"], subject = page_subject(page, host=host)
        except ValidationError as error:
            notices.extend(error.messages)
    form = ReportForm(initial=initial, host=host)
    form.subject = subject
    return _form_page(request, form, notices)


@rate_limited("report")
def _report_post(request):
    form = ReportForm(request.POST, host=request.get_host())
    if form.is_trap:  # a robot filled the honeypot: thank it, keep nothing
        return _thanks_redirect()
    if not form.is_valid():
        return _form_page(request, form)
    data = form.cleaned_data
    report_submit(
        kind=data["kind"],
        message=data["message"],
        page=data.get("page") or "",
        subject=form.subject,
        article_url=data.get("article_url") or "",
        email=data.get("email") or "",
    )
    return _thanks_redirect()


def _thanks_redirect():
    response = redirect("evidence:report-thanks")
    response.status_code = 303  # See Other: the browser fetches the thank-you page with GET
    return response


@require_safe
def report_thanks(request):
    return render(request, "evidence/report_thanks.html")


# --- the corrections log -----------------------------------------------------------------------------


class Correction:
    """One line of the corrections log, as the template shows it."""

    def __init__(self, change):
        self.change = change
        self.subject = change.subject
        self.title = item_title(self.subject)
        self.kind = _("article") if isinstance(self.subject, SourceArticle) else self.subject._meta.verbose_name
        self.versions = [
            (version, reverse("evidence:claim-version", kwargs={"slug": version.claim.slug, "number": version.number}))
            for version in change.claim_versions.all()
        ]


def corrections_queryset():
    """Approved changes that corrected an error readers could see, on items that are public now."""
    types = ContentType.objects.get_for_models(*CORRECTED_MODELS)
    public = Q()
    for model, content_type in types.items():
        public |= Q(subject_type=content_type, subject_id__in=model.objects.published().values("pk"))
    return (
        ChangeRequest.objects.filter(public, state=ChangeRequest.State.APPROVED, corrects_error=True)
        .order_by("-decided_at", "-pk")
        .prefetch_related(
            GenericPrefetch("subject", [model.objects.published() for model in CORRECTED_MODELS]),
            Prefetch("claim_versions", queryset=ClaimVersion.objects.select_related("claim").order_by("number")),
        )
    )


@require_safe
def corrections(request):
    """The public corrections log, newest first."""
    page = Paginator(corrections_queryset(), CORRECTIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    entries = [Correction(change) for change in page.object_list if change.subject is not None]
    return render(request, "evidence/corrections.html", {"page_obj": page, "entries": entries})
