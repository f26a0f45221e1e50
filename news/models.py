from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from competitors.models import Company, Source
from news import classification, priority
from news.categories import Category


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
    category = models.CharField(
        _("category"), max_length=40, blank=True, db_index=True, choices=Category.choices
    )
    priority_score = models.FloatField(_("priority"), default=0.0, db_index=True)
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
    # MinHash signature of title and summary (news/clustering.py), for story matching.
    fingerprint = models.JSONField(default=list, blank=True, editable=False)
    # Kept current by a PostgreSQL trigger (migration 0004); unused on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)
    analysed_at = models.DateTimeField(_("analysed"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ("-published_at", "-id")
        verbose_name = _("news item")
        verbose_name_plural = _("news items")
        indexes = [
            models.Index(fields=["-published_at", "-id"], name="newsitem_recent_idx"),
            # The dashboard's counts and newest items filter recent rows by company,
            # category and priority: with these columns in the index they never read
            # the (wide) table rows. PostgreSQL only; elsewhere a plain index.
            models.Index(
                fields=["-published_at", "-id"],
                include=["company", "category", "priority_score", "story"],
                name="newsitem_recent_cover_idx",
            ),
            # A company's page and comparisons count its items by day and category over
            # a period and rank them by priority, from the index alone on PostgreSQL;
            # with the id in the key, a company's newest page (over a minimum priority)
            # is the first entries of its range, in the API list's order.
            models.Index(
                fields=["company", "-published_at", "-id"],
                include=["category", "priority_score"],
                name="newsitem_company_cover_idx",
            ),
            models.Index(fields=["source", "-published_at"], name="newsitem_source_idx"),
            # Digests and alerts select by first-seen time: each item falls in one period.
            models.Index(fields=["fetched_at"], name="newsitem_fetched_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class ItemState(models.Model):
    """One user's reading state of one item: read and favourite. A row exists only once
    the user has done something with the item."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="item_states"
    )
    item = models.ForeignKey(NewsItem, on_delete=models.CASCADE, related_name="states")
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    favourited_at = models.DateTimeField(_("favourited"), null=True, blank=True)

    class Meta:
        verbose_name = _("item state")
        verbose_name_plural = _("item states")
        constraints = [
            models.UniqueConstraint(fields=["user", "item"], name="itemstate_user_item_unique"),
        ]
        indexes = [
            models.Index(
                fields=["user", "-favourited_at"],
                name="itemstate_favourites_idx",
                condition=models.Q(favourited_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.item_id}"


class ClassificationRule(models.Model):
    """One weighted pattern voting for a category; see news/classification.py for scoring."""

    class Kind(models.TextChoices):
        WORD = classification.KIND_WORD, _("Word (a trailing * matches a stem)")
        PHRASE = classification.KIND_PHRASE, _("Phrase")
        REGEX = classification.KIND_REGEX, _("Regular expression")

    class MatchField(models.TextChoices):
        TITLE = classification.FIELD_TITLE, _("Title")
        SUMMARY = classification.FIELD_SUMMARY, _("Summary")
        BOTH = classification.FIELD_BOTH, _("Title and summary")

    category = models.CharField(
        _("category"), max_length=40, choices=Category.choices, db_index=True
    )
    pattern = models.CharField(
        _("pattern"),
        max_length=classification.MAX_PATTERN_LENGTH,
        blank=True,
        help_text=_(
            "Matched case-insensitively. Leave empty, with a source type, to add the "
            "weight to every item of that source type."
        ),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.WORD)
    field = models.CharField(
        _("field"), max_length=10, choices=MatchField.choices, default=MatchField.BOTH
    )
    weight = models.FloatField(
        _("weight"),
        default=1.0,
        help_text=_(
            "Added to the category's score per matching field (doubled for the title). "
            'Negative means "not this category".'
        ),
    )
    source_type = models.CharField(
        _("source type"),
        max_length=20,
        choices=Source.SourceType.choices,
        blank=True,
        help_text=_("Only apply to items from this type of source."),
    )
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ("category", "kind", "pattern")
        verbose_name = _("classification rule")
        verbose_name_plural = _("classification rules")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "kind", "field", "pattern", "source_type"],
                name="news_classificationrule_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.pattern or self.source_type} ({self.weight:+g})"

    def clean(self) -> None:
        super().clean()
        if not self.pattern.strip():
            if not self.source_type:
                raise ValidationError(
                    {"pattern": _("Give a pattern, or a source type for a source-type bonus.")}
                )
            return
        try:
            classification.validate_rule_pattern(pattern=self.pattern, kind=self.kind)
        except ValidationError as error:
            raise ValidationError({"pattern": error.error_list}) from error


class PriorityWeights(models.Model):
    """The single row of tunable weights for priority and the classification threshold.

    See news/priority.py for the formula. ``load()`` returns the defaults when
    the row does not exist, so nothing depends on it being seeded.
    """

    SINGLETON_ID = 1

    category_weights = models.JSONField(
        _("category weights"),
        default=priority.default_category_weights,
        help_text=_('Category value → weight from 0 to 1; "other" is for uncategorised items.'),
    )
    source_type_weights = models.JSONField(
        _("source type weights"),
        default=priority.default_source_type_weights,
        help_text=_('Source type → weight from 0 to 1; "other" is for unknown types.'),
    )
    category_component = models.FloatField(
        _("category component weight"), default=priority.DEFAULT_CATEGORY_COMPONENT
    )
    source_component = models.FloatField(
        _("source type component weight"), default=priority.DEFAULT_SOURCE_COMPONENT
    )
    coverage_component = models.FloatField(
        _("coverage component weight"), default=priority.DEFAULT_COVERAGE_COMPONENT
    )
    recency_component = models.FloatField(
        _("recency component weight"), default=priority.DEFAULT_RECENCY_COMPONENT
    )
    recency_half_life_hours = models.FloatField(
        _("recency half-life (hours)"),
        default=priority.DEFAULT_RECENCY_HALF_LIFE_HOURS,
        help_text=_("The recency component halves every this many hours."),
    )
    coverage_saturation = models.PositiveSmallIntegerField(
        _("coverage saturation (sources)"),
        default=priority.DEFAULT_COVERAGE_SATURATION,
        help_text=_("A story carried by this many distinct sources gets the full coverage score."),
    )
    classification_threshold = models.FloatField(
        _("classification threshold"),
        default=classification.DEFAULT_THRESHOLD,
        help_text=_("Items whose best category scores below this stay uncategorised (Other)."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("priority and classification weights")
        verbose_name_plural = _("priority and classification weights")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="news_priorityweights_singleton"),
        ]

    def __str__(self) -> str:
        return str(_("Priority and classification weights"))

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = self.SINGLETON_ID
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> PriorityWeights:
        """The stored weights, or unsaved defaults when the row is missing."""
        return cls.objects.filter(pk=cls.SINGLETON_ID).first() or cls(pk=cls.SINGLETON_ID)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        for name, allowed in (
            ("category_weights", {*Category.values, priority.OTHER_KEY}),
            ("source_type_weights", {*Source.SourceType.values, priority.OTHER_KEY}),
        ):
            problem = _weights_map_problem(getattr(self, name), allowed)
            if problem:
                errors[name] = problem
        for name in (
            "category_component",
            "source_component",
            "coverage_component",
            "recency_component",
        ):
            if getattr(self, name) < 0:
                errors[name] = str(_("Must not be negative."))
        if self.recency_half_life_hours <= 0:
            errors["recency_half_life_hours"] = str(_("Must be positive."))
        if errors:
            raise ValidationError(errors)

    def as_data(self) -> priority.PriorityWeightsData:
        return priority.PriorityWeightsData(
            category_weights=_as_mapping(self.category_weights),
            source_type_weights=_as_mapping(self.source_type_weights),
            category_component=self.category_component,
            source_component=self.source_component,
            coverage_component=self.coverage_component,
            recency_component=self.recency_component,
            recency_half_life_hours=self.recency_half_life_hours,
            coverage_saturation=self.coverage_saturation,
        )


def _as_mapping(value: object) -> dict[str, float]:
    # priority_score falls back to the defaults for missing keys, so a malformed
    # map (written around admin validation) degrades to the defaults.
    return dict(value) if isinstance(value, dict) else {}


def _weights_map_problem(value: object, allowed: set[str]) -> str | None:
    if not isinstance(value, dict):
        return str(_("Must be a JSON object of name → number."))
    unknown = sorted(set(value) - allowed)
    if unknown:
        return str(_("Unknown keys: %(keys)s.") % {"keys": ", ".join(unknown)})
    for weight in value.values():
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
            return str(_("Every weight must be a number from 0 to 1."))
    return None


# Compiled rules are cached per process; every change to what they are built
# from must invalidate them, and only once committed, or another process could
# recompile from rows it cannot see yet and cache them under the new version.
@receiver(post_save, sender=ClassificationRule)
@receiver(post_delete, sender=ClassificationRule)
@receiver(post_save, sender=PriorityWeights)
@receiver(post_delete, sender=PriorityWeights)
def _classification_inputs_changed(**kwargs: Any) -> None:
    transaction.on_commit(classification.rules_changed, using=kwargs.get("using"))
