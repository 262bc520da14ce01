from django.urls import path

from evidence import cite, dataset, embed, feeds, reports, share_images, views

app_name = "evidence"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("how-we-grade/", views.how_we_grade, name="how-we-grade"),
    path("reviewers/<slug:slug>/", views.reviewer_detail, name="reviewer-detail"),
    path("articles/", views.ArticleListView.as_view(), name="article-list"),
    # Suggestions for the claims list's article box (static/js/suggest.js).
    path("articles/suggest.json", views.article_suggestions, name="article-suggestions"),
    path(
        "articles/<slug:slug>/",
        views.ArticleDetailView.as_view(),
        name="article-detail",
    ),
    # Each earlier text of an article, with its passages as they were (old citations keep their sense).
    path("articles/<slug:slug>/revisions/<int:number>/", views.article_revision, name="article-revision"),
    # Share images for og:image (evidence/share_images.py).
    path("articles/<slug:slug>/share.png", share_images.article_share_image, name="article-share-image"),
    path("claims/<slug:slug>/share.png", share_images.claim_share_image, name="claim-share-image"),
    path("claims/", views.ClaimListView.as_view(), name="claim-list"),
    path("claims/<slug:slug>/", views.ClaimDetailView.as_view(), name="claim-detail"),
    # The public contract for sites that cite KratomRef (README): keep these paths stable.
    path("claims/<slug:slug>/v<int:number>/", views.claim_version, name="claim-version"),
    path("claims/<slug:slug>/history/", views.claim_history, name="claim-history"),
    path("claims/<slug:slug>/cite.<str:fmt>", cite.claim_cite, name="claim-cite"),
    path("claims/<slug:slug>/v<int:number>/cite.<str:fmt>", cite.claim_cite, name="claim-version-cite"),
    path("claims/<slug:slug>/badge.svg", embed.badge, name="claim-badge"),
    path("claims/<slug:slug>/v<int:number>/badge.svg", embed.badge, name="claim-version-badge"),
    path("embed/claims/<slug:slug>/", embed.card, name="claim-embed"),
    path("oembed/", embed.oembed, name="oembed"),
    path("studies/", views.StudyListView.as_view(), name="study-list"),
    path("studies/<slug:key>/", views.StudyDetailView.as_view(), name="study-detail"),
    path("substances/", views.SubstanceListView.as_view(), name="substance-list"),
    path(
        "substances/<slug:slug>/",
        views.SubstanceDetailView.as_view(),
        name="substance-detail",
    ),
    # Open data (README "Data and API"): keep these paths stable.
    path("feeds/reviews.atom", feeds.ReviewFeed(), name="feed-reviews"),
    path("feeds/articles.atom", feeds.ArticleFeed(), name="feed-articles"),
    path("data/", dataset.dataset_list, name="dataset-list"),
    path("data/latest.zip", dataset.dataset_download, name="dataset-latest"),
    path("data/kratomref-dataset-<str:version>.zip", dataset.dataset_download, name="dataset-download"),
    # Readers report, the desk answers (evidence/reports.py).
    path("report/", reports.report, name="report"),
    path("report/thanks/", reports.report_thanks, name="report-thanks"),
    path("corrections/", reports.corrections, name="corrections"),
    path("warnings/", views.WarningListView.as_view(), name="warning-list"),
    path(
        "warnings/<slug:slug>/",
        views.WarningDetailView.as_view(),
        name="warning-detail",
    ),
]
