from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from competitors.models import Company, Source


class Story(models.Model):
    """The same news told by several outlets. Filled by story clustering."""

    title = models.CharField(_("title"), max_length=500)
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now, db_index=True)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)
    item_count = models.PositiveIntegerField(_("items"), default=1)

    class Meta:
        ordering = ("-first_seen_at",)
        verbose_name = _("story")
        verbose_name_plural = _("stories")

    def __str__(self) -> str:
        return self.title


class NewsItem(models.Model):
    """One published item, stored once under its canonical URL."""

    title = models.CharField(_("title"), max_length=500)
    url = models.URLField(_("canonical URL"), max_length=2000, unique=True)
    guid = models.CharField(_("GUID"), max_length=1000, blank=True)
    source = models.ForeignKey(
        Source,
        verbose_name=_("source"),
        related_name="items",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        related_name="news_items",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    source_type = models.CharField(
        _("source type"),
        max_length=20,
        choices=Source.SourceType.choices,
        default=Source.SourceType.OTHER,
    )
    published_at = models.DateTimeField(_("published"))
    published_at_estimated = models.BooleanField(
        _("publication date estimated"),
        default=False,
        help_text=_("Set when no date was published: the time the item was first seen."),
    )
    author = models.CharField(_("author"), max_length=300, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    content_html = models.TextField(_("content (sanitised HTML)"), blank=True)
    content_text = models.TextField(_("content (text)"), blank=True)
    language = models.CharField(_("language"), max_length=12, blank=True)
    fetched_at = models.DateTimeField(_("fetched"), default=timezone.now)
    needs_full_text = models.BooleanField(
        _("needs full text"),
        default=False,
        help_text=_("The feed carried only a teaser; the article page is fetched separately."),
    )
    # Filled by the intelligence pipeline.
    category = models.CharField(_("category"), max_length=40, blank=True, db_index=True)
    priority_score = models.FloatField(_("priority"), default=0.0)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    mentioned_companies = models.ManyToManyField(
        Company, verbose_name=_("mentioned companies"), related_name="mentions", blank=True
    )
    story = models.ForeignKey(
        Story,
        verbose_name=_("story"),
        related_name="items",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ("-published_at", "-id")
        verbose_name = _("news item")
        verbose_name_plural = _("news items")
        indexes = [
            models.Index(fields=["-published_at", "-id"], name="newsitem_recent_idx"),
            models.Index(fields=["company", "-published_at"], name="newsitem_company_idx"),
            models.Index(fields=["source", "-published_at"], name="newsitem_source_idx"),
        ]

    def __str__(self) -> str:
        return self.title
