"""What a fetched response is: a feed, a web page, or neither."""

from __future__ import annotations

from typing import Literal

from news.fetching import FetchResult

ResponseKind = Literal["feed", "html", "other"]

FEED_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/xml",
    "text/xml",
    "application/json",
}
HTML_TYPES = {"text/html", "application/xhtml+xml"}


def response_kind(result: FetchResult) -> ResponseKind:
    # Servers often mislabel feeds (text/plain, text/html), so the body decides
    # when the declared type is missing or generic.
    head = result.content[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    if head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf")) or (
        head.startswith(b"{") and b"jsonfeed.org" in result.content[:2048]
    ):
        return "feed"
    if result.content_type in FEED_TYPES:
        return "feed"
    if result.content_type in HTML_TYPES or b"<body" in head or b"<head" in head:
        return "html"
    return "other"
