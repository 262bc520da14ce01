"""Cursor pagination for the API's lists: keyset paging on the list's own order, never a COUNT.

A list keeps the order its queryset has — the HTML list's default order, the sort chosen with
``o=`` (the same FilterSet), or relevance for ``q=`` — and the primary key is appended as the last
key, so the order is total and stable. The cursor carries the keys of the row it stops at; the next
page is every row strictly beyond them (``(a > x) OR (a = x AND b > y) …``), so rows added or removed
meanwhile never make a client skip a row or see one twice (only a row whose own sort key is edited
meanwhile can move to the other side of the cursor). Rows with an empty (NULL) sort key come last,
on every database. A cursor made for one order is refused under another.
"""

import base64
import binascii
import datetime
import decimal
import json
import math
from dataclasses import dataclass
from functools import reduce
from operator import or_
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, FloatField, Q
from django.db.models.functions import Cast
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

LARGEST_INTEGER = 2**63 - 1


@dataclass(frozen=True)
class Key:
    name: str  # a field or annotation of the queryset, or "pk"
    descending: bool
    field: object  # the model field or the annotation's output field, for reading cursor values

    @property
    def exact(self):
        """Whether the value read back from the database compares equal to the stored one.

        PostgreSQL hands a ``real`` (a search rank) to Python rounded to its shortest text; compared
        again as a double it no longer equals itself. Such keys are read and compared as doubles.
        """
        return not isinstance(self.field, FloatField)

    @property
    def column(self):
        return self.name if self.exact else f"cursor_{self.name}"

    @property
    def nullable(self):
        return bool(getattr(self.field, "null", False))

    @property
    def signature(self):
        return ("-" if self.descending else "") + self.name

    def ordering(self, backwards):
        descending = self.descending != backwards
        expression = F(self.column)
        if not self.nullable:
            return expression.desc() if descending else expression.asc()
        # Empty values come last in the list's order, so first when walking it backwards.
        nulls = {"nulls_first": True} if backwards else {"nulls_last": True}
        return expression.desc(**nulls) if descending else expression.asc(**nulls)

    def beyond(self, value, backwards):
        """(rows strictly past ``value`` in the walking direction, rows level with it)."""
        column = self.column
        if value is None:
            strictly = Q(**{f"{column}__isnull": False}) if backwards else None
            return strictly, Q(**{f"{column}__isnull": True})
        lookup = "lt" if self.descending != backwards else "gt"
        strictly = Q(**{f"{column}__{lookup}": value})
        if self.nullable and not backwards:
            strictly |= Q(**{f"{column}__isnull": True})
        return strictly, Q(**{column: value})


def ordering_keys(queryset):
    """The queryset's order as keys, ending on the primary key."""
    model = queryset.model
    names = list(queryset.query.order_by) or list(model._meta.ordering)
    keys, seen = [], set()
    for item in names:
        if not isinstance(item, str) or "__" in item or item.lstrip("-") == "?":
            raise ImproperlyConfigured(f"Cursor pagination orders by field or annotation names, not {item!r}.")
        name = item.lstrip("-")
        if name == model._meta.pk.name:
            name = "pk"
        if name in seen:
            continue
        seen.add(name)
        if name == "pk":
            field = model._meta.pk
        elif name in queryset.query.annotations:
            field = queryset.query.annotations[name].output_field
        else:
            field = model._meta.get_field(name)
        keys.append(Key(name, item.startswith("-"), field))
        if name == "pk":
            break  # the primary key already orders every row
    if "pk" not in seen:
        keys.append(Key("pk", False, model._meta.pk))
    return keys


def encode_value(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()  # with microseconds: the next page starts exactly after this row
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def bad_cursor(message="This cursor is not one the API gave out; start again from the first page."):
    return ValidationError({KeysetPagination.cursor_query_param: [message]})


def decode_value(key, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise bad_cursor()
    if isinstance(value, int) and abs(value) > LARGEST_INTEGER:
        raise bad_cursor()
    if isinstance(value, float) and not math.isfinite(value):
        raise bad_cursor()
    if isinstance(value, str) and "\x00" in value:
        raise bad_cursor()
    try:
        return key.field.to_python(value)
    except (DjangoValidationError, TypeError, ValueError, OverflowError):
        raise bad_cursor() from None


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 25
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.size = self.get_page_size(request)
        self.keys = ordering_keys(queryset)
        position, backwards = self.decode_cursor(request)
        doubles = {key.column: Cast(key.name, FloatField()) for key in self.keys if not key.exact}
        queryset = queryset.annotate(**doubles).order_by(*(key.ordering(backwards) for key in self.keys))
        if position is not None:
            queryset = queryset.filter(self.past(position, backwards))
        rows = list(queryset[: self.size + 1])
        more = len(rows) > self.size
        rows = rows[: self.size]
        if backwards:
            rows.reverse()
            self.has_previous, self.has_next = more, True
        else:
            self.has_previous, self.has_next = position is not None and bool(rows), more
        self.rows = rows
        return rows

    def past(self, position, backwards):
        clauses, level = [], Q()
        for key, value in zip(self.keys, position, strict=True):
            strictly, same = key.beyond(value, backwards)
            if strictly is not None:
                clauses.append(level & strictly)
            level &= same
        return reduce(or_, clauses) if clauses else Q(pk__in=[])

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    # Cursors ----------------------------------------------------------------------------------

    def signature(self):
        return [key.signature for key in self.keys]

    def decode_cursor(self, request):
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None, False
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"=" * (-len(raw) % 4)))
        except (UnicodeError, ValueError, binascii.Error, RecursionError):
            raise bad_cursor() from None
        if not isinstance(data, dict) or not isinstance(data.get("p"), list) or not isinstance(data.get("o"), list):
            raise bad_cursor()
        if data["o"] != self.signature() or len(data["p"]) != len(self.keys):
            raise bad_cursor("This cursor was made for another sort order; start again from the first page.")
        return [decode_value(key, value) for key, value in zip(self.keys, data["p"], strict=True)], bool(data.get("b"))

    def encode_cursor(self, row, backwards):
        position = [encode_value(getattr(row, key.column)) for key in self.keys]
        data = {"p": position, "o": self.signature(), **({"b": 1} if backwards else {})}
        token = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
        return self.link(token)

    def link(self, token):
        """The same list (filters kept) from ``token`` on, as an absolute address on the public site."""
        query = [
            (name, value)
            for name, values in self.request.query_params.lists()
            if name != self.cursor_query_param
            for value in values
        ]
        if token is not None:
            query.append((self.cursor_query_param, token))
        url = settings.SITE_URL + self.request.path
        return f"{url}?{urlencode(query)}" if query else url

    def get_next_link(self):
        if not self.has_next:
            return None
        if not self.rows:  # walked back past the start: the list begins again at its first page
            return self.link(None)
        return self.encode_cursor(self.rows[-1], backwards=False)

    def get_previous_link(self):
        if not self.has_previous or not self.rows:
            return None
        return self.encode_cursor(self.rows[0], backwards=True)

    def get_paginated_response(self, data):
        next_link, previous_link = self.get_next_link(), self.get_previous_link()
        links = [f'<{url}>; rel="{rel}"' for rel, url in (("next", next_link), ("prev", previous_link)) if url]
        headers = {"Link": ", ".join(links)} if links else None
        return Response({"next": next_link, "previous": previous_link, "results": data}, headers=headers)

    # OpenAPI ----------------------------------------------------------------------------------

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page, or null on the last page."},
                "previous": {**link, "description": "The previous page, or null on the first page."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where a page starts: copy it from a response's `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
