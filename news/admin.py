from __future__ import annotations

from django.contrib import admin

from news.models import NewsItem, Story


@admin.register(NewsItem)
class NewsItemAdmin(admin.ModelAdmin[NewsItem]):
    list_display = (
        "title",
        "company",
        "source_type",
        "category",
        "priority_score",
        "published_at",
        "published_at_estimated",
    )
    list_filter = ("company", "source_type", "category", "published_at_estimated", "published_at")
    search_fields = ("title", "summary", "url")
    date_hierarchy = "published_at"
    list_select_related = ("company", "source")
    raw_id_fields = ("source", "story")
    autocomplete_fields = ("company",)
    filter_horizontal = ("mentioned_companies",)
    readonly_fields = ("fetched_at",)


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin[Story]):
    list_display = ("title", "item_count", "first_seen_at", "last_seen_at")
    search_fields = ("title",)
    date_hierarchy = "first_seen_at"
