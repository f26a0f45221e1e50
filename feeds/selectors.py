"""Reads for the personal feed and the OPML export."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext

from accounts.models import User
from competitors.models import Source
from feeds.models import FeedToken
from feeds.opml import OpmlSource, opml_render
from news.dashboard import dashboard_scope
from news.listing import CARD_DEFERRED_FIELDS
from news.models import NewsItem

FEED_SIZE = 50


def feed_token_get(*, user: User) -> FeedToken | None:
    return FeedToken.objects.filter(user=user).first()


def feed_url(*, secret: str) -> str:
    """The public address of the feed a secret opens."""
    return f"{settings.SITE_URL}{reverse('feeds:atom', args=[secret])}"


def feed_items(*, user: User, limit: int = FEED_SIZE) -> list[NewsItem]:
    """The newest `limit` items of the user's dashboard, newest first, with their
    company and source: three queries whatever the limit.

    The same scope as the dashboard (news.dashboard.dashboard_scope): items of a
    tracked company or mentioning one, in the interested categories; every item
    for a user who asked for all news or tracks no company yet.
    """
    return list(
        dashboard_scope(user=user)
        .items.select_related("company", "source")
        .defer(*CARD_DEFERRED_FIELDS)
        .order_by("-published_at", "-id")[:limit]
    )


def sources_opml_entries() -> list[OpmlSource]:
    """Every source, paused and failing ones too, by company name (sources without a
    company last), then name and URL. One query."""
    sources = Source.objects.select_related("company").order_by(
        Lower("company__name").asc(nulls_last=True), Lower("name"), "url"
    )
    return [
        OpmlSource(
            url=source.url,
            kind=source.kind,
            title=source.name,
            source_type=source.source_type,
            css_selector=source.css_selector,
            company=source.company.name if source.company is not None else "",
            company_website=source.company.website if source.company is not None else "",
            html_url=source.company.website if source.company is not None else "",
        )
        for source in sources
    ]


def sources_opml(*, now: datetime) -> bytes:
    """The OPML 2.0 export of every source (see feeds.opml for the format)."""
    return opml_render(
        sources=sources_opml_entries(),
        title=gettext("Sources · AI Competitor Insight Hub"),
        created_at=now,
    )
