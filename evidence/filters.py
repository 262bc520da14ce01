"""FilterSets shared by the HTML lists (and, later, the API)."""

import django_filters

from evidence.models import (
    Certainty,
    Claim,
    SourceArticle,
    Study,
    Substance,
    Verdict,
    Warning,
)


class ClaimFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="statement", lookup_expr="icontains", label="Statement contains")
    verdict = django_filters.ChoiceFilter(choices=Verdict.choices)
    certainty = django_filters.ChoiceFilter(choices=Certainty.choices)
    topic = django_filters.ChoiceFilter(choices=Claim.Topic.choices)
    substance = django_filters.ModelChoiceFilter(
        field_name="substances", to_field_name="slug", queryset=Substance.objects.all()
    )
    article = django_filters.ModelChoiceFilter(
        field_name="passages__article",
        to_field_name="slug",
        queryset=SourceArticle.objects.all(),
        label="Appears in article",
        distinct=True,
    )

    class Meta:
        model = Claim
        fields = ["q", "verdict", "certainty", "topic", "substance", "article"]


class StudyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label="Title contains")
    design = django_filters.ChoiceFilter(choices=Study.Design.choices)
    population = django_filters.ChoiceFilter(choices=Study.Population.choices)

    class Meta:
        model = Study
        fields = ["q", "design", "population"]


class ArticleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label="Title contains")

    class Meta:
        model = SourceArticle
        fields = ["q"]


class WarningFilter(django_filters.FilterSet):
    severity = django_filters.ChoiceFilter(choices=Warning.Severity.choices)
    substance = django_filters.ModelChoiceFilter(
        field_name="substances", to_field_name="slug", queryset=Substance.objects.all()
    )

    class Meta:
        model = Warning
        fields = ["severity", "substance"]
