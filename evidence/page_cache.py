"""Whole pages kept in the shared cache for anonymous readers, keyed on their ``ETag``.

A detail page's ETag (evidence/http.py, ``PageValidators``) is computed from everything the page
shows: the item's version and ``updated_at``, the library's content version (every approval anywhere
moves it), the release, today's date, the full path, the ``Accept`` header and whether the request
comes from a signed-in curator. Pages carry nothing per request (no nonce, no CSRF token, no
messages), so two requests with the same ETag get the same bytes: the body rendered for the first
can answer the second. An approved change makes a new ETag, so a kept page is never served after
the change; nothing has to be invalidated, and old entries simply expire.

Only anonymous readers' ``200`` HTML answers to ``GET`` are kept (a curator's pages may show who is
signed in, and citations in other formats are cheap). A view opts in with ``page_cache = True``
(``PublishedDetailView``); ``PAGE_CACHE_SECONDS`` (settings; 0: off) is how long a page is kept (the
ETag names the day, so a day at most is useful). While the shared cache is down, pages are rendered
as without it. The test suite turns it off (tests/conftest.py): a test's approvals never commit, so
the content version never moves there; tests/test_scale_detail.py turns it on and commits.
"""

import contextlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

from evidence.http import is_signed_in

KEY = "kratomref:page:{etag}"
KEPT_HEADERS = ("Content-Type", "Content-Language", "Vary")


def _key(request, validators):
    if not settings.PAGE_CACHE_SECONDS or request.method not in ("GET", "HEAD"):
        return None
    if validators.etag is None or is_signed_in(request):
        return None
    return KEY.format(etag=validators.etag.strip('"'))


def cached_page(request, validators):
    """The page kept for this request's ETag, as a fresh response, or None."""
    key = _key(request, validators)
    if key is None:
        return None
    try:
        kept = cache.get(key)
    except Exception:  # the shared cache is down: render the page
        return None
    if kept is None:
        return None
    content, headers = kept
    response = HttpResponse(content)
    for name, value in headers:
        response.headers[name] = value
    return response


def keep_page(request, validators, response):
    """Keep ``response`` (once rendered) for the next anonymous request with the same ETag."""
    key = _key(request, validators)
    if key is None or request.method != "GET":
        return

    def store(rendered):
        if rendered.status_code != 200 or rendered.streaming:
            return
        if not rendered.headers.get("Content-Type", "").startswith("text/html"):
            return
        headers = [(name, rendered.headers[name]) for name in KEPT_HEADERS if name in rendered.headers]
        with contextlib.suppress(Exception):  # the shared cache is down: the page is served all the same
            cache.set(key, (rendered.content, headers), timeout=settings.PAGE_CACHE_SECONDS)

    if hasattr(response, "add_post_render_callback") and not response.is_rendered:
        response.add_post_render_callback(store)
    else:
        store(response)
