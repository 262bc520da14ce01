"""One rate limiter for the whole site, counting in the shared cache (Redis in production).

``RATE_LIMITS`` in settings names each limited action with "requests/seconds" per client address
(``RATE_LIMIT_<NAME>`` in the environment overrides one; the benchmark raises them). Signed-in
curators are not limited. A client over its limit gets 429 with Retry-After and a message: an HTML
page from ``rate_limited`` views, JSON from the API (its DRF throttle, evidence/api/throttling.py,
counts under the name "api" through ``over_limit``).
"""

import functools
import logging
import time

from django.conf import settings
from django.contrib import auth
from django.core.cache import cache
from django.shortcuts import render

from kratomref.security import client_ip

logger = logging.getLogger(__name__)


def parse_rate(rate):
    """ "60/60" → (60 requests, 60 seconds)."""
    count, _, seconds = str(rate).partition("/")
    return int(count), int(seconds or 60)


def over_limit(name, request):
    """Count this request against ``name``; return the seconds to wait if it is over the limit, else 0."""
    limit, window = parse_rate(settings.RATE_LIMITS[name])
    now = time.time()
    bucket = int(now // window)
    key = f"kratomref:ratelimit:{name}:{client_ip(request)}:{bucket}"
    try:
        cache.add(key, 0, timeout=window + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr: count this one as the first
            cache.set(key, 1, timeout=window + 1)
            count = 1
    except Exception:  # the cache is down: serve the reader rather than fail the page
        logger.warning("Rate limit %s not counted: the cache is unavailable.", name, exc_info=True)
        return 0
    if count <= limit:
        return 0
    return max(1, int((bucket + 1) * window - now) + 1)


def exempt(request):
    """Whether ``request`` comes from a signed-in curator, who is never limited.

    The session decides (``request.user`` may already be someone else's idea of the user: DRF sets
    its own). Only a request that carries a session cookie is looked up, so an anonymous reader's
    response does not vary on cookies and shared caches can keep it.
    """
    return settings.SESSION_COOKIE_NAME in request.COOKIES and auth.get_user(request).is_authenticated


def rate_limited(name):
    """Limit a view for anonymous readers (by address)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not exempt(request):
                wait = over_limit(name, request)
                if wait:
                    response = render(request, "429.html", {"wait": wait}, status=429)
                    response["Retry-After"] = str(wait)
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
