"""FilterSets shared by the HTML lists and the JSON API (/api/v1/): one definition, two front-ends,
the same filter names in both.

``q`` is the library's full-text search (each QuerySet's ``search()``, as on the search page), so a
query means the same on a list, on the search page and in the API. Each FilterSet declares its
facets: filters whose choices are shown with the number of results each would give, counted with
every other active filter applied.
"""

import django_filters
from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Count
from django_filters.constants import EMPTY_VALUES

from evidence.models import Certainty, Claim, Polarity, Severity, SourceArticle, Study, Substance, Verdict, Warning


class SearchField(forms.CharField):
    """Any text is a query: the search cleans it (control characters, length) as the search page does."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]


class SearchFilter(django_filters.CharFilter):
    """``q``: the library's full-text search (``search(q)``), best match first unless a sort is chosen."""

    field_class = SearchField

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Search")
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return qs.search(value)


class FacetedFilterSet(django_filters.FilterSet):
    facets = ()  # names of ChoiceFilter / ModelChoiceFilter filters to count

    def facet_counts(self, base_queryset):
        """{facet name: {value: count}} with each facet's own selection left out."""
        counts = {}
        for name in self.facets:
            data = self.data.copy()
            data.pop(name, None)
            other = type(self)(data, queryset=base_queryset)
            queryset = other.qs if other.is_valid() else base_queryset.none()
            field = self.filters[name].field_name
            key = getattr(self.filters[name], "extra", {}).get("to_field_name") or "pk"
            lookup = f"{field}__{key}" if key != "pk" and field != "pk" else field
            rows = queryset.order_by().values(lookup).annotate(n=Count("pk", distinct=True)).values_list(lookup, "n")
            counts[name] = {value: n for value, n in rows if value is not None}
        return counts

    def label_choices_with_counts(self, counts):
        """Show each facet value's count in its option label ("Contradicted (5)")."""
        for name, by_value in counts.items():
            field = self.form.fields[name]
            labelled = []
            for value, label in field.choices:
                if value in ("", None):
                    labelled.append((value, label))
                    continue
                key = getattr(value, "instance", None)
                key = getattr(key, self.filters[name].extra.get("to_field_name", "pk"), value) if key else value
                labelled.append((value, f"{label} ({by_value.get(key, 0)})"))
            field.widget.choices = labelled  # labels only: validation still uses the field's own choices


class ClaimFilter(FacetedFilterSet):
    facets = ("verdict", "certainty", "polarity", "topic", "substance", "article")

    q = SearchFilter()
    verdict = django_filters.ChoiceFilter(choices=Verdict.choices)
    certainty = django_filters.ChoiceFilter(choices=Certainty.choices)
    polarity = django_filters.ChoiceFilter(choices=Polarity.choices, label="If true")
    topic = django_filters.ChoiceFilter(choices=Claim.Topic.choices)
    substance = django_filters.ModelChoiceFilter(
        field_name="substances", to_field_name="slug", queryset=Substance.objects.published().order_by("name")
    )
    article = django_filters.ModelChoiceFilter(
        field_name="passages__article",
        to_field_name="slug",
        queryset=SourceArticle.objects.published().order_by("title"),
        label="Appears in article",
        distinct=True,
    )
    # Verdict and certainty sort by their place on the scale (from "supported" and from "high").
    o = django_filters.OrderingFilter(
        fields=(
            ("statement", "statement"),
            ("verdict_rank", "verdict"),
            ("certainty_rank", "certainty"),
            ("updated_at", "updated"),
        ),
        field_labels={
            "statement": "Statement",
            "verdict_rank": "Verdict",
            "certainty_rank": "Certainty",
            "updated_at": "Recently updated",
        },
        label="Sort by",
    )

    class Meta:
        model = Claim
        fields = ["q", "verdict", "certainty", "topic", "substance", "article"]


class StudyFilter(FacetedFilterSet):
    facets = ("design", "population")

    q = SearchFilter()
    design = django_filters.ChoiceFilter(choices=Study.Design.choices)
    population = django_filters.ChoiceFilter(choices=Study.Population.choices)
    year_min = django_filters.NumberFilter(
        field_name="year", lookup_expr="gte", label="From year", min_value=1900, max_value=2100
    )
    year_max = django_filters.NumberFilter(
        field_name="year", lookup_expr="lte", label="To year", min_value=1900, max_value=2100
    )
    has_identifier = django_filters.ChoiceFilter(
        label="Identifier",
        choices=[("doi", "Has a DOI"), ("pmid", "Has a PMID"), ("none", "URL only")],
        method="filter_identifier",
    )
    o = django_filters.OrderingFilter(
        fields=(("year", "year"), ("title", "title")), field_labels={"year": "Year", "title": "Title"}, label="Sort by"
    )

    class Meta:
        model = Study
        fields = ["q", "design", "population", "year_min", "year_max", "has_identifier"]

    def filter_identifier(self, queryset, name, value):
        if value == "doi":
            return queryset.exclude(doi="")
        if value == "pmid":
            return queryset.exclude(pmid="")
        return queryset.filter(doi="", pmid="")


class ArticleFilter(FacetedFilterSet):
    q = SearchFilter()
    o = django_filters.OrderingFilter(
        fields=(("title", "title"), ("imported_at", "imported")),
        field_labels={"title": "Title", "imported_at": "Date imported"},
        label="Sort by",
    )

    class Meta:
        model = SourceArticle
        fields = ["q"]


class WarningFilter(FacetedFilterSet):
    facets = ("severity", "substance")

    q = SearchFilter()
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    substance = django_filters.ModelChoiceFilter(
        field_name="substances", to_field_name="slug", queryset=Substance.objects.published().order_by("name")
    )

    class Meta:
        model = Warning
        fields = ["q", "severity", "substance"]


class SubstanceFilter(FacetedFilterSet):
    q = SearchFilter()
    kind = django_filters.ChoiceFilter(choices=Substance.Kind.choices)

    class Meta:
        model = Substance
        fields = ["q", "kind"]
