"""The article body's highlighted HTML, kept in the shared cache (issue 14: fragment caching).

Parsing an article and highlighting its passages (``render_structure``) is most of a 50-passage
article page's time. Its HTML depends only on the article text, its format, and each passage's
place and the attributes it is highlighted with (the claim's grade, statement and address, the
passage's wording: ``passage_attrs``), so the cache key is a digest of exactly those, plus the
release (templates) and the language. An approved change to a passage or to a quoted claim changes
the key, and so does a new revision of the text: a page never shows a stale body, and nothing has
to be invalidated. Computing the key needs no query: the view has the passages and their claims.
"""

import contextlib
import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from evidence.text import passage_attrs, render_structure

ARTICLE_TEXT_SECONDS = 7 * 24 * 3600  # content-addressed: an entry is never wrong, only unused
ARTICLE_TEXT_TEMPLATE = "evidence/includes/article_text.html"


def article_text_key(article, passages):
    placed = [(p.pk, p.start, p.end, passage_attrs(p)) for p in sorted(passages, key=lambda p: (p.start, p.pk))]
    parts = [settings.RELEASE_ID, get_language(), article.pk, article.content_hash, article.text_format, placed]
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:40]
    return f"kratomref:article-text:{article.pk}:{article.revision}:{digest}"


def article_text_html(article, passages):
    """The article's whole text, structured and highlighted, as HTML (cached; see the module)."""
    key = article_text_key(article, passages)
    try:
        html = cache.get(key)
    except Exception:  # the shared cache is down: render, as without a cache
        html = None
    if html is None:
        structure = render_structure(article.text, passages, article.text_format)
        html = render_to_string(ARTICLE_TEXT_TEMPLATE, {"structure": structure})
        with contextlib.suppress(Exception):  # the shared cache is down: the page is served all the same
            cache.set(key, html, timeout=ARTICLE_TEXT_SECONDS)
    return mark_safe(html)  # rendered by our template: escaped there
