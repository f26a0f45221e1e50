from __future__ import annotations

from datetime import timedelta, tzinfo
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from competitors.activity import Period


class Company(models.Model):
    """A company whose announcements are tracked."""

    class Segment(models.TextChoices):
        LLM_PROVIDER = "llm_provider", _("LLM provider")
        PLATFORM = "platform", _("Platform")
        GENERATIVE_AI = "generative_ai", _("Generative AI")
        INFRASTRUCTURE = "infrastructure", _("Infrastructure")
        FRAMEWORK = "framework", _("Framework")
        MLOPS = "mlops", _("MLOps")
        SEARCH_ENGINE = "search_engine", _("Search engine")
        DATA_PLATFORM = "data_platform", _("Data platform")
        RESEARCH_LAB = "research_lab", _("Research lab")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    website = models.URLField(_("website"), max_length=500, blank=True)
    description = models.TextField(_("description"), blank=True)
    logo_url = models.URLField(_("logo URL"), max_length=500, blank=True)
    segment = models.CharField(
        _("segment"), max_length=32, choices=Segment.choices, default=Segment.OTHER
    )
    twitter_handle = models.CharField(_("X/Twitter handle"), max_length=64, blank=True)
    github_org = models.CharField(_("GitHub organisation"), max_length=100, blank=True)
    linkedin_url = models.URLField(_("LinkedIn URL"), max_length=500, blank=True)
    instagram_handle = models.CharField(_("Instagram handle"), max_length=64, blank=True)
    founded_year = models.PositiveSmallIntegerField(_("year founded"), null=True, blank=True)
    pricing = models.CharField(_("pricing"), max_length=255, blank=True)
    aliases = models.JSONField(
        _("aliases"),
        default=list,
        blank=True,
        help_text=_("Other names used to recognise mentions, e.g. product names."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [
            models.UniqueConstraint(Lower("name"), name="competitors_company_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Source(models.Model):
    """Somewhere news is fetched from, with its fetch schedule and health."""

    class Kind(models.TextChoices):
        FEED = "feed", _("Feed (RSS, Atom or JSON Feed)")
        HTML = "html", _("Web page listing articles")
        GITHUB_RELEASES = "github_releases", _("GitHub releases")

    class SourceType(models.TextChoices):
        BLOG = "blog", _("Blog")
        NEWS_SITE = "news_site", _("News site")
        PRESS_RELEASE = "press_release", _("Press release")
        GITHUB = "github", _("GitHub")
        REDDIT = "reddit", _("Reddit")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        ERROR = "error", _("Error")

    DEFAULT_INTERVAL = timedelta(hours=1)

    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        related_name="sources",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    url = models.URLField(_("URL"), max_length=1000, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.FEED)
    source_type = models.CharField(
        _("source type"), max_length=20, choices=SourceType.choices, default=SourceType.BLOG
    )
    css_selector = models.CharField(
        _("article link selector"),
        max_length=300,
        blank=True,
        help_text=_("Optional CSS selector for article links on a listing page."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    # Fetch state.
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    next_fetch_at = models.DateTimeField(_("next fetch"), null=True, blank=True)
    interval = models.DurationField(_("fetch interval"), default=DEFAULT_INTERVAL)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("company__name", "url")
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        indexes = [
            models.Index(fields=["status", "next_fetch_at"], name="source_due_idx"),
        ]

    def __str__(self) -> str:
        return self.name or self.url

    def clean(self) -> None:
        super().clean()
        if self.css_selector:
            from news.pages import compile_css_selector

            try:
                compile_css_selector(self.css_selector)
            except ValueError as error:
                raise ValidationError({"css_selector": str(error)}) from error

    @property
    def is_due(self) -> bool:
        return self.status == self.Status.ACTIVE and (
            self.next_fetch_at is None or self.next_fetch_at <= timezone.now()
        )


class SavedComparison(models.Model):
    """A user's named set of companies to compare over a rolling or a fixed period."""

    NAME_MAX_LENGTH = 120

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="saved_comparisons",
        on_delete=models.CASCADE,
    )
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    companies = models.ManyToManyField(
        Company, verbose_name=_("companies"), related_name="saved_comparisons"
    )
    days = models.PositiveSmallIntegerField(
        _("last N days"),
        null=True,
        blank=True,
        help_text=_("A rolling period ending today; leave empty for a fixed range."),
    )
    date_from = models.DateField(_("from"), null=True, blank=True)
    date_to = models.DateField(_("to"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("saved comparison")
        verbose_name_plural = _("saved comparisons")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"], name="competitors_savedcomparison_user_name_unique"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(days__isnull=False, date_from__isnull=True, date_to__isnull=True)
                    | models.Q(days__isnull=True, date_from__isnull=False, date_to__isnull=False)
                ),
                name="competitors_savedcomparison_one_period",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        from competitors.activity import period_errors

        errors = period_errors(days=self.days, date_from=self.date_from, date_to=self.date_to)
        if errors:
            raise ValidationError(errors)

    def period(self, *, tz: tzinfo | None = None) -> Period:
        """The compared period in ``tz`` (default: the current zone); a rolling one ends today."""
        from competitors.activity import Period, period_last_days

        zone = tz or timezone.get_current_timezone()
        if self.days is not None:
            return period_last_days(days=self.days, tz=zone)
        if self.date_from is None or self.date_to is None:
            raise ValueError("A saved comparison needs days or both dates.")
        return Period(date_from=self.date_from, date_to=self.date_to, tz=zone)
