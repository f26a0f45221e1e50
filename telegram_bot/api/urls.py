"""REST API routes of this app, mounted under /api/v1/ by config/api_router.py."""

from django.urls import URLPattern, URLResolver, path

from telegram_bot.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("telegram/", views.TelegramView.as_view(), name="telegram"),
    path("telegram/link/", views.TelegramLinkView.as_view(), name="telegram-link"),
]
