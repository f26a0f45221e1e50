"""The link between an account and a Telegram chat."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TelegramLink(models.Model):
    """One Telegram user per account and one account per Telegram user.

    The ids come from a Telegram update, never from a value the user typed.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="telegram_link",
        verbose_name=_("user"),
    )
    telegram_user_id = models.BigIntegerField(_("Telegram user id"), unique=True)
    # The private chat with the bot; for a private chat it equals the user id.
    chat_id = models.BigIntegerField(_("chat id"))
    username = models.CharField(_("Telegram username"), max_length=64, blank=True)
    language_code = models.CharField(_("Telegram language"), max_length=16, blank=True)
    linked_at = models.DateTimeField(_("linked"), default=timezone.now)

    class Meta:
        verbose_name = _("Telegram link")
        verbose_name_plural = _("Telegram links")

    def __str__(self) -> str:
        return f"{self.user} ↔ {self.username or self.telegram_user_id}"
