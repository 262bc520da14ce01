"""The site's URLs plus ``/bench/minimal/`` (B_view), for the benchmark's settings only."""

from django.http import HttpResponse
from django.urls import path

from kratomref.urls import urlpatterns as site_urlpatterns


def minimal(request):
    """B_view: the least a Django view can do, behind the site's whole middleware stack."""
    return HttpResponse(b"ok\n", content_type="text/plain; charset=utf-8")


urlpatterns = [path("bench/minimal/", minimal, name="bench-minimal"), *site_urlpatterns]
