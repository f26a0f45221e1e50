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
    # Set when Telegram refuses the chat for good (the user blocked the bot or was
    # deactivated): nothing more is sent to it until the user links again.
    blocked_at = models.DateTimeField(_("blocked"), null=True, blank=True)
    blocked_reason = models.CharField(_("why Telegram refused"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("Telegram link")
        verbose_name_plural = _("Telegram links")

    def __str__(self) -> str:
        return f"{self.user} ↔ {self.username or self.telegram_user_id}"


class LinkToken(models.Model):
    """A single-use deep-link token (t.me/<bot>?start=<token>) that links a chat.

    Only its SHA-256 is stored: the token itself lives in the link shown to the
    user and is worthless once used or expired.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="telegram_link_tokens",
        verbose_name=_("user"),
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("Telegram link token")
        verbose_name_plural = _("Telegram link tokens")

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d %H:%M}"


class TelegramEvent(models.Model):
    """Something operators should know about a send: a refused chat, a message
    Telegram could not parse and that went out as plain text, a flood wait."""

    class Kind(models.TextChoices):
        BLOCKED = "blocked", _("Chat refused")
        PLAIN_TEXT_FALLBACK = "plain_text", _("Sent as plain text")
        RETRY_AFTER = "retry_after", _("Flood control")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    chat_id = models.CharField(_("chat"), max_length=64)
    detail = models.TextField(_("detail"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("Telegram event")
        verbose_name_plural = _("Telegram events")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} · {self.chat_id}"
