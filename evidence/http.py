"""Conditional GET and caching headers for the public HTML pages (the API has its own: api/caching.py).

A detail page's ``ETag`` is computed from data, before anything is fetched for the page or rendered:
the item's ``version`` and ``updated_at`` (its own edits), the library's content version (every
approval anywhere moves it, evidence/signals.py, so a page never outlives a change to a study, a
passage or a warning it shows), the release id (a deploy that changes templates changes every
ETag), today's date (citations show an "accessed" date), the ``Accept`` header (the claim page
answers BibTeX, RIS and CSL-JSON by negotiation) and, for a signed-in curator, who is asking. A
client that sends the ETag back gets 304 after one query for the item (none for a list or the
home page), and the page is not built; an anonymous reader whose page is kept whole
(evidence/page_cache.py) gets it, or its 304, without any query. Pages carry no per-request nonce
(the site's CSP allows scripts from the site only), so equal data means equal bytes.

``Last-Modified`` is the later of the item's ``updated_at`` and when this deploy first saw the
current content version (kept in the shared cache: never earlier than the approval that made it).

``Cache-Control``: anonymous readers get ``public, max-age=PAGE_MAX_AGE,
stale-while-revalidate=PAGE_STALE_WHILE_REVALIDATE``, so a CDN may keep a page briefly; signed-in
curators (a request with a session cookie) get ``private, no-cache``. A public page is the same
for everyone, so it does not vary on ``Cookie`` (a CDN keeps one copy). The content version must be shared by
every app server (Redis, ``REDIS_URL``; production refuses to start without it), or a server that
did not see an approval would keep answering 304.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

from evidence.signals import content_version

READ_METHODS = ("GET", "HEAD")
CHANGED_AT_KEY = "kratomref:library:changed-at:{release}:{version}"
LATEST_KEY = "kratomref:library:changed-at:{release}:latest"


def release_id():
    return settings.RELEASE_ID


def content_changed_at(version):
    """When this release first saw content version ``version`` (a Unix time; never before its approval),
    and always later than any version seen before it, even within one second: a client that sends
    back only ``If-Modified-Since`` never gets 304 for a page that changed in the same second."""
    key = CHANGED_AT_KEY.format(release=release_id(), version=version)
    stamp = cache.get(key)
    if stamp is None:
        latest_key = LATEST_KEY.format(release=release_id())
        latest = cache.get(latest_key) or 0
        fresh = max(int(time.time()), latest + 1)
        cache.add(key, fresh, timeout=None)  # another server may have added it first: theirs stands
        stamp = cache.get(key, fresh)
        cache.set(latest_key, max(stamp, latest), timeout=None)
    return stamp


def current_version():
    """The content version, or None while the shared cache is down (pages are then served uncached)."""
    try:
        return content_version()
    except Exception:  # the cache is down: serve the reader rather than fail the page
        return None


def kept_per_version(name, parts, compute, timeout=24 * 3600):
    """``compute()``, kept in the shared cache for the current content version (an approval makes
    new keys) under ``name`` and a digest of ``parts``; computed afresh while the cache is down."""
    version = current_version()
    if version is None:
        return compute()
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:32]
    key = f"kratomref:{name}:{version}:{digest}"
    try:
        return cache.get_or_set(key, compute, timeout=timeout)
    except Exception:  # the cache went down meanwhile
        return compute()


def is_signed_in(request):
    """Whether the request may come from a signed-in curator: it carries a session cookie (readers
    get none). Read from the cookie, not the session, so that a reader's page never varies on it."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES


class PageValidators:
    """The ``ETag`` and ``Last-Modified`` of one public page, computed from data."""

    def __init__(self, request, *parts, updated_at=None):
        version = current_version()
        if version is None:  # no shared content version: no validators, so never a stale 304
            self.etag = self.last_modified = None
            return
        who = "session" if is_signed_in(request) else "anonymous"
        key = "|".join(
            str(part)
            for part in (
                release_id(),
                version,
                timezone.localdate().isoformat(),
                request.get_full_path(),  # a list's filters and page, a substance's claim page
                request.headers.get("Accept", ""),
                who,
                *parts,
                updated_at.isoformat() if updated_at else "",
            )
        )
        self.etag = f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'
        changed = content_changed_at(version)
        if updated_at is not None:
            changed = max(changed, int(updated_at.timestamp()))
        self.last_modified = changed

    def not_modified(self, request):
        """A 304 (or 412) answer when the client already has this page, else None."""
        if request.method not in READ_METHODS or self.etag is None:
            return None
        response = get_conditional_response(request, etag=self.etag, last_modified=self.last_modified)
        if response is not None:
            page_headers(request, response, self)
        return response


def page_headers(request, response, validators=None):
    """Give a public page its validators (when it has them) and its caching headers."""
    if response.status_code not in (200, 304) or request.method not in READ_METHODS:
        return response
    if validators is not None and validators.etag is not None:
        response.headers["ETag"] = validators.etag
        response.headers["Last-Modified"] = http_date(validators.last_modified)
    if is_signed_in(request):
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(
            response,
            public=True,
            max_age=settings.PAGE_MAX_AGE,
            stale_while_revalidate=settings.PAGE_STALE_WHILE_REVALIDATE,
        )
    return response
