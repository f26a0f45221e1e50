from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FeedToken(models.Model):
    """The secret in the URL of a user's personal Atom feed.

    Only its SHA-256 is stored; the secret is shown once. One per user: issuing a
    new one replaces the old, and deleting it revokes the URL.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="feed_token",
        verbose_name=_("user"),
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the secret, so its owner can tell which URL is live.
    prefix = models.CharField(_("starts with"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("feed URL")
        verbose_name_plural = _("feed URLs")

    def __str__(self) -> str:
        return f"{self.user} ({self.prefix}…)"
