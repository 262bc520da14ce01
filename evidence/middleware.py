"""Headers and methods for the public site.

Readers only read: public pages answer GET and HEAD, and any other method (POST, PUT, DELETE,
TRACE, OPTIONS, …) gets 405 with an ``Allow`` header, before CSRF or a view sees it. The API
(/api/) also answers OPTIONS, so that browsers on other sites may ask before reading it (a CORS
preflight, answered by django-cors-headers). The curators' admin keeps its forms. Every response
says who may embed or load it (``Cross-Origin-Resource-Policy``) and which browser features the
site never uses (``Permissions-Policy``). On PostgreSQL a public request's queries run under
``statement_timeout`` (PUBLIC_STATEMENT_TIMEOUT_MS); one that runs longer is cancelled and the
reader gets 503 with a message, never a server error.
"""

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection
from django.http import HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse

QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout

READ_METHODS = ("GET", "HEAD")
API_PREFIX = "/api/"
API_METHODS = ("GET", "HEAD", "OPTIONS")
# Browser features KratomRef never uses; denying them keeps an injected script from asking for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "interest-cohort",
    )
)


class PublicSiteMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = None

    def __call__(self, request):
        if self.admin_prefix is None:
            self.admin_prefix = reverse("admin:index")
            self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")
        public = not request.path.startswith(self.admin_prefix)
        static = request.path.startswith(self.static_prefix)
        allowed = API_METHODS if request.path.startswith(API_PREFIX) else READ_METHODS
        if request.method not in allowed and public:
            response = HttpResponseNotAllowed(allowed)
        elif public and not static and connection.vendor == "postgresql" and settings.PUBLIC_STATEMENT_TIMEOUT_MS:
            response = self.bounded(request)
        else:
            response = self.get_response(request)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    def bounded(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, false)", [str(settings.PUBLIC_STATEMENT_TIMEOUT_MS)]
                )
        except DatabaseError:  # the database is down: let the view answer (/healthz says 503)
            return self.get_response(request)
        try:
            return self.get_response(request)
        finally:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("RESET statement_timeout")
            except DatabaseError:
                connection.close()  # never hand this request's timeout on with a reused connection

    def process_exception(self, request, exception):
        cause = getattr(exception, "__cause__", None)
        if isinstance(exception, OperationalError) and getattr(cause, "sqlstate", None) == QUERY_CANCELED:
            return render(request, "503.html", status=503)
        return None
