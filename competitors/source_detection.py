"""Working out what kind of source a URL is, for `add_source --kind auto`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from competitors.models import Source
from news.detection import response_kind
from news.fetching import FetchError, SafeFetcher, fetcher_from_settings
from news.parsing import FeedParseError, discover_feed_links, parse_feed

_GITHUB_REPO = re.compile(r"^/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)(?:/.*)?$")
_PRESS = re.compile(r"/(press|newsroom|press-releases?)(/|$)")


class SourceDetectionError(ValueError):
    pass


@dataclass(frozen=True)
class DetectedSource:
    url: str
    kind: str
    source_type: str
    name: str = ""


def github_releases_url(url: str) -> str | None:
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in {"github.com", "www.github.com"}:
        return None
    match = _GITHUB_REPO.match(parts.path)
    if not match:
        return None
    owner, repo = match.group(1), match.group(2).removesuffix(".git")
    return f"https://github.com/{owner}/{repo}/releases.atom"


def _guess_type(url: str, *, has_company: bool) -> str:
    if _PRESS.search(urlsplit(url).path.lower()):
        return Source.SourceType.PRESS_RELEASE
    return Source.SourceType.BLOG if has_company else Source.SourceType.NEWS_SITE


def source_detect(
    *, url: str, kind: str = "auto", has_company: bool = True, fetcher: SafeFetcher | None = None
) -> DetectedSource:
    """Decide the source's kind and URL; with kind "auto" the URL is fetched to find out.

    An HTML page that advertises a feed (<link rel="alternate">) becomes a feed source.
    """
    releases = github_releases_url(url)
    if releases and kind in {"auto", Source.Kind.GITHUB_RELEASES}:
        return DetectedSource(releases, Source.Kind.GITHUB_RELEASES, Source.SourceType.GITHUB)
    if kind == Source.Kind.GITHUB_RELEASES:
        raise SourceDetectionError("not a GitHub repository URL (https://github.com/OWNER/REPO)")
    if kind != "auto":
        return DetectedSource(url, kind, _guess_type(url, has_company=has_company))

    fetcher = fetcher or fetcher_from_settings()
    page = fetcher.fetch(url)
    source_type = _guess_type(page.url, has_company=has_company)
    found = response_kind(page)
    if found == "feed":
        feed = parse_feed(page.content, base_url=page.url, content_type=page.content_type)
        return DetectedSource(page.url, Source.Kind.FEED, source_type, feed.title)
    if found != "html":
        raise SourceDetectionError(
            f"neither a feed nor a web page (content type {page.content_type or 'unknown'})"
        )
    for feed_url in discover_feed_links(page.content, base_url=page.url):
        try:
            feed_page = fetcher.fetch(feed_url)
            feed = parse_feed(
                feed_page.content, base_url=feed_page.url, content_type=feed_page.content_type
            )
        except (FeedParseError, FetchError):
            # An advertised feed that does not work is no reason to fail: try the next.
            continue
        return DetectedSource(feed_page.url, Source.Kind.FEED, source_type, feed.title)
    return DetectedSource(page.url, Source.Kind.HTML, source_type)
