"""Response shapes of the news API. Read-only: every write is a state flag set
through news.item_states.

Times are ISO 8601 in UTC whoever asks, so a client never has to know which time
zone a session would have used. An uncategorised item has category null.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from competitors.models import Source
from news import display
from news.categories import Category
from news.item_states import ItemStateFlags
from news.listing import ItemCard, ItemDetail
from news.models import NewsItem
from news.priority import priority_level

PRIORITY_LEVELS = ["high", "medium", "low"]
# Category.values builds a new list on every access.
CATEGORY_VALUES = frozenset(Category.values)


def _utc_datetime(**kwargs: Any) -> serializers.DateTimeField:
    return serializers.DateTimeField(default_timezone=UTC, **kwargs)


UTC_DATETIME = _utc_datetime()


class CompanyRefSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField()
    name = serializers.CharField()


class SourceRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text=_("The source's name, else its host."))
    url = serializers.URLField()


class _ItemFieldsSerializer(serializers.Serializer[Any]):
    """What a list row and the detail share; the instance holds the item in `item`."""

    id = serializers.IntegerField(source="item.pk")
    title = serializers.CharField(source="item.title")
    url = serializers.URLField(source="item.url")
    summary = serializers.CharField(source="item.summary")
    published_at = _utc_datetime(source="item.published_at")
    published_at_estimated = serializers.BooleanField(
        source="item.published_at_estimated",
        help_text=_("No date was published: this is when the item was first seen."),
    )
    category = serializers.SerializerMethodField()
    priority = serializers.FloatField(
        source="item.priority_score", help_text=_("From 0 to 1; see priority_level.")
    )
    priority_level = serializers.SerializerMethodField()
    source_type = serializers.ChoiceField(
        source="item.source_type", choices=Source.SourceType.choices
    )
    company = CompanyRefSerializer(source="item.company", allow_null=True)
    # The stubs type Field.source (where a field reads from); a field may still be named so.
    source = serializers.SerializerMethodField()  # type: ignore[assignment]
    story_id = serializers.IntegerField(source="item.story_id", allow_null=True)
    read = serializers.BooleanField(help_text=_("Whether the requesting user marked it read."))
    favourite = serializers.BooleanField(
        help_text=_("Whether it is among the requesting user's favourites.")
    )

    @extend_schema_field(
        serializers.ChoiceField(
            choices=Category.choices, allow_null=True, help_text=_("Null when uncategorised.")
        )
    )
    def get_category(self, row: Any) -> str | None:
        item: NewsItem = row.item
        return item.category if item.category in CATEGORY_VALUES else None

    @extend_schema_field(
        serializers.ChoiceField(
            choices=PRIORITY_LEVELS, help_text=_("High from 0.8, medium from 0.6.")
        )
    )
    def get_priority_level(self, row: Any) -> str:
        item: NewsItem = row.item
        return priority_level(item.priority_score)

    @extend_schema_field(SourceRefSerializer(allow_null=True))
    def get_source(self, row: Any) -> dict[str, Any] | None:
        item: NewsItem = row.item
        if item.source is None:
            return None
        return {"id": item.source.pk, "name": display.source_label(item), "url": item.source.url}


class NewsItemSerializer(_ItemFieldsSerializer):
    """One row of a news list (an ItemCard)."""

    coverage = serializers.IntegerField(
        help_text=_("Distinct sources carrying the item's story; 1 without a story.")
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        # Written out by hand: for a page of 50 rows, DRF's field-by-field machinery
        # cost more CPU than the page's queries. The declared fields remain the schema,
        # and tests hold this to them and to the detail's rendering of the same fields.
        card: ItemCard = instance
        item = card.item
        company = item.company
        return {
            "id": item.pk,
            "title": item.title,
            "url": item.url,
            "summary": item.summary,
            "published_at": UTC_DATETIME.to_representation(item.published_at),
            "published_at_estimated": item.published_at_estimated,
            "category": self.get_category(card),
            "priority": float(item.priority_score),
            "priority_level": priority_level(item.priority_score),
            "source_type": item.source_type,
            "company": {"slug": company.slug, "name": company.name} if company else None,
            "source": self.get_source(card),
            "story_id": item.story_id,
            "read": card.read,
            "favourite": card.favourite,
            "coverage": card.coverage,
        }


# What a list row shows, read as plain named rows: model instances for the page and its
# company and source cost more CPU than the page's query. The rest of an item (the
# article, its search vector, the story fingerprint, keywords) is most of its bytes.
LIST_COLUMNS = (
    "pk",
    "published_at",
    "title",
    "url",
    "summary",
    "published_at_estimated",
    "category",
    "priority_score",
    "source_type",
    "story_id",
    "company__slug",
    "company__name",
    "source_id",
    "source__name",
    "source__url",
)


def news_row_representation(row: Any, *, flags: ItemStateFlags, coverage: int) -> dict[str, Any]:
    """A list row (a named row of LIST_COLUMNS) as NewsItemSerializer
    renders the same item as a card; tests hold the two to each other."""
    category = row.category if row.category in CATEGORY_VALUES else None
    if row.source_id is None:
        source = None
    else:
        name = row.source__name or display.host(row.url) or display.host(row.source__url)
        source = {"id": row.source_id, "name": name, "url": row.source__url}
    return {
        "id": row.pk,
        "title": row.title,
        "url": row.url,
        "summary": row.summary,
        "published_at": UTC_DATETIME.to_representation(row.published_at),
        "published_at_estimated": row.published_at_estimated,
        "category": category,
        "priority": float(row.priority_score),
        "priority_level": priority_level(row.priority_score),
        "source_type": row.source_type,
        "company": (
            {"slug": row.company__slug, "name": row.company__name}
            if row.company__slug is not None
            else None
        ),
        "source": source,
        "story_id": row.story_id,
        "read": flags.read,
        "favourite": flags.favourite,
        "coverage": coverage,
    }


class StoryItemSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    url = serializers.URLField()
    source_name = serializers.SerializerMethodField()
    source_type = serializers.ChoiceField(choices=Source.SourceType.choices)
    published_at = _utc_datetime()

    def get_source_name(self, item: NewsItem) -> str:
        return display.source_label(item)


class StorySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="story.pk")
    title = serializers.CharField(source="story.title")
    item_count = serializers.IntegerField(source="story.item_count")
    first_seen_at = _utc_datetime(source="story.first_seen_at")
    last_seen_at = _utc_datetime(source="story.last_seen_at")
    other_items = StoryItemSerializer(
        many=True,
        help_text=_("The story's other items, oldest first (at most 20)."),
    )


class NewsItemDetailSerializer(_ItemFieldsSerializer):
    """One item with its keywords, mentions and story (an ItemDetail)."""

    author = serializers.CharField(source="item.author")
    language = serializers.CharField(source="item.language")
    keywords = serializers.ListField(child=serializers.CharField(), source="item.keywords")
    mentions = CompanyRefSerializer(
        many=True, source="mentioned", help_text=_("Companies the item mentions.")
    )
    story = serializers.SerializerMethodField()

    @extend_schema_field(StorySerializer(allow_null=True))
    def get_story(self, detail: ItemDetail) -> dict[str, Any] | None:
        story = detail.item.story
        if story is None:
            return None
        data: dict[str, Any] = StorySerializer(
            {"story": story, "other_items": detail.other_sources}
        ).data
        return data


class ItemStateSerializer(serializers.Serializer[Any]):
    read = serializers.BooleanField()
    favourite = serializers.BooleanField()


class FavouritesPageSerializer(serializers.Serializer[Any]):
    next = serializers.URLField(
        allow_null=True, help_text=_("The next page, or null on the last one.")
    )
    results = NewsItemSerializer(many=True)


class FavouritesQuerySerializer(serializers.Serializer[Any]):
    cursor = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=_("From the `next` link of the previous page."),
    )
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)


class TranslationsSerializer(serializers.Serializer[Any]):
    en = serializers.CharField()
    ru = serializers.CharField()


class CategorySerializer(serializers.Serializer[Any]):
    # A plain string: as an enum it would be the items' CategoryEnum under a second name.
    value = serializers.CharField(help_text=_("What the category field of news items holds."))
    label = serializers.CharField(  # type: ignore[assignment]  # a field named like Field.label
        help_text=_("In the language of the request.")
    )
    labels = TranslationsSerializer()
    description = serializers.CharField(help_text=_("In the language of the request."))
    descriptions = TranslationsSerializer()
    emoji = serializers.CharField()


class CategoryCountSerializer(serializers.Serializer[Any]):
    category = serializers.ChoiceField(
        choices=Category.choices, allow_null=True, help_text=_("Null for uncategorised items.")
    )
    count = serializers.IntegerField()


class SourceTypeCountSerializer(serializers.Serializer[Any]):
    source_type = serializers.ChoiceField(choices=Source.SourceType.choices)
    count = serializers.IntegerField()


class CompanyCountSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField(allow_null=True, help_text=_("Null for items of no company."))
    name = serializers.CharField(allow_null=True)
    count = serializers.IntegerField()


class NewsStatsSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    by_category = CategoryCountSerializer(many=True)
    by_source_type = SourceTypeCountSerializer(many=True)
    by_company = CompanyCountSerializer(many=True)
