"""Add a competitor by URL: read its homepage, find its feeds, news pages and GitHub
organisation, preview the result, and create the company with its sources.

``competitor_discover`` only reads (the network through the safe fetcher, the
database to spot a company that already exists); ``competitor_create_from_preview``
only writes. Between the two the preview travels as ``to_dict()`` JSON, so the web
app, the API and the admin can show it and ask for confirmation first.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from itertools import zip_longest
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from competitors.discovery_page import (
    anchor_texts,
    github_release_feeds,
    guess_segment,
    page_title,
    read_homepage,
    source_type_for,
)
from competitors.models import Company, Source
from competitors.selectors import company_find, company_find_by_website
from competitors.services import company_upsert, source_upsert
from news.canonical_urls import canonical_url
from news.detection import response_kind
from news.fetching import FetchError, FetchResult, SafeFetcher, fetcher_from_settings
from news.normalization import clean_text
from news.parsing import (
    FeedParseError,
    ParsedEntry,
    discover_feed_links,
    extract_article,
    extract_article_links,
    parse_feed,
)

logger = logging.getLogger(__name__)

MAX_PROBES = 12  # candidate feed and page URLs fetched, the homepage not counted
MAX_FEEDS = 3
MAX_PAGES = 3
MAX_GITHUB_REPOS = 3
SAMPLE_SIZE = 5
# Probing stops once this much time has passed; a fetch under way still runs to its own
# deadline, so the worst case is this plus one fetcher timeout.
TIME_BUDGET_SECONDS = 45.0
COMMON_FEED_PATHS = (
    "/feed", "/rss.xml", "/atom.xml", "/blog/rss.xml",
    "/news/rss", "/feed.xml", "/index.xml", "/blog/feed",
)  # fmt: skip
COMMON_PAGE_PATHS = ("/blog", "/news", "/newsroom", "/press", "/insights", "/updates")

Categorize = Callable[[str, str, str], str | None]  # (title, summary, source_type)

_UNDATED = datetime.min.replace(tzinfo=UTC)


class DiscoveryError(Exception):
    """Discovery cannot start: the address is unusable or the homepage cannot be read.
    str() is written for the person who typed the address."""


@dataclass(frozen=True)
class DiscoveredSource:
    url: str
    kind: str  # Source.Kind
    source_type: str  # Source.SourceType
    name: str = ""


@dataclass(frozen=True)
class SampleItem:
    title: str
    url: str
    published_at: datetime | None
    source_url: str
    source_type: str
    category: str | None = None


@dataclass
class DiscoveryPreview:
    name: str
    website: str  # the homepage's origin after redirects, "https://acme.com"
    description: str = ""
    logo_url: str = ""
    twitter_handle: str = ""
    github_org: str = ""
    linkedin_url: str = ""
    instagram_handle: str = ""
    segment: str = Company.Segment.OTHER
    feeds: list[DiscoveredSource] = field(default_factory=list)
    pages: list[DiscoveredSource] = field(default_factory=list)
    # Releases feeds of the organisation's repositories linked from the homepage; listing
    # the organisation's other repositories would need the GitHub API.
    github_releases: list[DiscoveredSource] = field(default_factory=list)
    sample: list[SampleItem] = field(default_factory=list)
    existing_company_id: int | None = None

    @property
    def sources(self) -> list[DiscoveredSource]:
        return [*self.feeds, *self.pages, *self.github_releases]

    @property
    def segment_label(self) -> str:
        return str(dict(Company.Segment.choices).get(self.segment, self.segment))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for item in data["sample"]:
            item["published_at"] = item["published_at"] and item["published_at"].isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DiscoveryPreview:
        """The inverse of to_dict(). Raises KeyError, TypeError or ValueError for
        anything else; callers must only pass data they produced or verified."""
        values = dict(data)
        for key in ("feeds", "pages", "github_releases"):
            values[key] = [DiscoveredSource(**source) for source in values.get(key, [])]
        values["sample"] = [
            SampleItem(**item | {"published_at": _from_iso(item["published_at"])})
            for item in values.get("sample", [])
        ]
        return cls(**values)


def _from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# ---------------------------------------------------------------- discovery


def homepage_url(raw: str) -> str:
    """The root of the site a typed address belongs to; "acme.com/blog" -> "https://acme.com/"."""
    text = raw.strip()
    if text and "://" not in text:
        text = f"https://{text}"
    try:
        parts = urlsplit(canonical_url(text))
    except ValueError as error:
        raise DiscoveryError(f"{raw.strip()!r} is not a website address ({error})") from error
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


def competitor_discover(
    *, url: str, fetcher: SafeFetcher | None = None, categorize: Categorize | None = None
) -> DiscoveryPreview:
    """Everything the site says about the company, without writing anything.

    Fetches the homepage, then at most MAX_PROBES candidates (advertised feeds, the
    site's blog/news/press links, then common paths), stopping early once a feed and
    MAX_PAGES pages are known or TIME_BUDGET_SECONDS has passed; candidates that fail
    or are refused by the fetcher's network policy are skipped. The sample holds the
    newest SAMPLE_SIZE items, each categorised by ``categorize`` when given.
    Raises DiscoveryError when the address is unusable or the homepage cannot be read.
    """
    start = homepage_url(url)
    fetcher = fetcher or fetcher_from_settings()
    try:
        homepage = fetcher.fetch(start, accept="text/html,application/xhtml+xml")
    except FetchError as error:
        raise DiscoveryError(f"Could not fetch {start}: {error}") from error
    if response_kind(homepage) != "html":
        kind = homepage.content_type or "unknown content type"
        raise DiscoveryError(f"{start} did not return a web page ({kind})")
    website = homepage_url(homepage.url).removesuffix("/")
    facts = read_homepage(homepage.content, url=homepage.url)
    prober = _Prober(fetcher, homepage, deadline=time.monotonic() + TIME_BUDGET_SECONDS)
    prober.run(feeds=facts.feed_links, pages=facts.section_links, site=website)
    existing = company_find_by_website(website=website) or company_find(name_or_slug=facts.name)
    preview = DiscoveryPreview(
        name=facts.name,
        website=website,
        description=facts.description,
        logo_url=facts.logo_url,
        twitter_handle=facts.twitter_handle,
        github_org=facts.github_org,
        linkedin_url=facts.linkedin_url,
        instagram_handle=facts.instagram_handle,
        segment=guess_segment(f"{facts.name} {facts.description}"),
        feeds=[found.source for found in prober.feeds],
        pages=prober.uncovered_pages(),
        github_releases=[
            DiscoveredSource(url, Source.Kind.GITHUB_RELEASES, Source.SourceType.GITHUB, name)
            for url, name in github_release_feeds(facts.github_repos[:MAX_GITHUB_REPOS])
        ],
        existing_company_id=existing.pk if existing else None,
    )
    preview.sample = _sample(prober, fetcher, categorize)
    return preview


@dataclass
class _FoundFeed:
    source: DiscoveredSource
    entries: list[ParsedEntry]


@dataclass
class _FoundPage:
    source: DiscoveredSource
    result: FetchResult
    links: list[str]
    advertised_feeds: list[str]


class _Prober:
    """Fetches candidate URLs in priority order within the probe and time budgets."""

    def __init__(self, fetcher: SafeFetcher, homepage: FetchResult, *, deadline: float) -> None:
        self.fetcher = fetcher
        self.homepage = homepage
        self.deadline = deadline
        self.probes = 0
        self.feeds: list[_FoundFeed] = []
        self.pages: list[_FoundPage] = []
        self._tried: set[str] = {canonical_url(homepage.url)}
        # (url, expected kind, found on the page: advertised or linked rather than guessed)
        self._queue: deque[tuple[str, str, bool]] = deque()

    def run(self, *, feeds: list[str], pages: list[str], site: str) -> None:
        self._queue.extend((url, "feed", True) for url in feeds[:MAX_FEEDS])
        self._queue.extend((url, "page", True) for url in pages[:MAX_PAGES])
        # Interleaved so a site with neither still gets both kinds of guesses tried.
        for feed_path, page_path in zip_longest(COMMON_FEED_PATHS, COMMON_PAGE_PATHS):
            for path, expected in ((feed_path, "feed"), (page_path, "page")):
                if path:
                    self._queue.append((f"{site}{path}", expected, False))
        while self._queue and self.probes < MAX_PROBES and time.monotonic() < self.deadline:
            url, expected, found_on_page = self._queue.popleft()
            if url in self._tried or self._enough(expected, found_on_page):
                continue
            self._tried.add(url)
            self.probes += 1
            self._probe(url, expected)

    def _enough(self, expected: str, found_on_page: bool) -> bool:
        if expected == "feed":
            # Guessed paths are mostly aliases of one feed: one working feed is enough.
            return len(self.feeds) >= (MAX_FEEDS if found_on_page else 1)
        return len(self.pages) >= MAX_PAGES

    def _probe(self, url: str, expected: str) -> None:
        try:
            result = self.fetcher.fetch(url)
        except FetchError as error:
            logger.info("discovery: %s skipped: %s", url, error)
            return
        final_url = canonical_url(result.url)
        self._tried.add(final_url)
        kind = response_kind(result)
        if kind == "feed":
            self._add_feed(result, final_url)
        elif kind == "html" and expected == "page":
            self._add_page(result, final_url)

    def _add_feed(self, result: FetchResult, url: str) -> None:
        try:
            feed = parse_feed(result.content, base_url=url, content_type=result.content_type)
        except FeedParseError as error:
            logger.info("discovery: %s is not a usable feed: %s", url, error)
            return
        entry_urls = {entry.url for entry in feed.entries}
        # Sites often advertise the same posts twice, as RSS and as Atom.
        if (
            len(self.feeds) >= MAX_FEEDS
            or not entry_urls
            or any(
                known.source.url == url or entry_urls <= {entry.url for entry in known.entries}
                for known in self.feeds
            )
        ):
            return
        name = clean_text(feed.title, max_length=200)
        source = DiscoveredSource(url, Source.Kind.FEED, source_type_for(url), name)
        self.feeds.append(_FoundFeed(source, feed.entries))

    def _add_page(self, result: FetchResult, url: str) -> None:
        # Sites that answer every path with the homepage would otherwise "have" every page.
        if result.content == self.homepage.content or any(
            known.source.url == url for known in self.pages
        ):
            return
        links = extract_article_links(result.content, base_url=url)
        if not links:
            return
        name = clean_text(page_title(result.content), max_length=200)
        source = DiscoveredSource(url, Source.Kind.HTML, source_type_for(url), name)
        advertised = discover_feed_links(result.content, base_url=url)
        self.pages.append(_FoundPage(source, result, links, advertised))
        # A listing page's own feed is the better source for it: try that next.
        for feed_url in reversed(advertised[:MAX_FEEDS]):
            self._queue.appendleft((feed_url, "feed", True))

    def uncovered_pages(self) -> list[DiscoveredSource]:
        """Pages whose own advertised feed was not found; the others the feed covers."""
        feed_urls = {found.source.url for found in self.feeds}
        return [
            page.source
            for page in self.pages
            if not feed_urls & {canonical_url(url) for url in page.advertised_feeds}
        ]


# ---------------------------------------------------------------- sample


def _sample(
    prober: _Prober, fetcher: SafeFetcher, categorize: Categorize | None
) -> list[SampleItem]:
    """The newest items of the found feeds; with no feed, the first articles of the
    first listing page (each fetched for its date, within the time budget)."""
    candidates = [
        (_sample_item(entry.title, entry.url, entry.published_at, found.source), entry.summary)
        for found in prober.feeds
        for entry in found.entries
    ]
    if candidates:
        # Undated entries go last; the sort is stable, so feed order breaks ties.
        candidates.sort(key=lambda pair: pair[0].published_at or _UNDATED, reverse=True)
    elif prober.pages:
        candidates = _sample_from_page(prober.pages[0], fetcher, prober.deadline)
    sample: list[SampleItem] = []
    for item, summary in candidates:
        if len(sample) >= SAMPLE_SIZE:
            break
        if all(known.url != item.url for known in sample):  # two feeds may share posts
            category = categorize(item.title, summary, item.source_type) if categorize else None
            sample.append(replace(item, category=category))
    return sample


def _sample_item(
    title: str, url: str, published_at: datetime | None, source: DiscoveredSource
) -> SampleItem:
    return SampleItem(title or url, url, published_at, source.url, source.source_type)


def _sample_from_page(
    page: _FoundPage, fetcher: SafeFetcher, deadline: float
) -> list[tuple[SampleItem, str]]:
    titles = anchor_texts(page.result.content, base_url=page.source.url)
    found = []
    for link in page.links[:SAMPLE_SIZE]:
        title, published_at, summary = titles.get(link, link), None, ""
        if time.monotonic() < deadline:
            try:
                article = extract_article(fetcher.fetch(link).content, url=link)
            except (FetchError, ValueError) as error:
                logger.info("discovery: sample article %s skipped: %s", link, error)
                article = None
            if article is not None:
                title, published_at = article.title or title, article.published_at
                summary = article.description
        found.append((_sample_item(title, link, published_at, page.source), summary))
    return found


# ---------------------------------------------------------------- creation


def _company_values(preview: DiscoveryPreview) -> dict[str, Any]:
    values: dict[str, Any] = {
        "website": preview.website,
        "description": preview.description,
        "logo_url": preview.logo_url,
        "segment": preview.segment if preview.segment in Company.Segment.values else "",
        "twitter_handle": preview.twitter_handle[:64],
        "github_org": preview.github_org[:100],
        "linkedin_url": preview.linkedin_url,
        "instagram_handle": preview.instagram_handle[:64],
    }
    for key in ("website", "logo_url", "linkedin_url"):
        try:
            URLValidator(schemes=["http", "https"])(values[key])
        except ValidationError:
            values[key] = ""  # an odd optional URL is no reason to refuse the company
    return {key: value for key, value in values.items() if value}


class NameTakenError(DiscoveryError):
    """Another website's company already has this name."""


@transaction.atomic
def competitor_create_from_preview(
    *, preview: DiscoveryPreview, merge_by_name: bool = True
) -> tuple[Company, list[Source]]:
    """Create the previewed company and its sources; returns the company and the
    sources this call created.

    Idempotent: a company with the same website (or, failing that and with
    ``merge_by_name``, name) is merged into (only its empty fields are filled;
    operators' edits stay) and sources are upserted by their unique URL, so a second
    run creates nothing. The company row is locked (SELECT … FOR UPDATE) for the rest
    of the transaction.

    Users pass ``merge_by_name=False``: a page's title is whatever its owner wrote,
    and a site calling itself "OpenAI" must not add its feed to OpenAI. A name that
    another website's company already has raises NameTakenError instead.
    """
    existing = company_find_by_website(website=preview.website)
    if existing is None and company_find(name_or_slug=preview.name) is not None:
        if not merge_by_name:
            raise NameTakenError(
                f"A company called {preview.name} is already listed with another website."
            )
        existing = company_find(name_or_slug=preview.name)
    if existing is not None:
        name = existing.name
    else:
        name = clean_text(preview.name, max_length=120) or urlsplit(preview.website).netloc
    company, _ = company_upsert(name=name, values=_company_values(preview), overwrite=False)
    created = []
    for found in preview.sources:
        if len(found.url) > 1000:
            continue
        source, was_created = source_upsert(
            url=found.url,
            company=company,
            kind=found.kind,
            source_type=found.source_type,
            name=found.name[:200],
        )
        if was_created:
            created.append(source)
    return company, created
