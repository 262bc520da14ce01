"""Headers and methods for the public site.

Readers only read: public pages answer GET and HEAD, and any other method (POST, PUT, DELETE,
TRACE, OPTIONS, …) gets 405 with an ``Allow`` header, before CSRF or a view sees it. The one
exception is the readers' report form (/report/, evidence/reports.py), which also takes POST. The API
(/api/) also answers OPTIONS, so that browsers on other sites may ask before reading it (a CORS
preflight, answered by django-cors-headers). The curators' admin keeps its forms. Every response
says who may embed or load it (``Cross-Origin-Resource-Policy``) and which browser features the
site never uses (``Permissions-Policy``). On PostgreSQL a public request's queries run under
``statement_timeout`` (PUBLIC_STATEMENT_TIMEOUT_MS); one that runs longer is cancelled and the
reader gets 503 with a message, never a server error. The timeout is set just before the request's
first query and reset after its last, so a page answered from the shared cache runs no query at all.
"""

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import render
from django.template import loader
from django.urls import Resolver404, resolve, reverse
from django.views.debug import ExceptionReporter
from django.views.defaults import page_not_found

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
            self.report_path = reverse("evidence:report")
        public = not request.path.startswith(self.admin_prefix)
        static = request.path.startswith(self.static_prefix)
        allowed = API_METHODS if request.path.startswith(API_PREFIX) else READ_METHODS
        if request.path == self.report_path:
            allowed = (*READ_METHODS, "POST")
        if request.method not in allowed and public:
            response = HttpResponseNotAllowed(allowed)
        elif public and not static and connection.vendor == "postgresql" and settings.PUBLIC_STATEMENT_TIMEOUT_MS:
            response = self.bounded(request)
        else:
            response = self.get_response(request)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if not public:  # keep the admin out of search indexes without naming it in robots.txt (evidence/seo.py)
            response.headers.setdefault("X-Robots-Tag", "noindex, nofollow")
        return response

    def bounded(self, request):
        timeout_set = False

        def set_timeout_first(execute, sql, params, many, context):
            nonlocal timeout_set
            if not timeout_set:
                timeout_set = True  # before the query below, which runs through this wrapper too
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('statement_timeout', %s, false)", [str(settings.PUBLIC_STATEMENT_TIMEOUT_MS)]
                    )
            return execute(sql, params, many, context)

        try:
            with connection.execute_wrapper(set_timeout_first):
                return self.get_response(request)
        finally:
            if timeout_set:
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


class DesignedErrorPagesMiddleware:
    """In development (``DEBUG``), answer an unknown address or a ``Http404`` with the site's own
    404 page (templates/404.html), as production does, so a newcomer running ``make run`` sees the
    designed page. ``DEBUG_ERROR_PAGES=1`` restores Django's technical 404 (the URL patterns
    tried). Last in ``MIDDLEWARE``, so every other middleware still handles the response (the slash
    redirect, CSP, the headers above). Server errors: ``DesignedErrorReporter`` below.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def active():
        return settings.DEBUG and not settings.DEBUG_ERROR_PAGES

    def __call__(self, request):
        if self.active():
            # An address no URL pattern matches never reaches a view (nor process_exception): Django
            # answers it with its technical page itself, so look it up first.
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exception:
                return page_not_found(request, exception)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if self.active() and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None


class DesignedErrorReporter(ExceptionReporter):
    """Django's error report, except the page a browser gets for a server error in development,
    which is the site's own templates/500.html unless ``DEBUG_ERROR_PAGES=1``. The traceback is
    still logged, and e-mailed reports (``is_email``) keep the full technical page."""

    def get_traceback_html(self):
        if self.is_email or settings.DEBUG_ERROR_PAGES:
            return super().get_traceback_html()
        return loader.get_template("500.html").render()
