from __future__ import annotations

from django.contrib import admin

from telegram_bot.models import TelegramLink


@admin.register(TelegramLink)
class TelegramLinkAdmin(admin.ModelAdmin[TelegramLink]):
    list_display = ("user", "username", "telegram_user_id", "linked_at")
    search_fields = ("user__email", "username")
    raw_id_fields = ("user",)
    # The ids come from Telegram when the user links; typing them in would link a
    # chat nobody proved they own.
    readonly_fields = ("telegram_user_id", "chat_id", "username", "language_code", "linked_at")
