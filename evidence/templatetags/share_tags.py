"""What a page tells sharing sites: its description and its share image (evidence/share_images.py)."""

from django import template
from django.urls import reverse

from evidence.links import absolute

register = template.Library()


@register.filter
def first_sentence(markdown_source):
    """The first sentence of a Markdown text, as plain text (a claim summary's, for descriptions)."""
    from evidence.embed import first_sentence as first

    return first(markdown_source)


@register.inclusion_tag("includes/_share_image_meta.html")
def claim_share_meta(claim):
    """``og:image`` (with its size and text equivalent) for a claim page."""
    from evidence.share_images import HEIGHT, WIDTH, claim_share_alt

    url = absolute(reverse("evidence:claim-share-image", kwargs={"slug": claim.slug}))
    return {"url": url, "alt": claim_share_alt(claim), "width": WIDTH, "height": HEIGHT}


@register.inclusion_tag("includes/_share_image_meta.html")
def article_share_meta(article, bottom_line):
    """``og:image`` (with its size and text equivalent) for an article page."""
    from evidence.share_images import HEIGHT, WIDTH, article_share_alt

    url = absolute(reverse("evidence:article-share-image", kwargs={"slug": article.slug}))
    return {"url": url, "alt": article_share_alt(article, bottom_line), "width": WIDTH, "height": HEIGHT}
