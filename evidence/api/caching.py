"""Conditional GET for the API: ``ETag`` and ``Last-Modified`` on every 200, and 304 when unchanged.

The ETag is a hash of the bytes sent, so it changes exactly when the answer does (a list's ETag
covers its filters and cursor too). ``Last-Modified`` is when the library last changed as a whole —
the newest write to any reviewed item or its parts, approval or withdrawal — one cheap query, and
never older than a change the answer shows. ``If-None-Match`` wins over ``If-Modified-Since``.
"""

import hashlib
from datetime import UTC, datetime

from django.db import connection
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date

from evidence.models import (
    Claim,
    ClaimVersion,
    Evidence,
    Passage,
    ReviewerProfile,
    SlugRedirect,
    SourceArticle,
    Study,
    StudyNotice,
    Substance,
    UnfoundReference,
    Warning,
)

MAX_AGE = 60  # seconds a client or shared cache may reuse an answer before asking again
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

CHANGE_COLUMNS = [
    (Claim, "updated_at"),
    (SourceArticle, "updated_at"),
    (Study, "updated_at"),
    (Substance, "updated_at"),
    (Warning, "updated_at"),
    (Evidence, "updated_at"),
    (Passage, "updated_at"),
    (UnfoundReference, "updated_at"),
    (ClaimVersion, "approved_at"),
    (SlugRedirect, "created_at"),
    (StudyNotice, "imported_at"),  # a new or changed retraction notice (import_retractions)
    (ReviewerProfile, "updated_at"),  # a reviewer chose to be named, or not (reviewed_by)
]


def library_last_modified():
    """When anything in the library last changed (an aware datetime)."""
    quote = connection.ops.quote_name
    parts = " UNION ALL ".join(
        f"SELECT MAX({quote(model._meta.get_field(name).column)}) AS changed FROM {quote(model._meta.db_table)}"
        for model, name in CHANGE_COLUMNS
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(changed) FROM ({parts}) AS latest")
        (value,) = cursor.fetchone()
    if value is None:
        return EPOCH
    if isinstance(value, str):  # SQLite returns the stored text (UTC)
        value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def conditional(request, response):
    """Give a 200 answer its validators and caching headers; answer 304 when the client has it."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if hasattr(response, "render") and not response.is_rendered:
        response.render()
    etag = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
    modified = int(library_last_modified().timestamp())
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = http_date(modified)
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return get_conditional_response(request, etag=etag, last_modified=modified, response=response)
