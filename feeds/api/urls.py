"""REST API routes of this app, mounted under /api/v1/ by config/api_router.py."""

from django.urls import URLPattern, URLResolver, path

from feeds.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("feed/", views.FeedView.as_view(), name="feed-detail"),
    path("sources/opml/", views.SourcesOpmlView.as_view(), name="source-opml"),
    path("sources/opml/import/", views.SourcesOpmlImportView.as_view(), name="source-opml-import"),
]
