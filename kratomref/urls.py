from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "KratomRef curation"
admin.site.site_title = "KratomRef curation"
admin.site.index_title = "Evidence library"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("evidence.urls")),
]
