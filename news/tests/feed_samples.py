"""Feed and page bodies for ingestion tests, built per test so URLs point at local servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

BASE_DATE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LONG_TEXT = " ".join(
    f"Sentence {n} explains what the lab shipped and why it matters to customers."
    for n in range(40)
)


def rss(base_url: str, count: int, *, teaser: bool = False, ttl: int | None = None) -> bytes:
    items = []
    for n in range(count):
        published = format_datetime(BASE_DATE - timedelta(hours=6 * n))
        body = "Short teaser." if teaser else f"<p>{LONG_TEXT}</p>"
        items.append(
            f"<item><title>Release {n}</title><link>{base_url}/posts/{n}?utm_source=rss</link>"
            f"<guid>{base_url}/posts/{n}</guid><pubDate>{published}</pubDate>"
            f"<description><![CDATA[{body}]]></description></item>"
        )
    ttl_tag = f"<ttl>{ttl}</ttl>" if ttl else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Lab blog</title><link>{base_url}/</link>{ttl_tag}{''.join(items)}"
        "</channel></rss>"
    ).encode()


def article_page(title: str, *, published: str | None = "2026-11-18T10:00:00+00:00") -> bytes:
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    return (
        "<!doctype html><html><head>"
        f'<title>{title}</title><meta property="og:type" content="article">'
        f'<meta property="og:title" content="{title}">{meta}'
        '<meta name="description" content="What the lab announced today.">'
        f"</head><body><article><h1>{title}</h1><p>{LONG_TEXT}</p><p>{LONG_TEXT}</p>"
        "</article></body></html>"
    ).encode()


def listing_page(paths: list[str]) -> bytes:
    cards = "".join(
        f'<article class="post-card"><h2><a href="{path}">Story at {path}</a></h2></article>'
        for path in paths
    )
    return (
        "<!doctype html><html><head><title>News</title></head><body>"
        '<nav><a href="/about">About</a><a href="/careers">Careers</a></nav>'
        f'<main>{cards}</main><footer><a href="/privacy">Privacy</a></footer></body></html>'
    ).encode()
