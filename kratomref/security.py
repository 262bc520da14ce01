"""Login throttling (django-axes): who is asking, and what a locked-out person is told.

Axes's backend runs first in AUTHENTICATION_BACKENDS, so a locked-out username or address is
refused before Django spends a password hash on it. Attempts are counted in the shared cache.
"""

import ipaddress

from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import render

USERNAME_LENGTH = get_user_model()._meta.get_field("username").max_length


def client_ip(request):
    """The address a request came from. Behind a proxy (BEHIND_PROXY=1) it is the last entry the
    proxy appended to X-Forwarded-For; a client cannot forge that one. Otherwise the socket's.
    Anything that is not an IP address counts as the socket's address."""
    remote = request.META.get("REMOTE_ADDR", "")
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            try:
                return str(ipaddress.ip_address(forwarded[-1]))
            except ValueError:
                return remote
    return remote


def attempted_username(request, credentials):
    """The username a sign-in tried, as long as a username can be (a longer one cannot exist)."""
    username = (credentials or {}).get("username") or request.POST.get("username") or ""
    return str(username)[:USERNAME_LENGTH]


def locked_out(request, original_response=None, credentials=None):
    """429 with a clear message and Retry-After, instead of processing another password."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"minutes": minutes, "limit": settings.AXES_FAILURE_LIMIT}
    response = render(request, "locked_out.html", context, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
