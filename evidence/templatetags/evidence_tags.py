"""Template helpers: safe Markdown and verdict labels."""

import nh3
from django import template
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

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


VERDICT_ICONS = {
    "supported": "✓",
    "mixed": "±",
    "insufficient": "?",
    "contradicted": "✗",
    "unverifiable": "⊘",
}


@register.filter
def verdict_icon(verdict):
    return VERDICT_ICONS.get(verdict, "")


@register.inclusion_tag("includes/_grade.html")
def grade(claim):
    return {"claim": claim}
