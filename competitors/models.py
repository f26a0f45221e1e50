from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
