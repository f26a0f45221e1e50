"""REST API routes of this app, mounted under /api/v1/ by config/api_router.py."""

from django.urls import URLPattern, URLResolver, path

from competitors.api import insights, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("companies/", views.CompanyListView.as_view(), name="company-list"),
    # Before the slug routes; "discover" is a reserved slug (competitors.services).
    # <str:slug>, not <slug:slug>: any unknown name is this API's JSON 404.
    path("companies/discover/", views.DiscoverView.as_view(), name="company-discover"),
    path(
        "companies/discover/confirm/",
        views.DiscoverConfirmView.as_view(),
        name="company-discover-confirm",
    ),
    path("companies/<str:slug>/", views.CompanyDetailView.as_view(), name="company-detail"),
    path(
        "companies/<str:slug>/activity/",
        insights.CompanyActivityView.as_view(),
        name="company-activity",
    ),
    path(
        "companies/<str:slug>/similar/",
        insights.SimilarCompaniesView.as_view(),
        name="company-similar",
    ),
    path(
        "companies/<str:slug>/subscription/",
        views.CompanySubscriptionView.as_view(),
        name="company-subscription",
    ),
    path("competitors/compare/", insights.CompareView.as_view(), name="competitors-compare"),
    path("competitors/themes/", insights.ThemesView.as_view(), name="competitors-themes"),
    path(
        "competitors/comparisons/",
        insights.SavedComparisonListView.as_view(),
        name="comparison-list",
    ),
    path(
        "competitors/comparisons/<int:pk>/",
        insights.SavedComparisonDetailView.as_view(),
        name="comparison-detail",
    ),
    path("sources/", views.SourceListView.as_view(), name="source-list"),
    path("sources/<int:pk>/", views.SourceDetailView.as_view(), name="source-detail"),
    path("sources/<int:pk>/pause/", views.SourcePauseView.as_view(), name="source-pause"),
    path("sources/<int:pk>/resume/", views.SourceResumeView.as_view(), name="source-resume"),
    path("sources/<int:pk>/fetch/", views.SourceFetchView.as_view(), name="source-fetch"),
]
