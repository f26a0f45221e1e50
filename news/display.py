"""How items and companies are named on the pages: shared by the card objects of
news/listing.py and the template filters of news/templatetags/news_tags.py."""

from __future__ import annotations

from urllib.parse import urlsplit

from news.models import NewsItem


def initials(name: str | None) -> str:
    """Up to two letters standing for a company without a logo."""
    words = [word for word in (name or "").replace("-", " ").split() if word[:1].isalnum()]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[1][0]).upper()


def host(url: str | None) -> str:
    try:
        hostname = urlsplit(url or "").hostname or ""
    except ValueError:
        return ""
    return hostname.removeprefix("www.")


def source_label(item: NewsItem) -> str:
    """The name of the item's source, else the host it was published on."""
    if item.source is not None and item.source.name:
        return item.source.name
    return host(item.url) or (host(item.source.url) if item.source is not None else "")
