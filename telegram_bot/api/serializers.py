"""Serializers of the Telegram API: the link of the account and a new deep link."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class TelegramStatusSerializer(serializers.Serializer[dict[str, Any]]):
    configured = serializers.BooleanField(
        read_only=True, help_text=_("Whether this site has a Telegram bot.")
    )
    linked = serializers.BooleanField(
        read_only=True, help_text=_("Whether a Telegram chat is linked to your account.")
    )
    username = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text=_("The linked Telegram @username without the @, if it has one."),
    )
    linked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    blocked = serializers.BooleanField(
        read_only=True,
        help_text=_("Telegram refused the chat (the bot was blocked); link again to resume."),
    )
    enabled = serializers.BooleanField(
        read_only=True,
        help_text=_(
            "Whether digests are delivered to Telegram: linked, not blocked, and "
            "Telegram among the digest channels."
        ),
    )


class TelegramDeepLinkSerializer(serializers.Serializer[dict[str, Any]]):
    deep_link = serializers.URLField(
        read_only=True,
        help_text=_("Open it in Telegram and press Start to link the chat. Works once."),
    )
    token = serializers.CharField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
    bot_username = serializers.CharField(read_only=True)
