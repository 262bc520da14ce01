"""The read-only JSON API at /api/v1/ (Django REST framework, OpenAPI by drf-spectacular).

The public contract (README, "Data and API"): keep these paths stable. Items are addressed as on
the site: claims, articles, substances and warnings by slug, studies by key.
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from evidence.api import views

app_name = "api"

LIST, DETAIL = {"get": "list"}, {"get": "retrieve"}

urlpatterns = [
    path("", views.RootView.as_view(), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(), name="docs"),
    path("claims/", views.ClaimViewSet.as_view(LIST), name="claim-list"),
    path("claims/<slug:slug>/", views.ClaimViewSet.as_view(DETAIL), name="claim-detail"),
    path("claims/<slug:slug>/versions/", views.ClaimVersionViewSet.as_view(LIST), name="claim-version-list"),
    path(
        "claims/<slug:slug>/versions/<int:number>/",
        views.ClaimVersionViewSet.as_view(DETAIL),
        name="claim-version-detail",
    ),
    path("studies/", views.StudyViewSet.as_view(LIST), name="study-list"),
    path("studies/<slug:key>/", views.StudyViewSet.as_view(DETAIL), name="study-detail"),
    path("articles/", views.ArticleViewSet.as_view(LIST), name="article-list"),
    path("articles/<slug:slug>/", views.ArticleViewSet.as_view(DETAIL), name="article-detail"),
    path("substances/", views.SubstanceViewSet.as_view(LIST), name="substance-list"),
    path("substances/<slug:slug>/", views.SubstanceViewSet.as_view(DETAIL), name="substance-detail"),
    path("warnings/", views.WarningViewSet.as_view(LIST), name="warning-list"),
    path("warnings/<slug:slug>/", views.WarningViewSet.as_view(DETAIL), name="warning-detail"),
    # Anything else under the API ends with a slash (APPEND_SLASH adds it) and is a JSON 404.
    re_path(r"^[\s\S]*/$", views.NotFoundView.as_view(), name="not-found"),
]
