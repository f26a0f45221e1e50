from django.urls import path

from accounts import settings_views

app_name = "settings"

urlpatterns = [
    path("", settings_views.index, name="index"),
    path("profile/", settings_views.profile, name="profile"),
    path("preferences/", settings_views.preferences, name="preferences"),
    path("delete-account/", settings_views.delete_account, name="delete_account"),
]
