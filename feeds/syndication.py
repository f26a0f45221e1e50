"""The personal Atom feed: the newest items of a user's dashboard, for feed readers."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext

from feeds.models import FeedToken
from feeds.selectors import feed_items
from news import display
from news.categories import category_label
from news.models import NewsItem
from news.sanitizing import sanitize_html


class TrackedNewsFeed(Feed[NewsItem, FeedToken]):
    """Called with the token the view has already checked (`token=`)."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> FeedToken:
        token: FeedToken = kwargs["token"]
        return token

    def title(self, obj: FeedToken) -> str:
        return gettext("Tracked news · AI Competitor Insight Hub")

    def subtitle(self, obj: FeedToken) -> str:
        return gettext("The newest news of the companies and categories you follow.")

    def link(self, obj: FeedToken) -> str:
        return reverse("home")

    def feed_guid(self, obj: FeedToken) -> str:
        # Stable while the URL is; a regenerated URL is a new feed to readers.
        host = urlsplit(settings.SITE_URL).hostname or "localhost"
        return f"tag:{host},2025:feeds:{obj.pk}"

    def items(self, obj: FeedToken) -> list[NewsItem]:
        return feed_items(user=obj.user)

    def item_title(self, item: NewsItem) -> str:
        # An Atom title is text: the generator escapes it, and escaping here too (as
        # the framework does for RSS) would show "&amp;" in readers.
        return item.title

    def item_description(self, item: NewsItem) -> str:
        # Summaries are plain text and Atom's summary is HTML: escaped, then through the
        # same sanitiser as every stored fragment.
        return sanitize_html(escape(item.summary)) if item.summary else ""

    def item_link(self, item: NewsItem) -> str:
        return item.url

    def item_guid(self, item: NewsItem) -> str:
        return item.url

    def item_author_name(self, item: NewsItem) -> str:
        if item.company is not None:
            return item.company.name
        return display.source_label(item) or gettext("Unknown source")

    def item_pubdate(self, item: NewsItem) -> datetime | None:
        # An estimated date is only when the item was first seen, not a publication date.
        return None if item.published_at_estimated else item.published_at

    def item_updateddate(self, item: NewsItem) -> datetime:
        return item.published_at

    def item_categories(self, item: NewsItem) -> list[str]:
        return [str(category_label(item.category))] if item.category else []


TRACKED_NEWS_FEED = TrackedNewsFeed()
