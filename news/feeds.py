"""Parse RSS 0.9x/1.0/2.0, Atom and JSON Feed documents into plain dataclasses.

No network and no ORM: the fetcher hands over the response bytes, storage takes the
result. ``FeedParseError`` is permanent: the same bytes always fail the same way, so a
caller should record it against the source rather than retry.

XML goes through feedparser with defusedxml's expat reader as the SAX driver, plus a
check of the document prolog for entity declarations. The prolog check is needed because
feedparser strips DOCTYPEs and unsafe-looking entity declarations itself and then falls
back to its lenient parser when the strict one trips over the now-undefined entities, so
a hostile document would otherwise be "parsed" rather than rejected.
"""

from __future__ import annotations

import html
import io
import json
import re
import xml.sax
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import defusedxml  # type: ignore[import-untyped]
import feedparser
import feedparser.api

from news.canonical_urls import canonical_url
from news.normalization import (
    clean_text,
    html_to_text,
    to_utc_datetime,
)
from news.sanitizing import sanitize_html

DEFAULT_MAX_ENTRIES = 500
MAX_FEED_BYTES = 10 * 1024 * 1024
FULL_CONTENT_MIN_CHARS = 500
SUMMARY_MAX_CHARS = 1000
TITLE_MAX_CHARS = 300
AUTHOR_MAX_CHARS = 200
# <ttl> above a week is a typo or a hint we should not honour; ignoring it is safer.
MAX_TTL_MINUTES = 7 * 24 * 60

_HARDENED_SAX_DRIVER = "defusedxml.expatreader"


def _prefer_hardened_xml_parser() -> None:
    # feedparser passes this module-level list to xml.sax.make_parser on every parse, so
    # putting defusedxml first here hardens every call, ours or anyone else's. Re-imports
    # and reloads leave exactly one entry at the front.
    preferred: list[str] = feedparser.api.PREFERRED_XML_PARSERS
    while _HARDENED_SAX_DRIVER in preferred:
        preferred.remove(_HARDENED_SAX_DRIVER)
    preferred.insert(0, _HARDENED_SAX_DRIVER)


_prefer_hardened_xml_parser()


class FeedParseError(Exception):
    """The response is not a usable feed. Permanent for these bytes; do not retry."""


@dataclass(frozen=True)
class ParsedEntry:
    title: str
    url: str
    guid: str | None
    published_at: datetime | None
    author: str
    summary: str
    content_html: str
    has_full_content: bool
    content_text: str = ""


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    ttl_minutes: int | None
    entries: list[ParsedEntry]


def parse_feed(
    content: bytes,
    *,
    base_url: str,
    content_type: str | None = None,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> ParsedFeed:
    """Parse a fetched feed. ``base_url`` is the URL it was fetched from (after redirects).

    Entries without an http(s) link are skipped, and duplicates (same URL or same guid)
    keep their first occurrence, so storage can upsert the batch in one statement.
    A feed with more than ``max_entries`` entries is cut down to the newest
    ``max_entries`` (by date when any entry has one, else the first ones in the
    document) instead of failing: archive-style feeds are legitimate, and the newest
    items are the ones a news digest needs. An XML feed whose bytes contradict its
    declared encoding is decoded leniently (feedparser falls back to Windows-1252)
    rather than refused; JSON Feeds are UTF-8 with undecodable bytes replaced.
    """
    if len(content) > MAX_FEED_BYTES:
        raise FeedParseError(
            f"Feed is too large ({len(content):,} bytes; the limit is {MAX_FEED_BYTES:,})"
        )
    head = _document_head(content)
    if not head:
        raise FeedParseError("Not a feed: the response body is empty")
    if head.startswith(b"{") or (_is_json_media_type(content_type) and head[:1] != b"<"):
        feed_title, feed_link, ttl, raw_entries = _read_json_feed(content)
    else:
        feed_title, feed_link, ttl, raw_entries = _read_xml_feed(
            content, head, base_url, content_type
        )
    entries = _finish_entries(raw_entries, base_url=base_url, max_entries=max_entries)
    title = clean_text(feed_title, max_length=TITLE_MAX_CHARS)
    if not entries and not title:
        raise FeedParseError("Malformed feed: no entries and no feed title")
    return ParsedFeed(
        title=title,
        link=_optional_url(feed_link, base_url),
        ttl_minutes=ttl,
        entries=entries,
    )


# ---------------------------------------------------------------- format-neutral entries


@dataclass
class _RawEntry:
    """Fields as the document states them, before cleaning."""

    title: str
    links: list[str]
    guid: str | None
    dates: list[Any]
    author: str
    summary_html: str
    content_html: str | None


@dataclass
class _LinkedEntry:
    raw: _RawEntry
    url: str
    published_at: datetime | None


def _finish_entries(
    raw_entries: Iterable[_RawEntry], *, base_url: str, max_entries: int
) -> list[ParsedEntry]:
    linked = list(_deduplicated(_with_links_and_dates(raw_entries, base_url)))
    return [_build_entry(item) for item in _newest(linked, max_entries)]


def _with_links_and_dates(
    raw_entries: Iterable[_RawEntry], base_url: str
) -> Iterator[_LinkedEntry]:
    for raw in raw_entries:
        url = _first_usable_url(raw.links, base_url)
        if url is None:
            continue
        published_at = next(
            (parsed for value in raw.dates if (parsed := to_utc_datetime(value))), None
        )
        yield _LinkedEntry(raw=raw, url=url, published_at=published_at)


def _deduplicated(entries: Iterable[_LinkedEntry]) -> Iterator[_LinkedEntry]:
    seen_urls: set[str] = set()
    seen_guids: set[str] = set()
    for entry in entries:
        guid = entry.raw.guid
        if entry.url in seen_urls or (guid is not None and guid in seen_guids):
            continue
        seen_urls.add(entry.url)
        if guid is not None:
            seen_guids.add(guid)
        yield entry


_UNDATED = datetime.min.replace(tzinfo=UTC)


def _newest(entries: list[_LinkedEntry], limit: int) -> list[_LinkedEntry]:
    if len(entries) <= limit:
        return entries
    if not any(entry.published_at for entry in entries):
        return entries[:limit]
    # Undated entries rank after dated ones; the survivors keep document order.
    ranked = sorted(
        range(len(entries)),
        key=lambda index: entries[index].published_at or _UNDATED,
        reverse=True,
    )
    return [entries[index] for index in sorted(ranked[:limit])]


def _build_entry(item: _LinkedEntry) -> ParsedEntry:
    raw = item.raw
    summary_text = html_to_text(raw.summary_html) if raw.summary_html else ""
    body_html = raw.content_html
    # Many RSS 2.0 feeds ship the whole article in <description> and nothing else.
    if body_html is None and len(summary_text) >= FULL_CONTENT_MIN_CHARS:
        body_html = raw.summary_html
    content_html = sanitize_html(body_html, base_url=item.url) if body_html else ""
    content_text = html_to_text(content_html) if content_html else ""
    summary = clean_text(
        _without_teaser_trailer(summary_text or content_text), max_length=SUMMARY_MAX_CHARS
    )
    title = clean_text(raw.title, max_length=TITLE_MAX_CHARS) or clean_text(summary, max_length=120)
    return ParsedEntry(
        title=title,
        url=item.url,
        guid=raw.guid,
        published_at=item.published_at,
        author=clean_text(raw.author, max_length=AUTHOR_MAX_CHARS),
        summary=summary,
        content_html=content_html,
        has_full_content=len(content_text) >= FULL_CONTENT_MIN_CHARS,
        content_text=content_text,
    )


# "Continue reading", "Read more »" and WordPress's "The post X appeared first on Y."
# are navigation, not summary. Matched only at a line or sentence start, so "we will
# read more papers." survives.
_TEASER_TRAILER = re.compile(
    r"(?:^|(?<=[.!?\u2026\n]))\s*"
    r"(?:(?:continue reading|read more|read the full (?:post|article|story))\b[^\n]{0,80}"
    r"|The post [^\n]{1,300} appeared first on [^\n]{1,200})$",
    re.IGNORECASE,
)


def _without_teaser_trailer(text: str) -> str:
    return _TEASER_TRAILER.sub("", text).strip()


def _first_usable_url(candidates: Iterable[str], base_url: str) -> str | None:
    for candidate in candidates:
        url = _optional_url(candidate, base_url)
        if url is not None:
            return url
    return None


def _optional_url(value: object, base_url: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return canonical_url(value, base_url=base_url)
    except ValueError:
        return None


def _optional_guid(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    guid = str(value).strip()
    return guid or None


# ---------------------------------------------------------------- XML (RSS, Atom)

# Everything before the first element: XML declaration, comments, processing instructions
# and the DOCTYPE with its internal subset.
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_LEADING_NOISE = re.compile(rb"^(?:\s+|<\?.*?\?>|<!--.*?-->)+", re.DOTALL)
_HTML_START = (b"<!doctype html", b"<html")
_DOCTYPE = re.compile(rb"<!DOCTYPE\s[^\[>]*(?:\[.*?\])?\s*>", re.DOTALL)
_BARE_AMPERSAND = re.compile(rb"&(?!#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9._-]*;)")
_SNIFF_BYTES = 4096


def _document_head(content: bytes) -> bytes:
    # NULs vanish so UTF-16/32 documents sniff like ASCII ones; a UTF-8 BOM is not content.
    head = content[:_SNIFF_BYTES].replace(b"\x00", b"")
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        head = head.removeprefix(bom)
    return head.strip()


def _read_xml_feed(
    content: bytes, head: bytes, base_url: str, content_type: str | None
) -> tuple[str, object, int | None, list[_RawEntry]]:
    if _LEADING_NOISE.sub(b"", head).lower().startswith(_HTML_START):
        raise FeedParseError("Not a feed: the response is an HTML page")
    result = _run_feedparser(_prepared_xml(content), head, base_url, content_type)
    version = result.get("version") or ""
    raw_entries = result.get("entries") or []
    feed = result.get("feed") or {}
    if not version and not raw_entries:
        problem = result.get("bozo_exception")
        if not head.startswith(b"<"):
            raise FeedParseError("Not a feed: the response is not RSS, Atom or JSON Feed")
        if isinstance(problem, xml.sax.SAXParseException):
            raise FeedParseError(f"Malformed feed: invalid XML ({problem})")
        raise FeedParseError("Not a feed: the XML document is not RSS or Atom")
    return (
        _stored_field(feed, "title") or "",
        _stored_field(feed, "link"),
        _ttl_minutes(_stored_field(feed, "ttl")),
        [_raw_xml_entry(entry) for entry in raw_entries],
    )


_XML_ENCODING_DECLARATION = re.compile(rb"^<\?xml[^>]*encoding\s*=")
_CHARSET_PARAMETER = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)


def _response_headers(head: bytes, base_url: str, content_type: str | None) -> dict[str, str]:
    headers = {"content-location": base_url}
    # The HTTP charset is only a hint for documents that do not state their own encoding:
    # servers label UTF-8 feeds "ISO-8859-1" by default far more often than authors write
    # a wrong XML declaration. Without a declaration (common on Cyrillic sites serving
    # windows-1251) the header is all there is.
    charset = _CHARSET_PARAMETER.search(content_type or "")
    if charset and not _XML_ENCODING_DECLARATION.match(head):
        headers["content-type"] = f"application/xml; charset={charset.group(1)}"
    return headers


def _prepared_xml(content: bytes) -> bytes:
    """Reject entity declarations; repair what commonly trips the strict parser.

    Repairs apply only to ASCII-compatible encodings (no NUL bytes up front): a DOCTYPE
    is dropped, since without entities it carries nothing we use and its external DTD
    reference would otherwise make defusedxml refuse a legitimate RSS 0.91 feed; and
    bare ampersands ("R&D") are escaped, so the strict parser succeeds instead of the
    lenient one turning them into "R&D;".
    """
    document = content.replace(b"\x00", b"")
    prolog_end = _FIRST_ELEMENT.search(document)
    prolog_length = prolog_end.start() if prolog_end else len(document)
    if b"<!ENTITY" in document[:prolog_length]:
        raise FeedParseError(
            "Rejected feed: it declares XML entities, which feeds never need and which "
            "enable entity-expansion (billion laughs) and external-entity (XXE) attacks"
        )
    if len(document) != len(content):
        return content
    prolog = _DOCTYPE.sub(b"", content[:prolog_length], count=1)
    return prolog + _BARE_AMPERSAND.sub(b"&amp;", content[prolog_length:])


def _run_feedparser(
    content: bytes, head: bytes, base_url: str, content_type: str | None
) -> Mapping[str, Any]:
    try:
        # A BytesIO, never the bytes themselves: feedparser treats a bare string as a
        # file name or URL to open.
        result: Mapping[str, Any] = feedparser.parse(
            io.BytesIO(content),
            response_headers=_response_headers(head, base_url, content_type),
            resolve_relative_uris=True,
            # Every field we keep goes through nh3 or clean_text; feedparser's own
            # sanitiser would only add a quarter to the parse time.
            sanitize_html=False,
        )
    except defusedxml.DefusedXmlException as error:
        raise FeedParseError(
            f"Rejected feed: forbidden XML construct ({type(error).__name__})"
        ) from error
    except Exception as error:
        # Arbitrary bytes from the internet can trip parser bugs; for the caller that is
        # just another unusable document.
        raise FeedParseError(f"Malformed feed: the parser failed ({error!r})") from error
    if isinstance(result.get("bozo_exception"), defusedxml.DefusedXmlException):
        raise FeedParseError(
            f"Rejected feed: forbidden XML construct ({type(result['bozo_exception']).__name__})"
        )
    return result


def _raw_xml_entry(entry: dict[str, Any]) -> _RawEntry:
    field = _stored_field
    links = [field(entry, "link")]
    links += [
        link.get("href")
        for link in field(entry, "links") or []
        if link.get("rel", "alternate") == "alternate"
    ]
    guid = _optional_guid(field(entry, "id"))
    # An id is an address only when it says so; "post-42" is not a relative link.
    if guid is not None and guid.lower().startswith(("http://", "https://")):
        links.append(guid)
    return _RawEntry(
        title=field(entry, "title") or "",
        links=[link for link in links if isinstance(link, str)],
        guid=guid,
        dates=[
            field(entry, "published_parsed"),
            field(entry, "published"),
            field(entry, "updated_parsed"),
            field(entry, "updated"),
        ],
        author=_author_name(field(entry, "author") or ""),
        summary_html=field(entry, "summary") or "",
        content_html=_richest_content(field(entry, "content") or []),
    )


# feedparser's own split of "email (Name)" assumes TLDs of at most four letters and
# mangles the rest ("press@acme-ai.example" becomes "ple (…"), so split it here.
_EMAIL_THEN_NAME = re.compile(r"^\s*[^\s()<>]+@[^\s()<>]+\s*\((?P<name>[^()]+)\)\s*$")
_NAME_THEN_EMAIL = re.compile(r"^\s*(?P<name>[^()<>]+?)\s*[(<][^\s()<>]+@[^\s()<>]+[)>]\s*$")


def _author_name(value: str) -> str:
    match = _EMAIL_THEN_NAME.match(value) or _NAME_THEN_EMAIL.match(value)
    return match.group("name") if match else value


def _stored_field(parsed: dict[str, Any], key: str) -> Any:
    # dict.get, not parsed.get: FeedParserDict maps missing keys onto others ("published"
    # onto "updated") with a DeprecationWarning per access; we choose fallbacks ourselves.
    return dict.get(parsed, key)


def _richest_content(contents: Iterable[Mapping[str, Any]]) -> str | None:
    best: str | None = None
    for item in contents:
        value = item.get("value") or ""
        if item.get("type") == "text/plain":
            value = _plain_text_to_html(value)
        if value and (best is None or len(value) > len(best)):
            best = value
    return best


def _ttl_minutes(value: object) -> int | None:
    try:
        minutes = int(str(value).strip())
    except ValueError:
        return None
    return minutes if 0 < minutes <= MAX_TTL_MINUTES else None


# ---------------------------------------------------------------- JSON Feed

_JSON_MEDIA_TYPES = frozenset({"application/feed+json", "application/json"})
_JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")


def _is_json_media_type(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type in _JSON_MEDIA_TYPES


def _read_json_feed(content: bytes) -> tuple[str, object, int | None, list[_RawEntry]]:
    try:
        document = json.loads(content.decode("utf-8-sig", errors="replace"))
    except (ValueError, RecursionError) as error:
        raise FeedParseError(f"Malformed feed: invalid JSON ({error})") from error
    if not isinstance(document, dict):
        raise FeedParseError("Not a feed: the JSON document is not a JSON Feed")
    version = document.get("version")
    if not isinstance(version, str) or not version.startswith(_JSON_FEED_VERSIONS):
        raise FeedParseError("Not a feed: the JSON document is not a JSON Feed")
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedParseError("Malformed feed: JSON Feed without an items list")
    entries = [_raw_json_entry(item) for item in items if isinstance(item, dict)]
    return _json_string(document.get("title")), document.get("home_page_url"), None, entries


def _raw_json_entry(item: Mapping[str, Any]) -> _RawEntry:
    content_html = _json_string(item.get("content_html"))
    content_text = _json_string(item.get("content_text"))
    if not content_html and content_text:
        content_html = _plain_text_to_html(content_text)
    return _RawEntry(
        title=_json_string(item.get("title")),
        links=[
            link for link in (item.get("url"), item.get("external_url")) if isinstance(link, str)
        ],
        guid=_optional_guid(item.get("id")),
        dates=[
            _json_string(item.get("date_published")),
            _json_string(item.get("date_modified")),
        ],
        author=_json_author(item),
        summary_html=html.escape(_json_string(item.get("summary"))),
        content_html=content_html or None,
    )


def _json_author(item: Mapping[str, Any]) -> str:
    # JSON Feed 1.1 has an "authors" list; 1.0 had a single "author" object.
    authors = item.get("authors")
    candidates = authors if isinstance(authors, list) else [item.get("author")]
    for author in candidates:
        if isinstance(author, dict) and (name := _json_string(author.get("name"))):
            return name
    return ""


def _json_string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _plain_text_to_html(text: str) -> str:
    paragraphs = (part.strip() for part in re.split(r"\n\s*\n", text))
    return "".join(f"<p>{html.escape(part)}</p>" for part in paragraphs if part)
