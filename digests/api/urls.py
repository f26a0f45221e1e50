"""REST API routes of this app, mounted under /api/v1/ by config/api_router.py."""

from django.urls import URLPattern, URLResolver, path

from digests.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("digests/", views.DigestListView.as_view(), name="digest-list"),
    path("digests/preview/", views.DigestPreviewView.as_view(), name="digest-preview"),
    path("digests/generate/", views.DigestGenerateView.as_view(), name="digest-generate"),
    path("digests/<int:pk>/", views.DigestDetailView.as_view(), name="digest-detail"),
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
    path(
        "notifications/unread-count/",
        views.NotificationUnreadCountView.as_view(),
        name="notification-unread-count",
    ),
    path(
        "notifications/read-all/",
        views.NotificationsReadAllView.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/settings/",
        views.NotificationSettingsView.as_view(),
        name="notification-settings",
    ),
    path(
        "notifications/<int:pk>/",
        views.NotificationDetailView.as_view(),
        name="notification-detail",
    ),
    path(
        "notifications/<int:pk>/read/",
        views.NotificationReadView.as_view(),
        name="notification-read",
    ),
]
