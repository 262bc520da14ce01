from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from kratomref.health import health

urlpatterns = [
    path("healthz", health, name="health"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/", include("evidence.api.urls")),
    path("", include("evidence.urls")),
]
