from django.urls import include, path

from accounts import api_token_views, settings_views

app_name = "settings"

urlpatterns = [
    path("", settings_views.index, name="index"),
    path("profile/", settings_views.profile, name="profile"),
    path("preferences/", settings_views.preferences, name="preferences"),
    path("digests/", settings_views.digest_settings, name="digests"),
    path("alerts/", settings_views.alert_settings, name="alerts"),
    path("api-tokens/", api_token_views.api_tokens, name="api_tokens"),
    path("feed/", include("feeds.settings_urls")),
    path("delete-account/", settings_views.delete_account, name="delete_account"),
    path("webhooks/", include("webhooks.urls")),
]
