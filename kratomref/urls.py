from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from evidence import seo
from kratomref.health import health

urlpatterns = [
    path("healthz", health, name="health"),
    # What crawlers and browsers ask the root for (evidence/seo.py).
    path("robots.txt", seo.robots_txt, name="robots-txt"),
    path("sitemap.xml", seo.sitemap, name="sitemap"),
    path("favicon.ico", seo.favicon, name="favicon"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/", include("evidence.api.urls")),
    path("", include("evidence.urls")),
]
