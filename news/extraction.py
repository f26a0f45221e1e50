"""Extract the article from a fetched HTML page: text, sanitised HTML and metadata.

trafilatura does the main-content detection. It only ever receives an lxml tree we
parsed ourselves, never a URL or a string it could mistake for one, so it cannot fetch
anything; ``url`` is passed for metadata and link resolution only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import urlsplit

import lxml.html  # type: ignore[import-untyped]
import trafilatura
from lxml import etree
from trafilatura.htmlprocessing import build_html_output
from trafilatura.settings import Document

from news.canonical_urls import canonical_url, is_same_site
from news.json_ld import json_ld_blocks
from news.normalization import (
    clean_text,
    decode_markup,
    html_to_text,
    to_utc_datetime,
)
from news.pages import HtmlElement, parse_html_document
from news.sanitizing import sanitize_html

logger = logging.getLogger(__name__)

# trafilatura has no time limit of its own outside its CLI, and its cost grows with the
# size of the tree; real articles are far below this, so cutting the tail loses nothing.
MAX_EXTRACTION_CHARS = 2_000_000
# Above this, skip trafilatura's second opinion (readability and jusText), which
# roughly doubles the time on big pages while rarely changing the result for them.
FAST_MODE_ABOVE_CHARS = 500_000
ARTICLE_MIN_TEXT_CHARS = 400
# More <article> elements than this on one page means a list of teasers.
LISTING_MIN_ARTICLE_ELEMENTS = 3
TITLE_MAX_CHARS = 300
AUTHOR_MAX_CHARS = 200
DESCRIPTION_MAX_CHARS = 1000

_ARTICLE_SCHEMA_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "blogposting",
        "techarticle",
        "scholarlyarticle",
        "report",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "liveblogposting",
    }
)
# Meta tags that state a publication time, most reliable first.
_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "publish-date",
    "pubdate",
    "dc.date.issued",
    "dcterms.issued",
    "date",
)
_DATE_PARAMETERS = {
    # Only dates the page states in its markup: "extensive" search guesses from free text
    # and would invent dates out of copyright lines and event announcements.
    "extensive_search": False,
    "original_date": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}
_JSON_LD_MAX_CHARS = 500_000


@dataclass(frozen=True)
class ExtractedArticle:
    title: str
    url: str
    published_at: datetime | None
    author: str
    description: str
    text: str
    content_html: str
    is_article: bool


@dataclass(frozen=True)
class _PageSignals:
    """What the page says about itself in its markup, independent of trafilatura."""

    og_type: str
    schema_types: frozenset[str]
    schema_published: str | None
    meta_published: str | None
    canonical_href: str | None
    article_elements: int

    @property
    def declares_article(self) -> bool:
        return self.og_type == "article" or bool(self.schema_types & _ARTICLE_SCHEMA_TYPES)

    @property
    def looks_like_listing(self) -> bool:
        return self.article_elements >= LISTING_MIN_ARTICLE_ELEMENTS


def extract_article(html: str | bytes, *, url: str) -> ExtractedArticle | None:
    """Main text, sanitised HTML and metadata of the page fetched from ``url``.

    Returns ``None`` when the page has no extractable main content. ``is_article`` tells
    a real article from a listing or home page that still yielded some text.
    ``published_at`` comes only from dates the markup states; it is never guessed.
    Raises ``ValueError`` if ``url`` is not an http(s) URL.
    """
    page_url = canonical_url(url)
    markup = decode_markup(html)[:MAX_EXTRACTION_CHARS]
    document = parse_html_document(markup)
    if document is None:
        return None
    signals = _read_signals(document)
    extracted = _run_trafilatura(document, page_url, fast=len(markup) > FAST_MODE_ABOVE_CHARS)
    if extracted is None:
        return None
    final_url = _preferred_url(signals.canonical_href or extracted.url, page_url)
    title = clean_text(extracted.title or _document_title(document), max_length=TITLE_MAX_CHARS)
    content_html = sanitize_html(
        _without_title_heading(build_html_output(extracted), title), base_url=final_url
    )
    text = html_to_text(content_html)
    if not text:
        return None
    published_at = next(
        (
            parsed
            for value in (signals.meta_published, signals.schema_published, extracted.date)
            if (parsed := to_utc_datetime(value))
        ),
        None,
    )
    return ExtractedArticle(
        title=title,
        url=final_url,
        published_at=published_at,
        author=clean_text(extracted.author or "", max_length=AUTHOR_MAX_CHARS),
        description=clean_text(extracted.description or "", max_length=DESCRIPTION_MAX_CHARS),
        text=text,
        content_html=content_html,
        is_article=_is_article(signals, page_url, len(text)),
    )


def looks_like_article(html: str | bytes, *, url: str) -> bool:
    """A cheap pre-check, without trafilatura: is this page an article worth extracting?

    True for ``og:type=article``, a JSON-LD Article/NewsArticle/BlogPosting, or a page
    with one or two ``<article>`` elements holding substantial text. Home pages and
    pages listing several ``<article>`` teasers are not articles.
    """
    document = parse_html_document(html, max_chars=MAX_EXTRACTION_CHARS)
    if document is None:
        return False
    signals = _read_signals(document)
    if signals.declares_article:
        return True
    if signals.looks_like_listing or _is_home_page(url):
        return False
    return any(
        len(" ".join(element.text_content().split())) >= ARTICLE_MIN_TEXT_CHARS
        for element in document.iter("article")
    )


def _is_article(signals: _PageSignals, page_url: str, text_length: int) -> bool:
    if signals.declares_article:
        return True
    if signals.looks_like_listing or _is_home_page(page_url):
        return False
    return text_length >= ARTICLE_MIN_TEXT_CHARS


def _is_home_page(url: str) -> bool:
    return urlsplit(url).path.strip("/") == ""


def _run_trafilatura(document: HtmlElement, page_url: str, *, fast: bool) -> Document | None:
    try:
        extracted = trafilatura.bare_extraction(
            document,
            url=page_url,
            fast=fast,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=True,
            include_links=True,
            include_formatting=True,
            date_extraction_params=dict(_DATE_PARAMETERS),
        )
    except Exception:
        # A page that breaks the extractor is a page without extractable content; the
        # traceback is still worth seeing once.
        logger.warning("trafilatura failed on %s", page_url, exc_info=True)
        return None
    if isinstance(extracted, Document) and extracted.body is not None:
        return extracted
    return None


def _preferred_url(candidate: str | None, page_url: str) -> str:
    # Trust the page's canonical/og:url only on the same site, and never when it points
    # at the home page from a deeper page (a common CMS misconfiguration that would
    # collapse every article onto one URL).
    if not candidate:
        return page_url
    try:
        preferred = canonical_url(candidate, base_url=page_url)
    except ValueError:
        return page_url
    if not is_same_site(preferred, page_url):
        return page_url
    if _is_home_page(preferred) and not _is_home_page(page_url):
        return page_url
    return preferred


def _without_title_heading(html_output: str, title: str) -> str:
    # trafilatura keeps the page's <h1>; the title is stored and shown separately.
    try:
        root = lxml.html.fromstring(html_output)
    except (etree.ParserError, ValueError):
        return html_output
    body = root.find("body") if root.tag == "html" else root
    if body is None:
        return html_output
    first_heading = next(body.iter("h1"), None)
    if first_heading is not None and _same_text(first_heading.text_content(), title):
        first_heading.drop_tree()
    leading_text = escape(body.text) if body.text else ""
    return leading_text + "".join(lxml.html.tostring(child, encoding="unicode") for child in body)


def _same_text(first: str, second: str) -> bool:
    return clean_text(first).casefold() == clean_text(second).casefold()


def _document_title(document: HtmlElement) -> str:
    title = document.find(".//title")
    return str(title.text_content()) if title is not None else ""


# ---------------------------------------------------------------- page signals


def _read_signals(document: HtmlElement) -> _PageSignals:
    meta = _meta_values(document)
    schema_types, schema_published = _json_ld_facts(document)
    return _PageSignals(
        og_type=meta.get("og:type", "").strip().lower(),
        schema_types=schema_types,
        schema_published=schema_published,
        meta_published=next((meta[name] for name in _PUBLISHED_META if meta.get(name)), None),
        canonical_href=_canonical_href(document),
        article_elements=sum(1 for _ in document.iter("article")),
    )


def _meta_values(document: HtmlElement) -> dict[str, str]:
    values: dict[str, str] = {}
    for element in document.iter("meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop")
        content = element.get("content")
        if key and content:
            values.setdefault(str(key).strip().lower(), str(content))
    for element in document.iter("time"):
        if element.get("itemprop", "").lower() == "datepublished" and element.get("datetime"):
            values.setdefault("datepublished", str(element.get("datetime")))
    return values


def _canonical_href(document: HtmlElement) -> str | None:
    for link in document.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return str(link.get("href"))
    return None


def _json_ld_facts(document: HtmlElement) -> tuple[frozenset[str], str | None]:
    types: set[str] = set()
    published: str | None = None
    for data in json_ld_blocks(document, max_chars=_JSON_LD_MAX_CHARS):
        for node in _json_ld_nodes(data):
            node_types = _schema_types(node.get("@type"))
            types |= node_types
            date = node.get("datePublished")
            if published is None and node_types & _ARTICLE_SCHEMA_TYPES and isinstance(date, str):
                published = date
    return frozenset(types), published


def _json_ld_nodes(data: object) -> Iterator[dict[str, object]]:
    # Only the nodes that describe the page itself: top level, "@graph" members and a
    # WebPage's "mainEntity". Deeper nodes are parts of it (a listing's ItemList holds
    # many BlogPostings without the page being one).
    roots = data if isinstance(data, list) else [data]
    for root in roots:
        if not isinstance(root, dict):
            continue
        graph = root.get("@graph")
        members = graph if isinstance(graph, list) else [root]
        for node in members:
            if not isinstance(node, dict):
                continue
            yield node
            if isinstance(main_entity := node.get("mainEntity"), dict):
                yield main_entity


def _schema_types(value: object) -> set[str]:
    raw = value if isinstance(value, list) else [value]
    # "https://schema.org/NewsArticle" and "NewsArticle" name the same type.
    return {item.rsplit("/", 1)[-1].lower() for item in raw if isinstance(item, str)}
