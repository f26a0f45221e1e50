"""Reads for the Telegram bot: the link of an account or of a Telegram user."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from accounts.models import DigestChannel, Preferences, User
from telegram_bot.models import TelegramLink

# ---------------------------------------------------------------- linking


def telegram_link_get(*, user: User) -> TelegramLink | None:
    return TelegramLink.objects.filter(user=user).first()


def telegram_link_for_telegram_user(*, telegram_user_id: int) -> TelegramLink | None:
    """The link of this Telegram user, with its account loaded."""
    return (
        TelegramLink.objects.select_related("user")
        .filter(telegram_user_id=telegram_user_id)
        .first()
    )


@dataclass(frozen=True)
class TelegramSettings:
    """What the Telegram section of the settings page shows."""

    configured: bool
    link: TelegramLink | None
    # Whether digests already go to Telegram; once linked, the page suggests it if not.
    digests_to_telegram: bool

    @property
    def connect_offered(self) -> bool:
        """A new link helps when there is none, or when Telegram refused the chat
        (after unblocking the bot, linking again clears the block)."""
        return self.configured and (self.link is None or self.link.blocked_at is not None)

    @property
    def delivering(self) -> bool:
        """Digests reach the chat: a bot, a link Telegram has not refused, and
        Telegram among the digest channels (the page's "Connected" with no warning)."""
        return (
            self.configured
            and self.link is not None
            and self.link.blocked_at is None
            and self.digests_to_telegram
        )


def telegram_settings_get(*, user: User) -> TelegramSettings:
    channels = (
        Preferences.objects.filter(user=user).values_list("digest_channels", flat=True).first()
    )
    return TelegramSettings(
        configured=bool(settings.TELEGRAM_BOT_TOKEN),
        link=telegram_link_get(user=user),
        digests_to_telegram=DigestChannel.TELEGRAM in (channels or []),
    )
