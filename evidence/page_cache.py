"""Whole pages kept for anonymous readers, answered before anything is fetched.

A kept page is found by the request alone: the release, today's date, the full path and the
``Accept`` header. It holds the library's content version it was rendered at (every approval
anywhere moves it, evidence/signals.py) and answers only while that is still the current one. Those
are the parts its ``ETag`` (evidence/http.py, ``PageValidators``) is computed from, less the item's
own version, which only an approval changes, and an approval moves the content version. Pages carry
nothing per request (no nonce, no CSRF token, no messages), so the bytes rendered for one reader can
answer the next: the page, or 304 for a reader who has it, without a database query. After an
approval a kept page no longer answers, and the next reader's page replaces it; nothing has to be
invalidated.

Two layers. The shared cache (Redis) holds every kept page, for ``PAGE_CACHE_SECONDS`` (0: off; the
key names the day, so a day at most is useful). Each worker also keeps the pages it served last,
up to ``PAGE_LOCAL_BYTES``, and the content version it read last, for
``PAGE_VERSION_RECHECK_SECONDS``: a page it has answers with no round trip at all. An approval
made in this process forgets both at once; one made in another worker process (on this app server
or another) is seen here within ``PAGE_VERSION_RECHECK_SECONDS`` (1 s; a CDN may keep a page
``PAGE_MAX_AGE`` anyway).

Pages are kept gzipped (compressed once, when kept): a reader whose browser accepts gzip (every
browser) gets them so, with a weak ETag and ``Vary: Accept-Encoding``; any other client gets them
decompressed. Kept pages hold no secret, so compression gives BREACH nothing to find.

Only anonymous readers' ``200`` HTML answers to ``GET`` are kept (a curator's pages may show who is
signed in, and citations in other formats are cheap). A view opts in with ``@kept_for_readers``
(the detail pages, the lists, the home page). While the shared cache is down, pages are rendered as
without it. The test suite turns it off (tests/conftest.py): a test's approvals never commit, so
the content version never moves there; tests/test_scale_detail.py turns it on and commits. See
docs/decisions/0008-pages-kept-for-readers.md.
"""

import contextlib
import functools
import gzip
import hashlib
import re
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import parse_http_date_safe

from evidence.http import READ_METHODS, current_version, is_signed_in, page_headers, release_id
from evidence.signals import library_changed

KEY = "kratomref:page:{digest}"
KEPT_HEADERS = ("Content-Type", "Content-Language", "Vary")
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
GZIP_LEVEL = 6


def page_key(request):
    """The key of the page kept for this request, or None when none may answer it."""
    if not settings.PAGE_CACHE_SECONDS or request.method not in READ_METHODS or is_signed_in(request):
        return None
    parts = (release_id(), timezone.localdate().isoformat(), request.get_full_path(), request.headers.get("Accept", ""))
    return KEY.format(digest=hashlib.sha256("|".join(parts).encode()).hexdigest()[:40])


class LocalPages:
    """This worker's own copy of the kept pages it served last, at most ``PAGE_LOCAL_BYTES`` of them
    (gzipped), and the content version it read last."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pages = OrderedDict()
        self.size = 0
        self.version = None
        self.version_until = 0.0

    def current_version(self):
        """The content version, read again from the shared cache at most every
        ``PAGE_VERSION_RECHECK_SECONDS``; None while the shared cache is down."""
        now = time.monotonic()
        with self.lock:
            if self.version is not None and now < self.version_until:
                return self.version
        version = current_version()
        if version is not None:
            with self.lock:
                self.version, self.version_until = version, now + settings.PAGE_VERSION_RECHECK_SECONDS
        return version

    def get(self, key, version):
        with self.lock:
            kept = self.pages.get(key)
            if kept is None or kept[0] != version:
                return None
            self.pages.move_to_end(key)
            return kept

    def put(self, key, kept):
        size = len(kept[3])
        budget = settings.PAGE_LOCAL_BYTES
        with self.lock:
            old = self.pages.pop(key, None)
            if old is not None:
                self.size -= len(old[3])
            if size > budget // 4:  # one huge page never empties the rest
                return
            self.pages[key] = kept
            self.size += size
            while self.size > budget:
                _key, dropped = self.pages.popitem(last=False)
                self.size -= len(dropped[3])

    def forget(self):
        with self.lock:
            self.pages.clear()
            self.size = 0
            self.version = None


local = LocalPages()


@receiver(library_changed, dispatch_uid="evidence.page_cache.forget")
def forget_local_pages(sender, **kwargs):
    """An approval in this process: its next reader reads the new content version at once."""
    local.forget()


class KeptValidators:
    """A kept page's ``ETag`` and ``Last-Modified``, as ``page_headers`` takes them."""

    def __init__(self, etag, last_modified):
        self.etag = etag
        self.last_modified = parse_http_date_safe(last_modified)


def find(key, version):
    """The page kept under ``key`` for ``version``: this worker's copy, else the shared cache's."""
    kept = local.get(key, version)
    if kept is not None:
        return kept
    try:
        kept = cache.get(key)
    except Exception:  # the shared cache is down: render the page
        return None
    if kept is None or kept[0] != version:
        return None
    local.put(key, kept)
    return kept


def answer(request, kept):
    """A kept page's answer: 304 when the reader has it, else the page, gzipped when accepted."""
    _version, etag, last_modified, compressed, headers = kept
    validators = KeptValidators(etag, last_modified)
    gzipped = bool(ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")))
    response = get_conditional_response(request, etag=etag, last_modified=validators.last_modified)
    if response is None:
        response = HttpResponse(compressed if gzipped else gzip.decompress(compressed), headers=dict(headers))
        if gzipped:
            response.headers["Content-Encoding"] = "gzip"
    page_headers(request, response, validators)
    if gzipped:
        response.headers["ETag"] = f"W/{etag}"  # the same page, another representation
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
        compressed = gzip.compress(rendered.content, compresslevel=GZIP_LEVEL, mtime=0)
        kept = (version, rendered.headers["ETag"], rendered.headers.get("Last-Modified", ""), compressed, headers)
        local.put(key, kept)
        with contextlib.suppress(Exception):  # the shared cache is down: the page is served all the same
            cache.set(key, kept, settings.PAGE_CACHE_SECONDS)

    if hasattr(response, "add_post_render_callback") and not response.is_rendered:
        response.add_post_render_callback(store)
    else:
        store(response)


def kept_for_readers(view):
    """Answer an anonymous reader from the kept page when there is one; keep the page otherwise."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = page_key(request)
        version = local.current_version() if key is not None else None
        if version is not None:
            kept = find(key, version)
            if kept is not None:
                return answer(request, kept)
        response = view(request, *args, **kwargs)
        if version is not None and request.method == "GET":
            keep(key, version, response)
        return response

    return wrapper
