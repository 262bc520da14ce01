"""FilterSets shared by the HTML lists and the JSON API (/api/v1/): one definition, two front-ends,
the same filter names in both.

``q`` is the library's full-text search (each QuerySet's ``search()``, as on the search page), so a
query means the same on a list, on the search page and in the API. Each FilterSet declares its
facets: filters whose choices are shown with the number of results each would give, counted with
every other active filter applied.

Readers see words, never Django's "---------": an empty choice reads "Any verdict", an unchosen sort
names the list's own order, and ``active_filters()`` turns the filters in the address into chips,
each a link to the same list without that filter.
"""

from dataclasses import dataclass

import django_filters
from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Count, Model
from django.http import QueryDict
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django_filters import conf as filter_conf
from django_filters.constants import EMPTY_VALUES

from evidence.links import url_key
from evidence.models import Certainty, Claim, Polarity, Severity, SourceArticle, Study, Substance, Verdict, Warning


class SearchField(forms.CharField):
    """Any text is a query: the search cleans it (control characters, length) as the search page does."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]


class SuggestInput(forms.TextInput):
    """A text box for an item's address (slug) with suggestions as the reader types.

    Without JavaScript it takes the address as typed. static/js/suggest.js fills the ``<datalist>``
    after it from the JSON at ``suggestions`` (a URL name), so a title typed becomes a slug picked.
    """

    def __init__(self, *, suggestions, attrs=None):
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.suggestions = suggestions

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs["list"] = f"{widget_attrs.get('id') or name}-suggestions"
        widget_attrs["data-suggest"] = reverse(self.suggestions)
        return context

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        list_id = f"{(attrs or {}).get('id') or name}-suggestions"
        return format_html('{}<datalist id="{}"></datalist>', html, list_id)


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


@dataclass(frozen=True)
class FilterChip:
    """An active filter as a reader sees it: "Verdict: Contradicted", and the list without it."""

    name: str
    label: str
    url: str


class FacetedFilterSet(django_filters.FilterSet):
    facets = ()  # names of ChoiceFilter / ModelChoiceFilter filters to count
    default_ordering_label = _("Default order")  # the empty choice of the sort: what the list does unasked
    PAGE_PARAM = "page"

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.label_empty_choices()

    def label_empty_choices(self):
        """Name the empty choice of every select: "Any verdict", or the order the list keeps unasked.

        Filters declare their own ``empty_label``; one that does not gets "Any <its label>".
        """
        searching = bool(str(self.data.get("q", "") or "").strip())
        unnamed = filter_conf.settings.EMPTY_CHOICE_LABEL  # "---------"
        for name, filter_ in self.filters.items():
            # A form field built earlier (the API schema builds them on the class's filters, and
            # each instance copies them) would keep its old empty label: build it again.
            filter_.__dict__.pop("_field", None)
            if isinstance(filter_, django_filters.OrderingFilter):
                best_match = _("Default (best match first)")
                filter_.extra["empty_label"] = best_match if searching else self.default_ordering_label
            elif (
                isinstance(filter_, django_filters.ChoiceFilter)
                and filter_.extra.get("empty_label", unnamed) == unnamed
            ):
                thing = str(filter_.label or name).lower()
                filter_.extra["empty_label"] = gettext_now("Any %(thing)s") % {"thing": thing}

    # ------------------------------------------------------------ chips

    def active_filters(self):
        """A chip for each filter in the address with a value, in the form's order; none when unfiltered.

        A value the form rejects still gets a chip (with the text as given), so a reader can remove it.
        """
        if not self.is_bound or not hasattr(self.data, "getlist"):
            return []
        form = self.form
        form.is_valid()  # fills cleaned_data for the fields that are valid
        cleaned = getattr(form, "cleaned_data", {})
        chips = []
        for name, filter_ in self.filters.items():
            raw = [value for value in self.data.getlist(name) if str(value).strip()]
            if not raw:
                continue
            value = cleaned.get(name) if name not in form.errors else None
            chips.append(FilterChip(name, self.chip_label(name, filter_, raw, value), self.url_without(name)))
        return chips

    def chip_label(self, name, filter_, raw, value):
        shown = Truncator(" ".join(raw)).chars(40)
        if isinstance(filter_, django_filters.OrderingFilter):
            choices = dict(filter_.extra.get("choices", ()))
            orders = [str(choices.get(param, param)) for param in (value or raw)]
            order = ", ".join(orders)
            return gettext_now("Sorted by: %(order)s") % {"order": order[:1].lower() + order[1:]}
        if isinstance(filter_, SearchFilter):
            return gettext_now("Search: “%(q)s”") % {"q": shown}
        if isinstance(value, Model):
            shown = str(value)
        elif isinstance(filter_, django_filters.ChoiceFilter) and not isinstance(
            filter_, django_filters.ModelChoiceFilter
        ):
            shown = str(dict(filter_.extra.get("choices", ())).get(raw[0], shown))
        return f"{filter_.label}: {shown}"

    def url_without(self, name):
        """This list without filter ``name``, from its first page; other parameters kept, empty ones dropped."""
        params = QueryDict(mutable=True)
        for key, values in self.data.lists():
            kept = [value for value in values if str(value).strip()]
            if key not in (name, self.PAGE_PARAM) and kept:
                params.setlist(key, kept)
        path = self.request.path if self.request is not None else ""
        query = params.urlencode()
        return f"{path}?{query}" if query else (path or "?")

    def facet_counts(self, base_queryset):
        """{facet name: {value: count}} with each facet's own selection left out."""
        counts = {}
        unordered = [name for name, f in self.filters.items() if isinstance(f, django_filters.OrderingFilter)]
        for name in self.facets:
            data = self.data.copy()
            for left_out in (name, *unordered):  # an order changes no count (and may need the list's ranks)
                data.pop(left_out, None)
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
    facets = ("verdict", "certainty", "polarity", "topic", "substance")

    default_ordering_label = _("Default (statement, A–Z)")

    q = SearchFilter()
    verdict = django_filters.ChoiceFilter(choices=Verdict.choices, empty_label=_("Any verdict"))
    certainty = django_filters.ChoiceFilter(choices=Certainty.choices, empty_label=_("Any certainty"))
    polarity = django_filters.ChoiceFilter(choices=Polarity.choices, label="If true", empty_label=_("Any outcome"))
    topic = django_filters.ChoiceFilter(choices=Claim.Topic.choices, empty_label=_("Any topic"))
    substance = django_filters.ModelChoiceFilter(
        field_name="substances",
        to_field_name="slug",
        queryset=Substance.objects.published().order_by("name"),
        label=_("Substance"),
        empty_label=_("Any substance"),
    )
    # Thousands of articles: a text box for the article's address (its slug), which the claims list
    # fills as the reader types a title (static/js/suggest.js, /articles/suggest.json); never a
    # <select> of every article. Looked up by slug alone, never loading the article's text.
    article = django_filters.ModelChoiceFilter(
        field_name="passages__article",
        to_field_name="slug",
        queryset=SourceArticle.objects.published().only("pk", "slug", "title"),
        label="Appears in article",
        empty_label=_("Any article"),
        distinct=True,
        widget=SuggestInput(suggestions="evidence:article-suggestions"),
        error_messages={
            "invalid_choice": _(
                "No reviewed article has the address “%(value)s”. Type part of its title and pick it, or give "
                "its address: the part after /articles/."
            )
        },
    )
    # Verdict and certainty sort by their place on the scale (from "supported" and from "high").
    o = django_filters.OrderingFilter(
        fields=(
            ("statement", "statement"),
            ("verdict_rank", "verdict"),
            ("certainty_rank", "certainty"),
            ("updated_at", "updated"),
        ),
        # Ascending keys are field names, descending ones "-<parameter>"; each says which end comes first.
        field_labels={
            "statement": _("Statement, A–Z"),
            "-statement": _("Statement, Z–A"),
            "verdict_rank": _("Verdict, supported first"),
            "-verdict": _("Verdict, unverifiable first"),
            "certainty_rank": _("Certainty, highest first"),
            "-certainty": _("Certainty, lowest first"),
            "updated_at": _("Least recently updated first"),
            "-updated": _("Recently updated first"),
        },
        label="Sort by",
    )

    class Meta:
        model = Claim
        fields = ["q", "verdict", "certainty", "topic", "substance", "article"]


class StudyFilter(FacetedFilterSet):
    facets = ("design", "population")

    default_ordering_label = _("Default (newest first)")

    q = SearchFilter()
    design = django_filters.ChoiceFilter(choices=Study.Design.choices, empty_label=_("Any design"))
    population = django_filters.ChoiceFilter(choices=Study.Population.choices, empty_label=_("Any population"))
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
        empty_label=_("Any identifier"),
    )
    o = django_filters.OrderingFilter(
        fields=(("year", "year"), ("title", "title")),
        field_labels={
            "year": _("Oldest first"),
            "-year": _("Newest first"),
            "title": _("Title, A–Z"),
            "-title": _("Title, Z–A"),
        },
        label="Sort by",
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


class ArticleURLFilter(django_filters.CharFilter):
    """``url``: articles whose original URL is this address once both are normalised
    (evidence.links.url_key: scheme, ``www.``, trailing slash, tracking parameters, AMP variants).
    An address that is not an http(s) URL matches nothing."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Original address"))
        kwargs.setdefault("max_length", 2048)
        kwargs.setdefault("validators", [ProhibitNullCharactersValidator()])
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        key = url_key(value)[:500]
        return qs.filter(url_key=key) if key else qs.none()


class ArticleFilter(FacetedFilterSet):
    default_ordering_label = _("Default (title, A–Z)")

    q = SearchFilter()
    url = ArticleURLFilter()
    o = django_filters.OrderingFilter(
        fields=(("title", "title"), ("imported_at", "imported")),
        field_labels={
            "title": _("Title, A–Z"),
            "-title": _("Title, Z–A"),
            "imported_at": _("First imported first"),
            "-imported": _("Last imported first"),
        },
        label="Sort by",
    )

    class Meta:
        model = SourceArticle
        fields = ["q", "url"]


class WarningFilter(FacetedFilterSet):
    facets = ("severity", "certainty", "substance")

    q = SearchFilter()
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    certainty = django_filters.ChoiceFilter(choices=Certainty.choices)
    substance = django_filters.ModelChoiceFilter(
        field_name="substances", to_field_name="slug", queryset=Substance.objects.published().order_by("name")
    )

    class Meta:
        model = Warning
        fields = ["q", "severity", "certainty", "substance"]


class SubstanceFilter(FacetedFilterSet):
    q = SearchFilter()
    kind = django_filters.ChoiceFilter(choices=Substance.Kind.choices)

    class Meta:
        model = Substance
        fields = ["q", "kind"]
