"""Turning parsed feeds and extracted articles into storable drafts."""

from __future__ import annotations

from collections.abc import Iterable

from news.parsing import ExtractedArticle, ParsedFeed
from news.storage import ItemDraft


def drafts_from_feed(feed: ParsedFeed) -> list[ItemDraft]:
    return [
        ItemDraft(
            url=entry.url,
            title=entry.title,
            published_at=entry.published_at,
            guid=entry.guid or "",
            author=entry.author or "",
            summary=entry.summary,
            content_html=entry.content_html,
            content_text=entry.content_text,
            needs_full_text=not entry.has_full_content,
        )
        for entry in feed.entries
    ]


def draft_from_article(article: ExtractedArticle) -> ItemDraft:
    return ItemDraft(
        url=article.url,
        title=article.title,
        published_at=article.published_at,
        author=article.author or "",
        summary=article.description or "",
        content_html=article.content_html,
        content_text=article.text,
    )


def drafts_from_articles(
    pages: Iterable[tuple[str, ExtractedArticle | None]],
) -> list[ItemDraft]:
    # Pages that yield no article (a category page, a PDF, an empty shell) are skipped.
    return [
        draft_from_article(article)
        for _link, article in pages
        if article is not None and article.title and article.text
    ]
