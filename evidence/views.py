"""Public pages. Every queryset starts from ``published()``; shapes live on the QuerySets."""

from django.db.models import Count
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView
from django_filters.views import FilterView

from evidence.charts import library_counts
from evidence.filters import ArticleFilter, ClaimFilter, StudyFilter, WarningFilter
from evidence.models import (
    CERTAINTY_DEFINITIONS,
    POLARITY_DEFINITIONS,
    VERDICT_DEFINITIONS,
    WORDING_DEFINITIONS,
    Certainty,
    Claim,
    Passage,
    Polarity,
    SlugRedirect,
    SourceArticle,
    Status,
    Study,
    Substance,
    Verdict,
    Warning,
    Wording,
)
from evidence.search import search_library
from evidence.text import render_structure
from kratomref.ratelimit import rate_limited

PAGE_SIZE = 25


class FacetedFilterView(FilterView):
    """A filtered, paginated list whose facets show counts and whose bad page numbers get a message."""

    paginate_by = PAGE_SIZE
    page_notice = ""

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
            elif number > paginator.num_pages:
                self.page_notice = _("There are only %(total)s page(s); showing the last one.")
                number = paginator.num_pages
        self.page_notice = self.page_notice % {"page": str(raw)[:20], "total": paginator.num_pages}
        page = paginator.page(number)
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = context["filter"]
        if filterset.facets:
            filterset.label_choices_with_counts(filterset.facet_counts(filterset.queryset))
        context["page_notice"] = self.page_notice
        return context


class Gone(Exception):
    """The object was published and then withdrawn: answer 410 with an explanation."""

    def __init__(self, obj):
        self.obj = obj


class PublishedDetailView(DetailView):
    """A detail page that answers 404 for drafts and 410 for withdrawn items.

    An address that moved (a claim split in two, an item renamed) answers 301 to where it lives
    now, unless a public item holds the old slug.
    """

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            moved = self.moved_to()
            if moved is None:
                raise
            return moved
        except Gone as gone:
            return self.moved_to() or TemplateResponse(request, "410.html", {"object": gone.obj}, status=410)

    def moved_to(self):
        slug = self.kwargs[self.slug_url_kwarg]
        new_slug = SlugRedirect.resolve(self.model._meta.model_name, slug)
        if new_slug is None:
            return None
        url = self.request.path.replace(f"/{slug}/", f"/{new_slug}/", 1)
        query = self.request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if obj.status == Status.WITHDRAWN:
            raise Gone(obj)
        if not self.is_public(obj):
            raise Http404("Not published.")
        return obj

    def is_public(self, obj):
        return obj.status == Status.PUBLISHED


def home(request):
    grade_counts = library_counts(
        Claim.objects.published().values_list("verdict", "certainty").annotate(n=Count("pk")).order_by()
    )
    verdict_counts = {}
    for (verdict, _certainty), n in grade_counts.items():
        verdict_counts[verdict] = verdict_counts.get(verdict, 0) + n
    context = {
        "grade_counts": grade_counts,
        "articles": SourceArticle.objects.published().for_list(),
        "verdicts": [(value, label, verdict_counts.get(value, 0)) for value, label in Verdict.choices],
        "claim_count": sum(verdict_counts.values()),
        "study_count": Study.objects.published().count(),
        "warnings": Warning.objects.published().by_severity()[:8],
    }
    return render(request, "evidence/home.html", context)


class ArticleListView(FacetedFilterView):
    model = SourceArticle
    filterset_class = ArticleFilter
    template_name = "evidence/sourcearticle_list.html"

    def get_queryset(self):
        return SourceArticle.objects.published().for_list()


class ArticleDetailView(PublishedDetailView):
    model = SourceArticle
    template_name = "evidence/sourcearticle_detail.html"

    def get_queryset(self):
        return SourceArticle.objects.all()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        article = self.object
        passages = list(Passage.objects.filter(article=article).for_article())
        context["structure"] = render_structure(article.text, passages)
        context["passages"] = passages
        context["omitted_warnings"] = Warning.objects.omitted_by(article)
        context["scorecard"] = scorecard(passages)
        context["unfound_references"] = article.unfound_references.filter(
            claim__in=Claim.objects.published()
        ).select_related("claim")
        return context


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
    model = Substance
    template_name = "evidence/substance_detail.html"

    def get_queryset(self):
        return Substance.objects.for_detail()


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
    """The public legend: what each verdict, certainty, wording and polarity means."""

    def scale(choices, definitions):
        return [(value, label, definitions[value]) for value, label in choices.choices]

    context = {
        "verdicts": scale(Verdict, VERDICT_DEFINITIONS),
        "certainties": scale(Certainty, CERTAINTY_DEFINITIONS),
        "wordings": scale(Wording, WORDING_DEFINITIONS),
        "polarities": scale(Polarity, POLARITY_DEFINITIONS),
    }
    return render(request, "evidence/how_we_grade.html", context)


@rate_limited("search")
def search(request):
    """Full-text search across the public library, grouped by type (see evidence/search.py)."""
    return render(request, "evidence/search.html", {"search": search_library(request.GET.get("q", ""))})
