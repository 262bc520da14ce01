"""Template helpers: safe Markdown, verdict labels and the evidence charts."""

import nh3
from django import template
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

from evidence import charts
from evidence.models import Certainty, Direction, Verdict
from evidence.profile import grade_flags, profile_reading, profile_tiers

register = template.Library()

# js-default: CommonMark without raw HTML; nh3 then strips anything unexpected.
_markdown = MarkdownIt("js-default")
ALLOWED_TAGS = {
    "p",
    "em",
    "strong",
    "a",
    "ul",
    "ol",
    "li",
    "code",
    "blockquote",
    "br",
    "h3",
    "h4",
}


def render_markdown(source):
    html = _markdown.render(source or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        link_rel="nofollow noopener",
    )


@register.filter(name="markdown")
def markdown_filter(source):
    return mark_safe(render_markdown(source))  # sanitised by nh3 above


@register.inclusion_tag("includes/_review_dates.html")
def review_dates(item):
    """When a claim or warning was last reviewed, by whom (as readers know them), and when it is due again."""
    from evidence.services.desk import public_reviewer

    reviewer = public_reviewer(item.last_reviewed_by) if item.last_reviewed_at else None
    return {"item": item, "reviewer": reviewer}


@register.inclusion_tag("includes/_grade.html")
def grade(claim):
    return {"claim": claim}


# Charts (evidence/charts.py). Each tag works on rows the view already fetched: no queries.


@register.inclusion_tag("includes/_evidence_profile.html")
def evidence_profile(claim):
    """The claim's studies by design and direction, as a chart and a table, with grade flags."""
    evidence = claim.evidence.all()  # prefetched with its study by Claim.objects.for_detail()
    tiers = profile_tiers(evidence)  # the design rows, grouped by how much each design weighs
    return {
        "claim": claim,
        "rows": [row for tier in tiers for row in tier.rows],
        "tiers": tiers,
        "reading": profile_reading(tiers, claim),
        "chart": charts.profile_chart(claim, tiers),
        "flags": grade_flags(claim, evidence),
        "directions": Direction.choices,
    }


@register.simple_tag
def scorecard_chart(scorecard):
    """The article scorecard (``views.scorecard()``) as a chart; the table stays as its text."""
    return charts.scorecard_chart(scorecard)


@register.inclusion_tag("includes/_claim_map.html")
def claim_map(article, passages):
    """Where the article's graded passages sit along its length, each linking to its highlight."""
    return {"chart": charts.claim_map(article, passages), "count": len(passages)}


@register.inclusion_tag("includes/_library_chart.html")
def library_chart(grade_counts):
    """Published claims by verdict and certainty, as a chart and a table."""
    certainties = Certainty.choices
    rows = []
    for value, label in Verdict.choices:
        cells = [(certainty, grade_counts.get((value, certainty), 0)) for certainty, _label in certainties]
        rows.append({"verdict": value, "label": label, "cells": cells, "total": sum(n for _c, n in cells)})
    return {
        "chart": charts.library_chart(grade_counts),
        "certainties": certainties,
        "rows": rows,
        "total": sum(grade_counts.values()),
    }


@register.filter(name="json_ld")
def json_ld_filter(data):
    """Structured data for a ``<script type="application/ld+json">`` block (escaped for HTML)."""
    from evidence.structured import as_json_ld

    return mark_safe(as_json_ld(data))  # "<", ">" and "&" are escaped as \\u003c etc.


@register.filter(name="absolute")
def absolute_filter(path):
    """A path on the public site as an absolute URL from SITE_URL, without query string."""
    from evidence.links import absolute

    return absolute(path)


@register.simple_tag
def original_fragment(article, passage):
    """The article's original URL with a text fragment that scrolls to the passage there."""
    from evidence.links import text_fragment_url

    return text_fragment_url(article.original_url, passage.quote, passage.prefix, passage.suffix)
