from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from kratomref.health import health

admin.site.site_header = "KratomRef curation"
admin.site.site_title = "KratomRef curation"
admin.site.index_title = "Evidence library"

urlpatterns = [
    path("healthz", health, name="health"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("evidence.urls")),
]
