from django.urls import path

from telegram_bot import views

app_name = "telegram"

urlpatterns = [
    path("link/", views.link_create, name="link"),
    path("unlink/", views.link_delete, name="unlink"),
    path("webhook/", views.webhook, name="webhook"),
]
