"""The parsing API in one place: feeds, listing pages and articles.

Ingestion code imports from here. The work lives in modules named for each job:
``news.feeds`` (RSS, Atom, JSON Feed), ``news.pages`` (links on listing pages, feed
discovery) and ``news.extraction`` (article text and metadata); ``news.normalization``
holds the URL, HTML and text helpers they share. All of it is pure: bytes or text in,
dataclasses out, no network and no ORM.
"""

from news.extraction import ExtractedArticle, extract_article, looks_like_article
from news.feeds import (
    DEFAULT_MAX_ENTRIES,
    FeedParseError,
    ParsedEntry,
    ParsedFeed,
    parse_feed,
)
from news.pages import compile_css_selector, discover_feed_links, extract_article_links

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "ExtractedArticle",
    "FeedParseError",
    "ParsedEntry",
    "ParsedFeed",
    "compile_css_selector",
    "discover_feed_links",
    "extract_article",
    "extract_article_links",
    "looks_like_article",
    "parse_feed",
]
