"""Public pages. Every queryset starts from ``published()``; shapes live on the QuerySets."""

import difflib
import textwrap
from functools import wraps
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery, prefetch_related_objects
from django.http import Http404, HttpResponsePermanentRedirect, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView
from django_filters.views import FilterView

from evidence.bottom_line import article_bottom_line
from evidence.charts import library_counts
from evidence.excerpts import passage_excerpts
from evidence.filters import ArticleFilter, ClaimFilter, StudyFilter, WarningFilter
from evidence.fragments import article_text_html
from evidence.http import PageValidators, kept_per_version, page_headers
from evidence.links import url_key
from evidence.models import (
    CERTAINTY_DEFINITIONS,
    POLARITY_DEFINITIONS,
    PUBLIC_STATUSES,
    VERDICT_DEFINITIONS,
    WORDING_DEFINITIONS,
    Certainty,
    Claim,
    ClaimVersion,
    Direction,
    Passage,
    Polarity,
    Population,
    ReviewerProfile,
    SlugRedirect,
    SourceArticle,
    Status,
    Study,
    StudyDesign,
    Substance,
    Verdict,
    Warning,
    Wording,
)
from evidence.models.choices import SEVERITY_DEFINITIONS, Severity
from evidence.page_cache import kept_for_readers
from evidence.search import search_library
from evidence.structured import article_claim_reviews, claim_review
from evidence.text import render_structure
from kratomref.ratelimit import rate_limited

PAGE_SIZE = 25


MAX_PAGES = 100  # lists show this many pages at most; beyond, readers refine their filters


def normalised_filters(data, drop=("page", "o")):
    """The filters in an address, in one spelling: sorted, empty values and ``drop`` left out."""
    kept = []
    for key, values in sorted(data.lists()):
        values = sorted(str(v).strip() for v in values if str(v).strip())
        if key not in drop and values:
            kept.append((key, values))
    return kept


class LibraryPaginator(Paginator):
    """Pages whose total is counted once per content version (under ``count_key``, in the shared cache)
    and of which at most ``MAX_PAGES`` are shown: a deep ``OFFSET`` costs as much as the rows it skips."""

    def __init__(self, object_list, per_page, *, count_key=None, max_pages=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count_key, self.max_pages = count_key, max_pages or MAX_PAGES

    @cached_property
    def count(self):
        if self.count_key is None:
            return Paginator.count.func(self)
        return kept_per_version("count", self.count_key, lambda: Paginator.count.func(self))

    @cached_property
    def all_pages(self):
        return Paginator.num_pages.func(self)

    @cached_property
    def num_pages(self):
        return min(self.all_pages, self.max_pages)

    @property
    def is_capped(self):
        return self.all_pages > self.max_pages


def capped_notice(paginator):
    return _(
        "Only the first %(pages)s pages of %(count)s results are listed. Refine your filters, or sort the "
        "other way, to reach the rest."
    ) % {"pages": paginator.max_pages, "count": paginator.count}


class FacetedFilterView(FilterView):
    """A filtered, paginated list whose facets show counts and whose bad page numbers get a message.

    Totals and facet counts are counted once per content version and filters (shared cache); a
    client that has the page gets 304 before anything is counted (evidence/http.py).
    """

    paginate_by = PAGE_SIZE
    paginator_class = LibraryPaginator
    page_notice = ""

    @method_decorator(kept_for_readers)  # an anonymous reader's page, kept whole (evidence/page_cache.py)
    def get(self, request, *args, **kwargs):
        validators = PageValidators(request, "list")
        not_modified = validators.not_modified(request)
        if not_modified is not None:
            return not_modified
        return page_headers(request, super().get(request, *args, **kwargs), validators)

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        key = (self.model._meta.label, normalised_filters(self.request.GET))
        return self.paginator_class(
            queryset, per_page, orphans=orphans, allow_empty_first_page=allow_empty_first_page, count_key=key
        )

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size, allow_empty_first_page=True)
        raw = self.request.GET.get(self.page_kwarg) or 1
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number, self.page_notice = 1, _("“%(page)s” is not a page number; showing the first page.")
        else:
            if number < 1:
                number, self.page_notice = 1, _("Pages start at 1; showing the first page.")
            elif number > paginator.num_pages and not paginator.is_capped:
                self.page_notice = _("There are only %(total)s page(s); showing the last one.")
                number = paginator.num_pages
            elif number >= paginator.num_pages and paginator.is_capped:
                number = paginator.num_pages
        self.page_notice = self.page_notice % {"page": str(raw)[:20], "total": paginator.num_pages}
        if paginator.is_capped and number == paginator.num_pages:
            self.page_notice = capped_notice(paginator)
        page = paginator.page(number)
        page.object_list = list(page.object_list)  # fetched here, never while the template renders
        return paginator, page, page.object_list, page.has_other_pages()

    def facet_queryset(self):
        """What facets count over: the published rows, without the list's annotations and prefetches."""
        return self.model._default_manager.published()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = context["filter"]
        if filterset.facets:
            key = (self.model._meta.label, normalised_filters(self.request.GET))
            counts = kept_per_version("facets", key, lambda: filterset.facet_counts(self.facet_queryset()))
            filterset.label_choices_with_counts(counts)
        context["page_notice"] = self.page_notice
        return context


class Gone(Exception):
    """The object was published and then withdrawn: answer 410 with an explanation."""

    def __init__(self, obj):
        self.obj = obj


def moved_response(request, model, slug):
    """A 301 to where ``slug`` of ``model`` lives now, keeping the rest of the path; None if it never moved."""
    new_slug = SlugRedirect.resolve(model._meta.model_name, slug)
    if new_slug is None:
        return None
    url = request.path.replace(f"/{slug}/", f"/{new_slug}/", 1)
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


def public_claim(view=None, *, serves_withdrawn=False):
    """Decorate ``view(request, claim, version)`` for claim URLs with a slug and an optional ``number``.

    Answers like the claim page: 301 for a moved slug, 404 for a draft or an unknown version, 410 for
    a withdrawn claim's current address (unless ``serves_withdrawn``: the history, the badge). A
    pinned version stays readable after withdrawal.
    """
    if view is None:
        return lambda view: public_claim(view, serves_withdrawn=serves_withdrawn)

    @wraps(view)
    def wrapper(request, slug, number=None, **kwargs):
        claim = Claim.objects.filter(slug=slug).first()
        if claim is None or claim.status not in PUBLIC_STATUSES:
            moved = moved_response(request, Claim, slug)
            if moved is not None:
                return moved
            raise Http404("No such claim.")
        if number is None:
            if claim.status == Status.WITHDRAWN and not serves_withdrawn:
                return moved_response(request, Claim, slug) or TemplateResponse(
                    request, "410.html", {"object": claim}, status=410
                )
            version = claim.versions.order_by("-number").first()
        else:
            version = claim.versions.filter(number=number).first()
            if version is None:
                raise Http404("No such version.")
        return view(request, claim, version, **kwargs)

    return wrapper


class PublishedDetailView(DetailView):
    """A detail page that answers 404 for drafts and 410 for withdrawn items.

    An address that moved (a claim split in two, an item renamed) answers 301 to where it lives
    now, unless a public item holds the old slug.
    """

    @method_decorator(kept_for_readers)  # an anonymous reader's page, kept whole (evidence/page_cache.py)
    def get(self, request, *args, **kwargs):
        # The item alone first (one query): a client that has the page gets 304 before its related
        # rows are fetched or anything is rendered (evidence/http.py); then the page's prefetches.
        queryset = self.get_queryset()
        try:
            self.object = self.get_object(queryset.prefetch_related(None))
        except Http404:
            moved = self.moved_to()
            if moved is None:
                raise
            return moved
        except Gone as gone:
            return self.moved_to() or TemplateResponse(request, "410.html", {"object": gone.obj}, status=410)
        validators = PageValidators(
            request,
            self.model._meta.label,
            self.object.pk,
            getattr(self.object, "version", ""),
            updated_at=getattr(self.object, "updated_at", None),
        )
        not_modified = validators.not_modified(request)
        if not_modified is not None:
            return not_modified
        prefetch_related_objects([self.object], *queryset._prefetch_related_lookups)
        context = self.get_context_data(object=self.object)
        return page_headers(request, self.render_to_response(context), validators)

    def moved_to(self):
        return moved_response(self.request, self.model, self.kwargs[self.slug_url_kwarg])

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if obj.status == Status.WITHDRAWN:
            raise Gone(obj)
        if not self.is_public(obj):
            raise Http404("Not published.")
        return obj

    def is_public(self, obj):
        return obj.status == Status.PUBLISHED


HOME_ARTICLES = 12  # the home page lists this many articles and links to the rest


def library_glance():
    """The home page's counts: claims by grade, studies and articles. Kept in the shared cache for
    the current content version (every approval moves it), so they are counted once per change."""

    def count():
        grades = Claim.objects.published().values_list("verdict", "certainty").annotate(n=Count("pk")).order_by()
        return {
            "grades": list(grades),
            "studies": Study.objects.published().count(),
            "articles": SourceArticle.objects.published().count(),
        }

    return kept_per_version("home-glance", (), count)


@kept_for_readers
def home(request):
    validators = PageValidators(request, "home")
    not_modified = validators.not_modified(request)
    if not_modified is not None:
        return not_modified
    glance = library_glance()
    grade_counts = library_counts(glance["grades"])
    verdict_counts = {}
    for (verdict, _certainty), n in grade_counts.items():
        verdict_counts[verdict] = verdict_counts.get(verdict, 0) + n
    context = {
        "grade_counts": grade_counts,
        "articles": list(SourceArticle.objects.published().for_list().defer("text")[:HOME_ARTICLES]),
        "article_count": glance["articles"],
        "verdicts": [(value, label, verdict_counts.get(value, 0)) for value, label in Verdict.choices],
        "claim_count": sum(verdict_counts.values()),
        "study_count": glance["studies"],
        "warnings": list(Warning.objects.published().by_severity()[:8]),
    }
    return page_headers(request, render(request, "evidence/home.html", context), validators)


def article_at_url(address):
    """The one public article whose original URL is ``address`` once both are normalised
    (evidence.links.url_key), or None: none, several, or not a web address."""
    key = url_key(address)[:500]
    if not key:
        return None
    found = list(SourceArticle.objects.published().filter(url_key=key).only("slug")[:2])
    return found[0] if len(found) == 1 else None


def looks_like_url(query):
    query = query.strip()
    return " " not in query and query.lower().startswith(("http://", "https://", "www."))


class ArticleListView(FacetedFilterView):
    """The reviewed articles; ``?url=<address>`` finds the one a reader just read (302 to it)."""

    model = SourceArticle
    filterset_class = ArticleFilter
    template_name = "evidence/sourcearticle_list.html"

    def get(self, request, *args, **kwargs):
        address = request.GET.get("url", "")
        if address.strip() and len(address) <= 2048:
            article = article_at_url(address)
            if article is not None:
                return HttpResponseRedirect(article.get_absolute_url())
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return SourceArticle.objects.published().for_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        address = self.request.GET.get("url", "").strip()
        if address:
            context["url_lookup"] = {"address": address[:2048], "valid": bool(url_key(address[:2048]))}
        return context


class ArticleDetailView(PublishedDetailView):
    model = SourceArticle
    template_name = "evidence/sourcearticle_detail.html"

    def get_queryset(self):
        return SourceArticle.objects.all()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        article = self.object
        passages, omitted, unfound = article_review_rows(article)
        if article.full_text_shown:  # cached by content (evidence/fragments.py)
            context["article_text_html"] = article_text_html(article, passages)
        else:  # the publisher's text: each passage with a sentence either side (evidence/excerpts.py)
            context["excerpts"] = passage_excerpts(article.text, passages, article.text_format)
        context.update(article_revision_notes(article))
        context["passages"] = passages
        context["omitted_warnings"] = omitted
        context["scorecard"] = scorecard(passages)
        context["claim_reviews"] = article_claim_reviews(passages)
        context["unfound_references"] = unfound
        context["bottom_line"] = article_bottom_line(article, passages, omitted, unfound)
        return context


def article_review_rows(article):
    """What an article page shows of its review, fetched once: its published passages (with their
    claims), the warnings it leaves out and the references it cites that could not be found."""
    passages = list(Passage.objects.filter(article=article).for_article())
    omitted = list(Warning.objects.omitted_by(article))
    unfound = list(article.unfound_references.filter(claim__in=Claim.objects.published()).select_related("claim"))
    return passages, omitted, unfound


def scorecard(passages):
    """Passages counted by verdict (rows) and wording (columns)."""
    wordings = Passage.Wording.choices
    rows = []
    for value, label in Verdict.choices:
        counts = [sum(1 for p in passages if p.claim.verdict == value and p.wording == w) for w, _ in wordings]
        rows.append({"verdict": value, "label": label, "counts": counts, "total": sum(counts)})
    return {"wordings": wordings, "rows": rows, "total": len(passages)}


class ClaimListView(FacetedFilterView):
    model = Claim
    filterset_class = ClaimFilter
    template_name = "evidence/claim_list.html"

    def get_queryset(self):
        return Claim.objects.published().for_list()


class ClaimDetailView(PublishedDetailView):
    model = Claim
    template_name = "evidence/claim_detail.html"

    def get_queryset(self):
        return Claim.objects.for_detail()

    def render_to_response(self, context, **kwargs):
        from evidence.cite import negotiate

        cited = negotiate(self.request, self.object, context["version"])
        if cited is not None:
            return cited
        response = super().render_to_response(context, **kwargs)
        patch_vary_headers(response, ["Accept"])
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        claim = self.object
        # The latest version, with the date of the first (the review's datePublished), in one query.
        first_approved = ClaimVersion.objects.filter(claim=OuterRef("claim")).order_by("number").values("approved_at")
        version = claim.versions.annotate(first_approved_at=Subquery(first_approved[:1])).order_by("-number").first()
        first = ClaimVersion(claim=claim, approved_at=version.first_approved_at) if version is not None else None
        # The articles quoting the claim are those of its published passages, already prefetched.
        articles = {passage.article for passage in claim.passages.all()}
        context.update(claim_page_context(claim, version, pinned=False, articles=articles, first=first))
        return context


class StudyListView(FacetedFilterView):
    model = Study
    filterset_class = StudyFilter
    template_name = "evidence/study_list.html"

    def get_queryset(self):
        return Study.objects.published().for_list()


class StudyDetailView(PublishedDetailView):
    model = Study
    slug_field = "key"
    slug_url_kwarg = "key"
    template_name = "evidence/study_detail.html"

    def get_queryset(self):
        return Study.objects.for_detail()

    def is_public(self, obj):
        return obj.status == Status.PUBLISHED and obj.is_verified


class SubstanceListView(ListView):
    model = Substance
    template_name = "evidence/substance_list.html"

    def get_queryset(self):
        return Substance.objects.for_list()


class SubstanceDetailView(PublishedDetailView):
    """A substance with its claims a page at a time (kratom has most of the library's claims)."""

    model = Substance
    template_name = "evidence/substance_detail.html"

    def get_queryset(self):
        return Substance.objects.for_detail(claims=False)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        claims = Claim.objects.published().filter(substances=self.object).defer("summary").order_by("statement", "pk")
        paginator = LibraryPaginator(claims, PAGE_SIZE, count_key=("substance-claims", self.object.pk))
        page = paginator.get_page(self.request.GET.get("page"))
        page.object_list = list(page.object_list)
        context["claims_page"] = page
        context["claims_notice"] = capped_notice(paginator) if paginator.is_capped and not page.has_next() else ""
        return context


class WarningListView(FacetedFilterView):
    model = Warning
    filterset_class = WarningFilter
    template_name = "evidence/warning_list.html"

    def get_queryset(self):
        return Warning.objects.published().for_list()


class WarningDetailView(PublishedDetailView):
    model = Warning
    template_name = "evidence/warning_detail.html"

    def get_queryset(self):
        return Warning.objects.for_detail()


def how_we_grade(request):
    """The public legend: what each verdict, certainty, wording, polarity and warning severity means."""

    def scale(choices, definitions):
        return [(value, label, definitions[value]) for value, label in choices.choices]

    context = {
        "verdicts": scale(Verdict, VERDICT_DEFINITIONS),
        "certainties": scale(Certainty, CERTAINTY_DEFINITIONS),
        "wordings": scale(Wording, WORDING_DEFINITIONS),
        "polarities": scale(Polarity, POLARITY_DEFINITIONS),
        "severities": scale(Severity, SEVERITY_DEFINITIONS)[::-1],  # most serious first, like the other scales
        "reviewers": ReviewerProfile.objects.filter(show_name=True),
    }
    return render(request, "evidence/how_we_grade.html", context)


def reviewer_detail(request, slug):
    """A named reviewer's public profile: who they are, their conflicts, and what they last reviewed."""
    profile = ReviewerProfile.objects.filter(slug=slug, show_name=True).select_related("user").first()
    if profile is None:
        raise Http404("No such reviewer.")
    reviewed = {
        "claims": Claim.objects.published().filter(last_reviewed_by=profile.user).order_by("statement"),
        "warnings": Warning.objects.published().filter(last_reviewed_by=profile.user).order_by("title"),
    }
    return render(request, "evidence/reviewer_detail.html", {"profile": profile, **reviewed})


SUGGESTIONS = 10


def article_suggestions(request):
    """Published articles whose title holds the typed text (or whose address starts with it), as
    JSON for the claims list's article box: ``{"results": [{"slug": …, "title": …}]}``, at most 10."""
    typed = " ".join(request.GET.get("q", "").split())[:100]
    results = []
    if len(typed) >= 2:
        rows = (
            SourceArticle.objects.published()
            .filter(Q(title__icontains=typed) | Q(slug__startswith=slugify(typed)))
            .order_by("title", "pk")
            .values("slug", "title")[:SUGGESTIONS]
        )
        results = list(rows)
    response = JsonResponse({"results": results})
    return page_headers(request, response)


@rate_limited("search")
def search(request):
    """Full-text search across the public library, grouped by type (see evidence/search.py).

    A pasted web address finds the article at that address (its page), or the articles list saying
    it is not in the library yet."""
    query = request.GET.get("q", "")
    if looks_like_url(query) and len(query) <= 2048:
        article = article_at_url(query)
        if article is not None:
            return HttpResponseRedirect(article.get_absolute_url())
        if url_key(query):
            return HttpResponseRedirect(reverse("evidence:article-list") + "?" + urlencode({"url": query.strip()}))
    return render(request, "evidence/search.html", {"search": search_library(query)})


def withdrawn_on(claim):
    """When a withdrawn claim was withdrawn (its first history record in that status)."""
    if claim.status != Status.WITHDRAWN:
        return None
    record = claim.history.filter(status=Status.WITHDRAWN).order_by("history_date").first()
    return record.history_date if record else None


def version_display(snapshot):
    """A recorded snapshot with the labels a page shows (values stay as recorded)."""
    labels = {
        "verdict": dict(Verdict.choices),
        "certainty": dict(Certainty.choices),
        "polarity": dict(Polarity.choices),
        "direction": dict(Direction.choices),
        "wording": dict(Wording.choices),
        "design": dict(StudyDesign.choices),
        "population": dict(Population.choices),
    }
    shown = dict(snapshot)
    for name in ("verdict", "certainty", "polarity"):
        shown[f"{name}_label"] = labels[name].get(snapshot.get(name), snapshot.get(name, ""))
    shown["evidence"] = [
        {
            **row,
            "direction_label": labels["direction"].get(row["direction"], row["direction"]),
            "design_label": labels["design"].get(row["study"].get("design"), ""),
            "population_label": labels["population"].get(row["study"].get("population"), ""),
        }
        for row in snapshot.get("evidence", [])
    ]
    shown["passages"] = [
        {**p, "wording_label": labels["wording"].get(p["wording"], p["wording"])} for p in snapshot.get("passages", [])
    ]
    return shown


def claim_page_context(claim, version, *, pinned, articles=None, first=None):
    """What the claim page and a pinned version share: version line, citation, embeds.

    On the claim page (``pinned=False``) ``version`` is the latest; ``articles`` and ``first`` (the
    published articles quoting the claim, its first version) spare ``claim_review`` its queries."""
    from evidence.cite import citation_context
    from evidence.embed import embed_context

    if pinned or version is None:
        latest_number = claim.versions.order_by("-number").values_list("number", flat=True).first()
    else:
        latest_number = version.number
    return {
        "claim": claim,
        "version": version,
        "latest_number": latest_number,
        "citation": citation_context(claim, version, pinned),
        "embed": embed_context(claim, version, pinned),
        "claim_review": claim_review(claim, version, pinned=pinned, articles=articles, first=first),
    }


@public_claim
def claim_version(request, claim, version):
    """Version N of a claim review exactly as recorded, readable for good, even after withdrawal."""
    from evidence.cite import negotiate

    cited = negotiate(request, claim, version)
    if cited is not None:
        return cited
    newer = list(claim.versions.filter(number__gt=version.number).order_by("number"))
    context = {
        **claim_page_context(claim, version, pinned=True),
        "snapshot": version_display(version.snapshot),
        "newer": newer,
        "withdrawn_on": withdrawn_on(claim),
    }
    response = render(request, "evidence/claim_version.html", context)
    patch_vary_headers(response, ["Accept"])
    return response


def _diff_versions(old, new):
    """What changed between two recorded snapshots, in the terms a reader cares about."""
    changes = []
    for name, label in (("statement", _("Statement")), ("verdict", _("Verdict")), ("certainty", _("Certainty"))):
        if old.get(name) != new.get(name):
            changes.append({"field": label, "before": old.get(name, ""), "after": new.get(name, "")})
    summary = None
    if old.get("summary") != new.get("summary"):
        summary = list(
            difflib.unified_diff(
                textwrap.wrap(old.get("summary", ""), 90), textwrap.wrap(new.get("summary", ""), 90), lineterm="", n=1
            )
        )[2:]

    def studies(snapshot):
        return {row["study"]["key"]: row for row in snapshot.get("evidence", [])}

    before, after = studies(old), studies(new)
    return {
        "fields": changes,
        "summary": summary,
        "added": [after[key] for key in sorted(after.keys() - before.keys())],
        "removed": [before[key] for key in sorted(before.keys() - after.keys())],
        "redirected": [
            {"study": after[key]["study"], "before": before[key]["direction"], "after": after[key]["direction"]}
            for key in sorted(after.keys() & before.keys())
            if after[key]["direction"] != before[key]["direction"]
        ],
    }


@public_claim(serves_withdrawn=True)
def claim_history(request, claim, version):
    """Every version with its date, grade and note, and what changed between two of them."""
    versions = list(claim.versions.order_by("-number"))
    numbers = [v.number for v in versions]
    notice = ""
    compare = None
    if len(versions) >= 2:
        try:
            new = int(request.GET.get("to") or numbers[0])
            old = int(request.GET.get("from") or (new - 1))
        except ValueError:
            new, old, notice = numbers[0], numbers[1], _("Versions are numbers; comparing the two latest.")
        if new not in numbers or old not in numbers or old == new:
            if request.GET.get("to") or request.GET.get("from"):
                notice = _("There is no such pair of versions; comparing the two latest.")
            new, old = numbers[0], numbers[1]
        by_number = {v.number: v for v in versions}
        compare = {
            "old": by_number[old],
            "new": by_number[new],
            "changes": _diff_versions(by_number[old].snapshot, by_number[new].snapshot),
        }
    context = {
        "claim": claim,
        "versions": [(v, version_display(v.snapshot)) for v in versions],
        "compare": compare,
        "notice": notice,
        "withdrawn_on": withdrawn_on(claim),
    }
    return render(request, "evidence/claim_history.html", context)


# --- article revisions (docs/decisions/0007-revisions-and-reanchoring.md) ---------------------------


def article_revision_notes(article):
    """What the article page says about revisions: the earlier ones (linked) and how many passages
    wait to be re-checked after the text changed. No query for an article never revised."""
    if article.revision <= 1:
        return {"earlier_revisions": [], "rechecking": 0}
    earlier = list(
        article.revisions.only("pk", "article_id", "number", "imported_at", "replaced_at").order_by("number")
    )
    rechecking = (
        Passage.objects.filter(article=article, claim__status=Status.PUBLISHED)
        .exclude(placement=Passage.Placement.EXACT)
        .count()
    )
    return {"earlier_revisions": earlier, "rechecking": rechecking}


class SnapshotPassage:
    """A passage as an earlier revision kept it (ArticleRevision.passages), shaped for render_structure."""

    def __init__(self, row, claim):
        self.pk = row["id"]
        self.quote, self.start, self.end = row["quote"], row["start"], row["end"]
        self.prefix, self.suffix = row.get("prefix", ""), row.get("suffix", "")
        self.wording, self.wording_note = row["wording"], row.get("wording_note", "")
        self.claim = claim

    def get_wording_display(self):
        return Wording(self.wording).label


def article_revision(request, slug, number):
    """An earlier revision of a published article, with its passages as they were then."""
    article = SourceArticle.objects.filter(slug=slug).first()
    if article is None:
        moved = moved_response(request, SourceArticle, slug)
        if moved is None:
            raise Http404("No such article.")
        return moved
    if article.status == Status.WITHDRAWN:
        return TemplateResponse(request, "410.html", {"object": article}, status=410)
    if article.status != Status.PUBLISHED:
        raise Http404("Not published.")
    if number == article.revision:
        return HttpResponseRedirect(article.get_absolute_url())
    revision = article.revisions.filter(number=number).first()
    if revision is None:
        raise Http404("No such revision.")
    rows = [row for row in revision.passages if row.get("placement", "exact") == Passage.Placement.EXACT]
    claims = Claim.objects.published().in_bulk([row["claim"] for row in rows], field_name="slug")
    passages = [SnapshotPassage(row, claims[row["claim"]]) for row in rows if row["claim"] in claims]
    context = {
        "object": article,
        "revision": revision,
        "passages": sorted(passages, key=lambda p: p.start),
        "earlier_revisions": list(
            article.revisions.only("pk", "article_id", "number", "imported_at", "replaced_at").order_by("number")
        ),
    }
    if article.full_text_shown:
        context["structure"] = render_structure(revision.text, passages, revision.text_format)
    else:
        context["excerpts"] = passage_excerpts(revision.text, passages, revision.text_format)
    return render(request, "evidence/article_revision.html", context)
