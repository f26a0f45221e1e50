from __future__ import annotations

import datetime
import functools
import zoneinfo
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def validate_timezone_name(value: str) -> None:
    if value not in available_timezone_names():
        raise ValidationError(_("Unknown time zone: %(value)s."), params={"value": value})


@functools.cache
def available_timezone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        extra.setdefault("is_verified", True)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """An account. The email address is the login and is stored lower-cased."""

    class Language(models.TextChoices):
        AUTO = "", _("Browser default")
        ENGLISH = "en", _("English")
        RUSSIAN = "ru", _("Russian")

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_verified = models.BooleanField(
        _("email verified"),
        default=False,
        help_text=_("Set when the user follows the link sent to their email address."),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, blank=True, default=""
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Staff can log into the admin site and use operator endpoints."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # An IANA zone name ("Europe/Berlin"); dates are shown and digests scheduled in it.
    timezone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_timezone_name]
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class DigestFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    CUSTOM = "custom", _("On chosen days")


class WeekStart(models.TextChoices):
    MONDAY = "monday", _("Monday")
    SUNDAY = "sunday", _("Sunday")


class DigestFormat(models.TextChoices):
    SHORT = "short", _("Short: headlines only")
    DETAILED = "detailed", _("Detailed: with summaries")


class DigestChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    TELEGRAM = "telegram", _("Telegram")


class NotifyPriority(models.TextChoices):
    LOW = "low", _("Low and above")
    MEDIUM = "medium", _("Medium and above")
    HIGH = "high", _("High only")


class NotificationFrequency(models.TextChoices):
    REALTIME = "realtime", _("As they happen")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    NEVER = "never", _("Never")


def default_digest_channels() -> list[str]:
    return [DigestChannel.EMAIL.value]


class Preferences(models.Model):
    """What a user follows: it decides their dashboard, their digests and their alerts."""

    class Scope(models.TextChoices):
        TRACKED = "tracked", _("My companies and categories")
        ALL = "all", _("All news")

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="preferences", verbose_name=_("user")
    )
    tracked_companies = models.ManyToManyField(
        "competitors.Company",
        related_name="followers",
        blank=True,
        verbose_name=_("tracked companies"),
    )
    # Category values (news.categories.Category); empty means every category.
    categories = models.JSONField(_("interested categories"), default=list, blank=True)
    # Lower-cased words or phrases; an item matching one counts as of interest.
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    scope = models.CharField(
        _("dashboard shows"), max_length=16, choices=Scope.choices, default=Scope.TRACKED
    )

    # ---------------------------------------------------------------- digests
    digest_enabled = models.BooleanField(_("send me digests"), default=True)
    digest_frequency = models.CharField(
        _("how often"), max_length=8, choices=DigestFrequency.choices, default=DigestFrequency.DAILY
    )
    digest_time = models.TimeField(_("delivery time"), default=datetime.time(8, 0))
    # ISO weekdays (1 = Monday … 7 = Sunday) for the custom frequency.
    digest_days = models.JSONField(_("days"), default=list, blank=True)
    week_start = models.CharField(
        _("weeks start on"), max_length=8, choices=WeekStart.choices, default=WeekStart.MONDAY
    )
    digest_format = models.CharField(
        _("format"), max_length=8, choices=DigestFormat.choices, default=DigestFormat.DETAILED
    )
    digest_include_summaries = models.BooleanField(_("include summaries"), default=True)
    digest_mode = models.CharField(
        _("digest covers"), max_length=8, choices=Scope.choices, default=Scope.TRACKED
    )
    # Channels besides the web, which always has every digest: "email", "telegram".
    digest_channels = models.JSONField(
        _("also send by"), default=default_digest_channels, blank=True
    )
    # When the next scheduled digest falls due (UTC); null while digests are off.
    # Kept in step by digests.scheduling whenever the schedule or time zone changes.
    next_digest_at = models.DateTimeField(_("next digest"), null=True, blank=True, editable=False)

    # ---------------------------------------------------------------- notifications
    notify_enabled = models.BooleanField(_("alerts on"), default=True)
    notify_min_priority = models.CharField(
        _("minimum priority"),
        max_length=8,
        choices=NotifyPriority.choices,
        default=NotifyPriority.MEDIUM,
    )
    notify_company_alerts = models.BooleanField(_("news from tracked companies"), default=True)
    notify_keyword_alerts = models.BooleanField(_("keyword matches"), default=True)
    notify_category_trends = models.BooleanField(
        _("category trends and busy companies"), default=True
    )
    notification_frequency = models.CharField(
        _("alert frequency"),
        max_length=8,
        choices=NotificationFrequency.choices,
        default=NotificationFrequency.DAILY,
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("preferences")
        verbose_name_plural = _("preferences")
        indexes = [
            # The digest beat's claim: due rows only, oldest first.
            models.Index(
                fields=["next_digest_at"],
                name="accounts_prefs_next_digest",
                condition=models.Q(digest_enabled=True, next_digest_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the token, so its owner can tell tokens apart.
    prefix = models.CharField(_("starts with"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
