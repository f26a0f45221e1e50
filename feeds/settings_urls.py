"""The feed URL's settings page, included by accounts/settings_urls.py under /settings/feed/.

No app_name: the routes join the "settings" namespace (settings:feed, …).
"""

from django.urls import path

from feeds import views

urlpatterns = [
    path("", views.feed_settings, name="feed"),
    path("new/", views.feed_create, name="feed_create"),
    path("revoke/", views.feed_revoke, name="feed_revoke"),
]
