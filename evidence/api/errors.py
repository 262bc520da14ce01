"""The API's error bodies: always JSON with a ``detail`` a person can read, and their OpenAPI shapes.

- 400 ``ValidationError``: a filter value, cursor or page size was not understood; ``errors`` names
  each parameter with its messages (never a server error).
- 404 ``Error``: no such item, or a draft; 410 ``Withdrawn``: published, then withdrawn by an editor.
- 429 ``Throttled``: too many requests; ``retry_after`` repeats the ``Retry-After`` header.
- 503 ``Error``: a query ran past the per-request time limit (PostgreSQL's statement_timeout).
"""

from django.db import OperationalError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from evidence.middleware import QUERY_CANCELED


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for a person to read.")


class ValidationErrorSerializer(ErrorSerializer):
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Each query parameter that was not understood, with its messages.",
    )


class ThrottledSerializer(ErrorSerializer):
    retry_after = serializers.IntegerField(help_text="Seconds to wait before the next request (as Retry-After).")


class WithdrawnSerializer(ErrorSerializer):
    title = serializers.CharField(help_text="The withdrawn item's statement or title.")
    url = serializers.URLField(help_text="Its public address (which also answers 410).")


def withdrawn_body(obj, url):
    """The 410 body: what the HTML page says, as data."""
    detail = _(
        "“%(name)s” was published on KratomRef and has since been withdrawn by an editor. It is no longer "
        "part of the library, so its verdict should not be cited."
    ) % {"name": obj}
    return {"detail": detail, "title": str(obj), "url": url}


def error_messages(detail):
    """DRF's nested error detail as {parameter: [message, …]}."""
    if isinstance(detail, dict):
        return {
            str(name): [str(m) for m in (messages if isinstance(messages, list) else [messages])]
            for name, messages in detail.items()
        }
    return {"non_field_errors": [str(m) for m in (detail if isinstance(detail, list) else [detail])]}


def exception_handler(exc, context):
    cause = getattr(exc, "__cause__", None)
    if isinstance(exc, OperationalError) and getattr(cause, "sqlstate", None) == QUERY_CANCELED:
        detail = _("The library took too long to answer this request; try again, or narrow it down.")
        return Response({"detail": detail}, status=503)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = _("Some query parameters were not understood; correct them, or leave them out.")
        response.data = {"detail": detail, "errors": error_messages(exc.detail)}
    elif isinstance(exc, exceptions.Throttled):
        wait = max(1, int(exc.wait or 1))
        response.headers["Retry-After"] = str(wait)
        detail = ngettext(
            "Too many requests: please wait %(seconds)s second and try again.",
            "Too many requests: please wait %(seconds)s seconds and try again.",
            wait,
        ) % {"seconds": wait}
        response.data = {"detail": detail, "retry_after": wait}
    else:
        response.data = {"detail": str(getattr(exc, "detail", exc))}
    return response
