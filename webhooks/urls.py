"""Settings → Webhooks, mounted under /settings/webhooks/ by accounts/settings_urls.py
(so names reverse as "settings:webhooks:<name>")."""

from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.webhook_index, name="index"),
    path("<int:pk>/delete/", views.webhook_delete, name="delete"),
    path("<int:pk>/rotate-secret/", views.webhook_rotate_secret, name="rotate_secret"),
    path("<int:pk>/enable/", views.webhook_enable, name="enable"),
    path("<int:pk>/test/", views.webhook_test, name="test"),
]
