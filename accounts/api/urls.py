"""REST API routes of this app, mounted under /api/v1/ by config/api_router.py."""

from django.urls import URLPattern, URLResolver, path

from accounts.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/token/", views.TokenObtainView.as_view(), name="auth-token"),
    path("me/", views.MeView.as_view(), name="me-detail"),
    path("me/preferences/", views.PreferencesView.as_view(), name="me-preferences"),
    path("tokens/", views.TokenListView.as_view(), name="tokens-list"),
    path("tokens/<int:pk>/", views.TokenDetailView.as_view(), name="tokens-detail"),
]
