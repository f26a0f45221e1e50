"""REST API routes of this app, mounted under /api/v1/ by config/api_router.py."""

from django.urls import URLPattern, URLResolver, path

from webhooks.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("webhooks/", views.WebhookEndpointListView.as_view(), name="webhook-list"),
    path("webhooks/<int:pk>/", views.WebhookEndpointDetailView.as_view(), name="webhook-detail"),
    path(
        "webhooks/<int:pk>/rotate-secret/",
        views.WebhookRotateSecretView.as_view(),
        name="webhook-rotate-secret",
    ),
    path("webhooks/<int:pk>/test/", views.WebhookTestView.as_view(), name="webhook-test"),
    path(
        "webhooks/<int:pk>/deliveries/",
        views.WebhookDeliveryListView.as_view(),
        name="webhook-deliveries",
    ),
    path("webhooks/<int:pk>/enable/", views.WebhookEnableView.as_view(), name="webhook-enable"),
]
