"""Whole pages kept in the shared cache for anonymous readers, answered before anything is fetched.

A kept page is found by the request alone: the release, today's date, the full path and the
``Accept`` header; it holds the library's content version it was rendered at (every approval
anywhere moves it, evidence/signals.py) and answers only while that is still the current one. Those
are the parts its ``ETag`` (evidence/http.py, ``PageValidators``) is computed from, less the item's
own version, which only an approval changes, and an approval moves the content version. The content
version and the kept page are read together, in one round trip to Redis. Pages carry nothing per
request (no nonce, no CSRF token, no messages), so the bytes rendered for one reader can answer the
next. A page kept with its ``ETag`` and ``Last-Modified`` answers a reader who already has it with
304, and anyone else with the page, without a database query. After an approval a kept page no
longer answers, and the next reader's page replaces it; nothing has to be invalidated.

Only anonymous readers' ``200`` HTML answers to ``GET`` are kept (a curator's pages may show who is
signed in, and citations in other formats are cheap). A view opts in with ``@kept_for_readers``
(the detail pages, the lists, the home page). ``PAGE_CACHE_SECONDS`` (settings; 0: off) is how
long a page is kept (the key names the day, so a day at most is useful). While the shared cache is
down, pages are rendered as without it. The test suite turns it off (tests/conftest.py): a test's
approvals never commit, so the content version never moves there; tests/test_scale_detail.py turns
it on and commits. See docs/decisions/0008-pages-kept-for-readers.md.
"""

import contextlib
import functools
import gzip
import hashlib
import re

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import parse_http_date_safe

from evidence.http import READ_METHODS, current_version, is_signed_in, page_headers, release_id
from evidence.signals import CONTENT_VERSION_KEY

KEY = "kratomref:page:{digest}"
KEPT_HEADERS = ("Content-Type", "Content-Language", "Vary", "ETag", "Last-Modified")
VALIDATORS = ":validators"  # the kept page's ETag and Last-Modified, under the page's key plus this
# A kept page is also kept gzipped, for readers whose browser accepts it (all of them): compressed
# once when kept rather than on every answer. Kept pages hold no secret (no CSRF token, nothing
# per reader), so compression leaks nothing (BREACH needs a secret beside reflected input).
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
GZIP_LEVEL = 6


def page_key(request):
    """The key of the page kept for this request, or None when none may answer it."""
    if not settings.PAGE_CACHE_SECONDS or request.method not in READ_METHODS or is_signed_in(request):
        return None
    parts = (release_id(), timezone.localdate().isoformat(), request.get_full_path(), request.headers.get("Accept", ""))
    return KEY.format(digest=hashlib.sha256("|".join(parts).encode()).hexdigest()[:40])


class KeptValidators:
    """A kept page's ``ETag`` and ``Last-Modified``, as ``page_headers`` takes them."""

    def __init__(self, etag, last_modified):
        self.etag = etag
        self.last_modified = parse_http_date_safe(last_modified)


def read_with_version(key):
    """The content version and what is kept under ``key`` for it (None when nothing is, or it was
    kept for an earlier version), read in one round trip."""
    found = cache.get_many([CONTENT_VERSION_KEY, key])
    version = found.get(CONTENT_VERSION_KEY)
    if version is None:
        return current_version(), None  # set afresh (evicted, or a new Redis)
    kept = found.get(key)
    if kept is None or kept[0] != version:
        return version, None
    return version, kept[1:]


def answer_from_cache(request, key):
    """``(response, version)``: the kept page for ``key`` (a 304 when the reader has it) or None,
    and the content version it was looked up at (None while the shared cache is down). The
    validators are kept apart from the page, so a reader who has the page gets 304 without the page
    being read."""
    conditional = "If-None-Match" in request.headers or "If-Modified-Since" in request.headers
    try:
        if conditional:
            version, kept = read_with_version(key + VALIDATORS)
            if kept is not None:
                not_modified = conditional_answer(request, KeptValidators(*kept))
                if not_modified is not None:
                    return not_modified, version
        version, kept = read_with_version(key)
    except Exception:  # the shared cache is down: render the page
        return None, None
    if kept is None:
        return None, version
    content, compressed, headers = kept
    headers = dict(headers)
    if conditional:  # the validators' entry was evicted before the page's
        validators = KeptValidators(headers.get("ETag"), headers.get("Last-Modified", ""))
        not_modified = conditional_answer(request, validators)
        if not_modified is not None:
            return not_modified, version
    if ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
        response = HttpResponse(compressed, headers=headers)
        response.headers["Content-Encoding"] = "gzip"
        response.headers["ETag"] = f"W/{headers['ETag']}"  # the same page, another representation
    else:
        response = HttpResponse(content, headers=headers)
    return page_headers(request, response), version


def conditional_answer(request, validators):
    response = get_conditional_response(request, etag=validators.etag, last_modified=validators.last_modified)
    if response is None:
        return None
    page_headers(request, response, validators)
    if ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
        response.headers["ETag"] = f"W/{validators.etag}"  # as the gzipped page it stands for
    return response


def keep(key, version, response):
    """Keep ``response`` (once rendered) for the next anonymous request with the same key, for the
    content version read before it was built (a page built across an approval is never kept as
    the new version's)."""

    def store(rendered):
        if rendered.status_code != 200 or rendered.streaming or "ETag" not in rendered.headers:
            return
        if not rendered.headers.get("Content-Type", "").startswith("text/html"):
            return
        patch_vary_headers(rendered, ["Accept-Encoding"])  # a CDN keeps each encoding apart
        headers = [(name, rendered.headers[name]) for name in KEPT_HEADERS if name in rendered.headers]
        validators = (version, rendered.headers["ETag"], rendered.headers.get("Last-Modified", ""))
        compressed = gzip.compress(rendered.content, compresslevel=GZIP_LEVEL, mtime=0)
        with contextlib.suppress(Exception):  # the shared cache is down: the page is served all the same
            kept = {key: (version, rendered.content, compressed, headers), key + VALIDATORS: validators}
            cache.set_many(kept, settings.PAGE_CACHE_SECONDS)

    if hasattr(response, "add_post_render_callback") and not response.is_rendered:
        response.add_post_render_callback(store)
    else:
        store(response)


def kept_for_readers(view):
    """Answer an anonymous reader from the kept page when there is one; keep the page otherwise."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = page_key(request)
        version = None
        if key is not None:
            kept, version = answer_from_cache(request, key)
            if kept is not None:
                return kept
        response = view(request, *args, **kwargs)
        if version is not None and request.method == "GET":
            keep(key, version, response)
        return response

    return wrapper
