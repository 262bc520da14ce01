"""Headers and methods for the public site.

Readers only read: public pages answer GET and HEAD, and any other method (POST, PUT, DELETE,
TRACE, OPTIONS, …) gets 405 with an ``Allow`` header, before CSRF or a view sees it. The curators'
admin keeps its forms. Every response says who may embed or load it (``Cross-Origin-Resource-Policy``)
and which browser features the site never uses (``Permissions-Policy``).
"""

from django.http import HttpResponseNotAllowed
from django.urls import reverse

READ_METHODS = ("GET", "HEAD")
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
        if request.method not in READ_METHODS and not request.path.startswith(self.admin_prefix):
            response = HttpResponseNotAllowed(READ_METHODS)
        else:
            response = self.get_response(request)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
